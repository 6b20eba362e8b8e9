using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Nn;
using NgpSharp.Nn.Networks;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Nerf;

// The CUDA side of the training loop. A step is device-resident: the dataset's pixels and cameras are uploaded once
// (NerfRays); per step the rays, targets and random backgrounds are drawn on the device (NerfRays.cu), marched against
// a device copy of the occupancy bitfield (RayMarcher.cu: count → device scan → fill, DeviceRaySamples), turned into
// network input rows (NerfBatch.cu), rendered, compacted on the device, trained; loss and PSNR are reduced on the
// device. What still crosses to the host per step:
//  * scalars: the march's sample total (8 bytes), the compacted total (8 bytes; with compaction off, the used total
//    instead), the loss sum, the squared-error sum and the gradient NaN/∞ flag (16 bytes each);
//  * nothing else on a step without a grid update.
// On grid-update steps (every step in the warm-up, then every 16th) the occupancy grid still works host-side: the
// cell choice and jitter are drawn on the host, positions go up [N, 3] and raw σ comes down [N] (N = 128³·cascades
// in the warm-up, half that after), the densities [cascades·128³] go up and come back with the bitfield
// (OccupancyGrid.Update(CudaBackend, …)); the new bitfield stays on the device for the marcher.
// Render (ngp test) uploads host camera rays per chunk ([C, 3] ×2) and downloads colour/opacity/depth ([C, 5]).
public sealed partial class NerfTrainer
{
    /// <summary>The CUDA backend when training runs there; null on the CPU.</summary>
    readonly CudaBackend? _cuda;

    /// <summary>Device NaN/∞ check of the gradients and the PSNR's sum (CUDA only).</summary>
    readonly CudaReductions? _reductions;
    readonly CudaScan? _scan;
    readonly DeviceRaySamples? _deviceSamples, _deviceCompacted;
    DeviceBuffer<byte>? _deviceBitfield;
    readonly ScratchMatrix? _deviceOrigins, _deviceDirections, _squaredError;
    DeviceBuffer<int>? _usedOffsets;

    /// <summary>True when the host grid bitfield changed outside a device update (construction, MarkUnseenCells, Resume).</summary>
    bool _bitfieldStale = true;

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

    /// <summary>The step on the device after the grid update (see the comment at the top of this file).</summary>
    (double Loss, double Psnr, int Samples, long Used, NerfStepTimings Timings) StepCuda(int rays, Rng stream, NerfRayBackground mode,
        System.Diagnostics.Stopwatch clock)
    {
        var cuda = _cuda!;
        double Lap() { cuda.Synchronize(); double t = clock.Elapsed.TotalSeconds; clock.Restart(); return t; }
        var origins = _deviceOrigins!.Span(3L * rays);
        var directions = _deviceDirections!.Span(3L * rays);
        var target = _target.Matrix(rays, 3);
        var bgColours = _background.Matrix(rays, 3);
        _rays.GenerateOnDevice(stream, rays, jitter: true, mode, origins, directions, target.Data, bgColours.Data);
        var background = mode.PerRayRandom ? RayBackground<float>.PerRay(bgColours) : RayBackground<float>.Constant(mode.R, mode.G, mode.B);
        double tRays = Lap();

        UploadBitfieldIfStale();
        var all = _deviceSamples!;
        RayMarcher.March(cuda, origins, directions, Grid, _deviceBitfield!.All, _march, ref _rng, _scan!, all);
        int samples = all.Count;
        double tMarch = Lap(), tForward, tRender;

        var trained = all;
        long used = -1;
        if (Settings.Trainer.Compaction)
        {
            var allIn = _input.Matrix(PaddedBatch(samples), NerfNetwork<float>.InputDims);
            NerfBatch.FillInput(cuda, Scene, all, origins, directions, allIn);
            var allOut = _output.Matrix(allIn.Rows, NerfNetwork<float>.OutputDims);
            Network.Inference(allIn, allOut);
            _renderer.Forward(all, new ColumnRange<float>(allOut, NerfNetwork<float>.DensityColumn, 1),
                new ColumnRange<float>(allOut, NerfNetwork<float>.ColourColumn, 3), background, _render);
            used = NerfBatch.Compact(cuda, _scan!, all, _render.UsedCountsOnDevice, _deviceCompacted!);
            trained = _deviceCompacted!;
        }
        int batch = PaddedBatch(trained.Count);
        var input = _inputTrained.Matrix(batch, NerfNetwork<float>.InputDims);
        NerfBatch.FillInput(cuda, Scene, trained, origins, directions, input);
        var output = _outputTrained.Matrix(batch, NerfNetwork<float>.OutputDims);
        var dLdOutput = _dLdOutput.Matrix(batch, NerfNetwork<float>.OutputDims);
        cuda.Fill(dLdOutput.Data, 0f);
        var dLdColour = _dLdColour.Matrix(rays, 3);
        double loss, psnr;
        using (var ctx = Network.Forward(input, output))
        {
            tForward = Lap();
            var density = new ColumnRange<float>(output, NerfNetwork<float>.DensityColumn, 1);
            var colour = new ColumnRange<float>(output, NerfNetwork<float>.ColourColumn, 3);
            _renderer.Forward(trained, density, colour, background, _render);
            loss = _loss.Evaluate(LossScale, _render.Colour, target, dLdColour);
            psnr = DevicePsnr(_render.Colour, target);
            _renderer.Backward(trained, density, colour, background, _render, dLdColour,
                new ColumnRange<float>(dLdOutput, NerfNetwork<float>.DensityColumn, 1), new ColumnRange<float>(dLdOutput, NerfNetwork<float>.ColourColumn, 3));
            tRender = Lap();
            Network.Backward(ctx, input, output, dLdOutput, null, GradientMode.Overwrite);
        }
        if (used < 0) used = DeviceTotal(_render.UsedCountsOnDevice);
        double tBackward = Lap();
        return (loss, psnr, samples, used, new NerfStepTimings(0, tRays, tMarch, tForward, tRender, tBackward, 0));
    }

    /// <summary>PSNR of prediction vs target ([R, 3] on the device): squared errors and their sum on the device.</summary>
    double DevicePsnr(DeviceMatrix<float> prediction, DeviceMatrix<float> target)
    {
        long n = (long)prediction.Rows * prediction.Cols;
        if (n == 0) throw new ArgumentException("nerf trainer: PSNR of an empty batch");
        var squared = _squaredError!.Span(n);
        NerfBatch.SquaredError(_cuda!, prediction.Data, target.Data, squared);
        double mse = _reductions!.Sum(squared) / n;
        return mse <= 0 ? double.PositiveInfinity : -10.0 * Math.Log10(mse);
    }

    /// <summary>Σ counts on the device (a scan into scratch; one long comes back).</summary>
    long DeviceTotal(DeviceSpan<int> counts)
    {
        if (_usedOffsets is null || _usedOffsets.Length < counts.Length)
        {
            _usedOffsets?.Dispose();
            _usedOffsets = _cuda!.Allocate<int>(Math.Max(1, counts.Length * 3 / 2));
        }
        return _scan!.ExclusiveScan(counts, _usedOffsets.All.Slice(0, counts.Length));
    }

    void UploadBitfieldIfStale()
    {
        if (!_bitfieldStale) return;
        _cuda!.CopyFromHost<byte>(Grid.Bitfield, _deviceBitfield!.All);
        _bitfieldStale = false;
    }

    bool GradientsFinite() => _reductions is null
        ? Compute.Cpu.CpuReductions.AllFinite<float>(_gradients.All.AsSpan())
        : _reductions.AllFinite(_gradients.All);

    void UpdateGrid()
    {
        if (_cuda is null) { Grid.Update((int)StepCount, EvaluateDensity, ref _rng); return; }
        UploadBitfieldIfStale(); // the device update writes the whole bitfield; uploading first keeps a no-update step right
        Grid.Update(_cuda, (int)StepCount, EvaluateDensityCuda, ref _rng, _deviceBitfield!.All);
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

    void DisposeDevice()
    {
        _reductions?.Dispose(); _scan?.Dispose(); _deviceSamples?.Dispose(); _deviceCompacted?.Dispose();
        _deviceBitfield?.Dispose(); _deviceOrigins?.Dispose(); _deviceDirections?.Dispose(); _squaredError?.Dispose(); _usedOffsets?.Dispose();
        _deviceBitfield = null; _usedOffsets = null;
    }
}
