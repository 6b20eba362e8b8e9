using NgpSharp.Compute.Cuda;

namespace NgpSharp.Systems.Nerf;

// Device-memory pressure: a training step or a render chunk that fails with CUDA_ERROR_OUT_OF_MEMORY (after the
// allocator freed its cache and retried) is retried with half the work, after the trainer's scratch buffers (which
// only grow) are freed; the smaller budget stays for the rest of the run and is logged.
public sealed partial class NerfTrainer
{
    /// <summary>Messages for the user (out-of-memory retries, NaN restores); null: silent.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>The ray cap in use: trainer.max_rays, halved after each out-of-memory step.</summary>
    public int MaxRays { get; private set; }

    /// <summary>The sample target in use: trainer.target_samples_per_step, halved after each out-of-memory step.</summary>
    public int TargetSamplesPerStep { get; private set; }

    /// <summary>Steps and render chunks retried after running out of device memory.</summary>
    public int OutOfMemoryRetries { get; private set; }

    /// <summary>Rays per render chunk: renderer.chunk_rays, halved after each out-of-memory chunk.</summary>
    public int RenderChunkRays => _renderChunk ?? Settings.Renderer.ChunkRays;

    int? _renderChunk;

    /// <summary>
    /// Halves the ray budget (max rays, target samples, this step's rays) and frees scratch; false when the step is
    /// already at the smallest ray count, so the exception goes on to the caller.
    /// </summary>
    bool ShrinkAfterOutOfMemory(CudaOutOfMemoryException e)
    {
        if (RaysPerStep <= RayGranularity) return false;
        int before = RaysPerStep;
        MaxRays = Math.Max(RayGranularity, Math.Min(MaxRays, before) / 2);
        TargetSamplesPerStep = Math.Max(64, TargetSamplesPerStep / 2);
        RaysPerStep = RoundRays(Math.Min(before / 2, MaxRays));
        OutOfMemoryRetries++;
        FreeScratch();
        Log?.Invoke($"warning: step {StepCount}: {e.Message}; retrying with {RaysPerStep} rays (max_rays {MaxRays}, target_samples_per_step {TargetSamplesPerStep})");
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

    /// <summary>Gives the grown per-step buffers back (they are re-allocated at the size the next step needs).</summary>
    void FreeScratch()
    {
        foreach (var g in new[] { _inputTrained, _outputTrained, _input, _output, _dLdOutput, _background, _target, _dLdColour, _densityPositions, _densityRaw })
            g.Dispose();
        _deviceOrigins?.Dispose(); _deviceDirections?.Dispose(); _squaredError?.Dispose();
        _deviceSamples?.Dispose(); _deviceCompacted?.Dispose();
        _usedOffsets?.Dispose(); _usedOffsets = null;
        _compacted = null; _samples = null;
        _cuda?.TrimCache();
    }
}
