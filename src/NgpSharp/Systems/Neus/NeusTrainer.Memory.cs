using NgpSharp.Compute.Cuda;

namespace NgpSharp.Systems.Neus;

// Device-memory pressure, as NerfTrainer.Memory.cs: a training step that fails with CUDA_ERROR_OUT_OF_MEMORY (after
// the allocator freed its cache and retried) is redone from the same random state with half the rays, after the
// trainer's growable scratch is freed; the smaller budget stays for the rest of the run and is logged. A render chunk
// that does not fit is split.
public sealed partial class NeusTrainer
{
    int? _maxRays, _renderChunk;
    long? _targetSamples;

    /// <summary>Messages for the user (out-of-memory retries); null: silent.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The ray cap in use: model.max_train_num_rays, halved after each out-of-memory step.</summary>
    public int MaxTrainRays => _maxRays ?? Settings.Model.MaxTrainNumRays;

    /// <summary>The sample target in use (model.target_samples_per_step, or rays × samples per ray), halved after each out-of-memory step.</summary>
    public long TargetSamplesPerStep => _targetSamples ?? Settings.Model.TargetSamplesPerStep ?? (long)Settings.Model.TrainNumRays * Settings.Model.NumSamplesPerRay;

    /// <summary>Rays per render chunk: model.ray_chunk, halved after each out-of-memory chunk.</summary>
    public int RenderChunkRays => _renderChunk ?? Settings.Model.RayChunk;

    /// <summary>Steps and render chunks retried after running out of device memory.</summary>
    public int OutOfMemoryRetries { get; private set; }

    /// <summary>Halves the ray budget and frees scratch; false at the smallest ray count (the exception goes on).</summary>
    bool ShrinkAfterOutOfMemory(CudaOutOfMemoryException e)
    {
        if (RaysPerStep <= RayGranularity) return false;
        _maxRays = Math.Max(RayGranularity, Math.Min(MaxTrainRays, RaysPerStep) / 2);
        _targetSamples = Math.Max(64, TargetSamplesPerStep / 2);
        RaysPerStep = RoundRays(Math.Min(RaysPerStep / 2, MaxTrainRays));
        OutOfMemoryRetries++;
        FreeScratch();
        Log?.Invoke($"warning: step {StepCount}: {e.Message}; retrying with {RaysPerStep} rays (max_train_num_rays {MaxTrainRays}, target_samples_per_step {TargetSamplesPerStep})");
        return true;
    }

    /// <summary>Halves the render chunk and frees scratch; false at 1 ray per chunk.</summary>
    bool ShrinkRenderChunk(CudaOutOfMemoryException e, int chunk)
    {
        if (chunk <= 1) return false;
        _renderChunk = chunk / 2;
        OutOfMemoryRetries++;
        FreeScratch();
        Log?.Invoke($"warning: render: {e.Message}; retrying with {_renderChunk} rays per chunk");
        return true;
    }

    /// <summary>Gives the grown per-step buffers back (re-allocated at the size the next step needs).</summary>
    void FreeScratch()
    {
        foreach (var m in new[] { _positions, _sdfOut, _sdfGrad, _rgb, _dLdSdfOut, _dLdGrad, _dLdRgb, _dLdInput, _rayDirs, _target, _mask, _dLdColour, _dLdOpacity })
            m.Dispose();
        _device?.Cuda.TrimCache();
    }
}
