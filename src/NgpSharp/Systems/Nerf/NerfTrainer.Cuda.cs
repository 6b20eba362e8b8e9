using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Nn;
using NgpSharp.Nn.Networks;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Nerf;

// The CUDA side of the training loop. Parameters, gradients, optimizer state, network inputs [S, 6] / outputs [S, 4],
// dL/doutput, per-ray backgrounds, targets, rendered colours and dL/dcolour live on the device. Still on the host
// (copied each step, correctness first): ray generation and RGBA lookup (rgba → host target → upload [R, 3]), the
// random backgrounds (drawn on the host, uploaded [R, 3]), the network input rows (filled from the host RaySamples,
// uploaded [S, 6]), the occupancy grid's σ queries (positions up [N, 3], raw σ down [N]), the marcher's and
// renderer's RaySamples (the wrappers upload/download), the per-element loss values and rendered colours for the
// loss sum and PSNR (down [R, 3] each).
public sealed partial class NerfTrainer
{
    /// <summary>The CUDA backend when training runs there; null on the CPU.</summary>
    readonly CudaBackend? _cuda;

    /// <summary>Device NaN/∞ check of the gradients (CUDA only).</summary>
    readonly CudaReductions? _reductions;

    /// <summary>Host staging for values built on the host and uploaded (CUDA only; on the CPU they are the device buffers themselves).</summary>
    readonly Growable _stageInput, _stageRgba, _stageTarget, _stageBackground;

    float[] _densityHostPositions = [], _densityHostRaw = [];

    /// <summary>
    /// The loss scale of a step: 1 on the CPU (as before); on CUDA the largest MLP recommendation (128 with the fused
    /// fp16 MLP, as tiny-cuda-nn, so that small NeRF gradients survive in half precision).
    /// </summary>
    public float LossScale { get; }

    static float LossScaleFor(Backend backend, NerfNetwork<float> network)
    {
        if (backend.Kind != BackendKind.Cuda) return 1f;
        float scale = 1f;
        if (network.DensityNetwork is Mlp<float> d) scale = MathF.Max(scale, d.RecommendedLossScale);
        if (network.ColourNetwork is Mlp<float> c) scale = MathF.Max(scale, c.RecommendedLossScale);
        return scale;
    }

    /// <summary>The matrix built on the host in <paramref name="host"/>, on the training backend (the same matrix on the CPU).</summary>
    DeviceMatrix<float> ToDevice(DeviceMatrix<float> host, Growable device)
    {
        if (_cuda is null) return host;
        var m = device.Matrix(host.Rows, host.Cols);
        _cuda.CopyFromHost<float>(host.AsSpan(), m.Data);
        return m;
    }

    /// <summary>Network input rows for <paramref name="samples"/> into <paramref name="input"/> (host-built, uploaded on CUDA).</summary>
    void FillInput(RaySamples samples, float[] origins, float[] directions, DeviceMatrix<float> input)
    {
        if (_cuda is null) { FillNetworkInput(samples, origins, directions, input); return; }
        var host = _stageInput.Matrix(input.Rows, input.Cols);
        FillNetworkInput(samples, origins, directions, host);
        _cuda.CopyFromHost<float>(host.AsSpan(), input.Data);
    }

    void Clear(DeviceMatrix<float> m)
    {
        if (_cuda is null) m.AsSpan().Clear();
        else _cuda.Fill(m.Data, 0f);
    }

    bool GradientsFinite() => _reductions is null
        ? Compute.Cpu.CpuReductions.AllFinite<float>(_gradients.All.AsSpan())
        : _reductions.AllFinite(_gradients.All);

    void UpdateGrid()
    {
        if (_cuda is null) Grid.Update((int)StepCount, EvaluateDensity, ref _rng);
        else Grid.Update(_cuda, (int)StepCount, EvaluateDensityCuda, ref _rng);
    }

    void MarchTraining(int rays, RaySamples samples)
    {
        if (_cuda is null) RayMarcher.March(_origins.AsSpan(0, 3 * rays), _directions.AsSpan(0, 3 * rays), Grid, _march, ref _rng, samples);
        else RayMarcher.March(_cuda, _origins.AsSpan(0, 3 * rays), _directions.AsSpan(0, 3 * rays), Grid, _march, ref _rng, samples);
    }

    void MarchForRendering(float[] origins, float[] directions, int rays, RaySamples samples)
    {
        if (_cuda is null) RayMarcher.MarchInference(origins.AsSpan(0, 3 * rays), directions.AsSpan(0, 3 * rays), Grid, _march, samples);
        else RayMarcher.MarchInference(_cuda, origins.AsSpan(0, 3 * rays), directions.AsSpan(0, 3 * rays), Grid, _march, samples);
    }

    /// <summary><see cref="EvaluateDensity"/> on CUDA: normalised positions up, raw σ down, exp on the host.</summary>
    void EvaluateDensityCuda(ReadOnlySpan<float> positions, Span<float> densities)
    {
        int n = densities.Length;
        EnsureHost(ref _densityHostPositions, 3 * n);
        EnsureHost(ref _densityHostRaw, n);
        Scene.Normalise(positions, _densityHostPositions.AsSpan(0, 3 * n));
        var pos = _densityPositions.Matrix(n, 3);
        _cuda!.CopyFromHost<float>(_densityHostPositions.AsSpan(0, 3 * n), pos.Data);
        var raw = _densityRaw.Span(n);
        Network.DensityOnly(pos, raw);
        _cuda.CopyToHost(raw, _densityHostRaw.AsSpan(0, n));
        for (int i = 0; i < n; i++) densities[i] = MathF.Exp(_densityHostRaw[i]);
    }

    /// <summary>A render result's per-ray values on the host (views on the CPU, copies on CUDA).</summary>
    static (float[] Colour, float[] Opacity, float[] Depth)? HostCopies(VolumeRenderOutput<float> result) =>
        result.Backend.Kind == BackendKind.Cpu ? null
            : (result.Backend.ToArray(result.Colour.Data), result.Backend.ToArray(result.Opacity.Data), result.Backend.ToArray(result.Depth.Data));
}
