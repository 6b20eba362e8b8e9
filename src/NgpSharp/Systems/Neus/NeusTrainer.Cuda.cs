using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Data;
using NgpSharp.Nn;
using NgpSharp.Rendering;
using NgpSharp.Systems.Nerf;

namespace NgpSharp.Systems.Neus;

// The CUDA side of the NeuS loop. A step is device-resident: the dataset's pixels and cameras are uploaded once
// (NerfRays); per step the rays, composited targets and masks (= α) are drawn on the device (NerfRays.cu, one
// constant background per batch drawn on the host), marched against a device copy of the occupancy bitfield
// (RayMarcher.cu into DeviceRaySamples), turned into positions (NeusBatch.cu), through the SDF network with its
// analytic ∇f, the colour network's input rows (NeusColourNetwork.cu + the SH encoding's kernel), NeuS compositing
// (NeusRenderer.cu), the loss terms (NeusLoss.cu), the normalisation backward, both networks' backward, the NaN/∞
// check and the optimizer step. What still crosses to the host per step:
//  * scalars: the march's sample total (8 bytes); one 16-byte double sum per loss term (L1, MSE, and mask BCE,
//    opaque, eikonal, sparsity when enabled); dL/dinv_s summed on the device together with the gradient NaN/∞ flag
//    (16 bytes). The variance (inv_s) steps on the host from that scalar.
//  * nothing else on a step without a grid update.
// On grid-update steps the occupancy grid works as NeRF's: the cell choice and jitter are drawn on the host,
// positions go up [N, 3], the sdf column comes down [N] (α on the host, as the CPU's EvaluateOccupancy), the densities
// [res³] go up and come back with the bitfield; the new bitfield stays on the device for the marcher.
// Render uploads the chunk's camera rays ([C, 3] ×2) and downloads colour, normal, opacity, depth ([C, 8]); meshing
// uploads positions [C, 3] and downloads the sdf [C] (vertex colours: ∇f [C, 3] down, view directions [C, 3] up,
// rgb [C, 3] down).
public sealed partial class NeusTrainer
{
    const int RenderChunkFloats = 8;

    /// <summary>Device-side state of a CUDA trainer.</summary>
    sealed class DeviceState : IDisposable
    {
        public readonly CudaBackend Cuda;
        public readonly NerfRays Rays;
        public readonly CudaReductions Reductions;
        public readonly CudaScan Scan;
        public readonly DeviceRaySamples Samples;
        public readonly DeviceBuffer<byte> Bitfield;
        public readonly ScratchMatrix Origins, Directions, Column;
        public readonly NeusDeviceLoss Loss;
        public DeviceBuffer<int>? Identity;
        public bool BitfieldStale = true;
        public float[] Host = [];

        public DeviceState(CudaBackend cuda, NerfDataset dataset, int bitfieldBytes)
        {
            Cuda = cuda;
            Rays = new NerfRays(dataset, cuda);
            Reductions = new CudaReductions(cuda);
            Scan = new CudaScan(cuda);
            Samples = new DeviceRaySamples(cuda);
            Bitfield = cuda.Allocate<byte>(bitfieldBytes);
            (Origins, Directions, Column) = (new(cuda), new(cuda), new(cuda));
            Loss = new NeusDeviceLoss(cuda);
        }

        public float[] HostBuffer(int n)
        {
            if (Host.Length < n) Host = new float[Math.Max(n, Host.Length * 3 / 2)];
            return Host;
        }

        public void Dispose()
        {
            Rays.Dispose(); Reductions.Dispose(); Scan.Dispose(); Samples.Dispose(); Bitfield.Dispose();
            Origins.Dispose(); Directions.Dispose(); Column.Dispose(); Loss.Dispose(); Identity?.Dispose();
        }
    }

    /// <summary>The CUDA state; null on the CPU.</summary>
    readonly DeviceState? _device;

    /// <summary>
    /// Tests only: on CUDA, draw the rays on the host exactly as the CPU trainer does (Dataset.SampleRays, uploaded)
    /// instead of the device generator, so that a CUDA run can be compared step by step with a CPU run.
    /// </summary>
    internal bool HostRaysForTesting { get; set; }

    void UploadBitfieldIfStale()
    {
        var d = _device!;
        if (!d.BitfieldStale) return;
        d.Cuda.CopyFromHost<byte>(Grid.Bitfield, d.Bitfield.All);
        d.BitfieldStale = false;
    }

    void UpdateGrid()
    {
        int step = (int)Math.Min(StepCount, int.MaxValue);
        if (_device is null) { Grid.Update(step, EvaluateOccupancy, ref _rng); return; }
        UploadBitfieldIfStale(); // the device update writes the whole bitfield; uploading first keeps a no-update step right
        Grid.Update(_device.Cuda, step, EvaluateOccupancyCuda, ref _rng, _device.Bitfield.All);
    }

    /// <summary><see cref="EvaluateOccupancy"/> on CUDA: positions up, the sdf column down, α on the host.</summary>
    void EvaluateOccupancyCuda(ReadOnlySpan<float> positions, Span<float> densities)
    {
        int n = densities.Length;
        var sdf = SdfOnDevice(positions[..(3 * n)], n);
        float invS = (float)Variance.InvS, scale = 0.01f / Settings.Model.GridPruneOccThre / Grid.MinStepSize;
        for (int i = 0; i < n; i++) densities[i] = NeusAlpha.OccupancyAlpha(sdf[i], invS, RenderStepSize) * scale;
    }

    /// <summary>sdf at n host positions [n, 3] through the device network; the result is a host view [n] (scratch).</summary>
    ReadOnlySpan<float> SdfOnDevice(ReadOnlySpan<float> positions, int n)
    {
        var d = _device!;
        var pos = _positions.Matrix(n, 3);
        d.Cuda.CopyFromHost(positions, pos.Data);
        var outp = _sdfOut.Matrix(n, Sdf.OutputWidth);
        Sdf.Inference(pos, outp);
        var column = d.Column.Span(n);
        NeusBatch.FirstColumn(d.Cuda, outp, column);
        var host = d.HostBuffer(n).AsSpan(0, n);
        d.Cuda.CopyToHost(column, host);
        return host;
    }

    /// <summary>The device step after the grid update (see the comment at the top of this file).</summary>
    (double Loss, double Psnr, double Eikonal, double InvS, int Samples, bool Finite) StepCuda(int rays)
    {
        var d = _device!;
        var cuda = d.Cuda;
        var origins = d.Origins.Span(3L * rays);
        var directions = d.Directions.Span(3L * rays);
        var target = _target.Matrix(rays, 3);
        var mask = _mask.Matrix(rays, 1);
        (float R, float G, float B) bg;
        if (HostRaysForTesting)
        {
            Ensure(ref _origins, 3 * rays); Ensure(ref _directions, 3 * rays); Ensure(ref _rgba, 4 * rays);
            Dataset.SampleRays(ref _rng, rays, _origins, _directions, _rgba);
            bg = TrainingBackground();
            float[] t = new float[3 * rays], m = new float[rays], unused = new float[3 * rays];
            CompositeTargets(rays, bg, t, m, unused);
            cuda.CopyFromHost<float>(t, target.Data);
            cuda.CopyFromHost<float>(m, mask.Data);
            cuda.CopyFromHost<float>(_origins.AsSpan(0, 3 * rays), origins);
            cuda.CopyFromHost<float>(_directions.AsSpan(0, 3 * rays), directions);
        }
        else
        {
            // Counter-based rays (NerfRays): ray i draws from this stream advanced by i·DrawsPerRay.
            var stream = _rng;
            _rng.Advance((long)rays * NerfRays.DrawsPerRay);
            bg = TrainingBackground();
            d.Rays.GenerateOnDevice(stream, rays, jitter: true, NerfRayBackground.Constant(bg.R, bg.G, bg.B),
                origins, directions, target.Data, default, mask.Data);
        }
        UploadBitfieldIfStale();
        var samples = d.Samples;
        RayMarcher.March(cuda, origins, directions, Grid, d.Bitfield.All, _march, ref _rng, d.Scan, samples);
        int count = samples.Count, rows = Math.Max(1, count);

        var pos = _positions.Matrix(rows, 3);
        NeusBatch.FillPositions(cuda, samples, origins, directions, pos);
        var sdfOut = _sdfOut.Matrix(rows, Sdf.OutputWidth);
        var grad = _sdfGrad.Matrix(rows, 3);
        var rgb = _rgb.Matrix(rows, 3);
        var lossCfg = Settings.System.Loss;
        using var sdfCtx = Sdf.Forward(pos, sdfOut, grad);
        var colourIn = Colour.BuildInput(sdfOut, grad, directions, samples.RayIndices, count, rows);
        using var colourCtx = Colour.Mlp.Forward(colourIn, rgb);

        float invS = (float)Variance.InvS;
        var inputs = new NeusDeviceRenderInputs<float>(samples, new ColumnRange<float>(sdfOut, 0, 1), grad, rgb, directions.AsMatrix(rays, 3),
            invS, CosAnnealRatio, RayBackground<float>.Constant(bg.R, bg.G, bg.B));
        _renderer.Forward(inputs, _render);

        var dLdColour = _dLdColour.Matrix(rays, 3);
        var dLdOpacity = _dLdOpacity.Matrix(rays, 1);
        cuda.Fill(dLdOpacity.Data, 0f);
        double l1 = d.Loss.RgbL1(_render.Colour, target, dLdColour, (float)lossCfg.LambdaRgbL1);
        double mse = d.Loss.RgbMse(_render.Colour, target, dLdColour, (float)lossCfg.LambdaRgbMse, GradientMode.Accumulate);
        double loss = lossCfg.LambdaRgbL1 * l1 + lossCfg.LambdaRgbMse * mse;
        if (Dataset.HasAlpha && lossCfg.LambdaMask > 0)
            loss += lossCfg.LambdaMask * d.Loss.MaskBce(_render.Opacity, mask, dLdOpacity, (float)lossCfg.LambdaMask, GradientMode.Accumulate);
        if (lossCfg.LambdaOpaque > 0)
            loss += lossCfg.LambdaOpaque * d.Loss.Opaque(_render.Opacity, dLdOpacity, (float)lossCfg.LambdaOpaque, GradientMode.Accumulate);

        var dLdSdfOut = _dLdSdfOut.Matrix(rows, Sdf.OutputWidth);
        var dLdGrad = _dLdGrad.Matrix(rows, 3);
        var dLdRgb = _dLdRgb.Matrix(rows, 3);
        cuda.Fill(dLdSdfOut.Data, 0f); cuda.Fill(dLdGrad.Data, 0f); cuda.Fill(dLdRgb.Data, 0f);
        _renderer.Backward(inputs, _render, dLdColour, new ColumnRange<float>(dLdSdfOut, 0, 1), dLdGrad, dLdRgb, dLdOpacity);
        double eikonal = count == 0 ? 0 : d.Loss.Eikonal(Rows(grad, count), Rows(dLdGrad, count), (float)lossCfg.LambdaEikonal);
        loss += lossCfg.LambdaEikonal * eikonal;
        if (lossCfg.LambdaSparsity > 0 && count > 0)
            loss += lossCfg.LambdaSparsity * d.Loss.Sparsity(new ColumnRange<float>(Rows(sdfOut, count), 0, 1),
                new ColumnRange<float>(Rows(dLdSdfOut, count), 0, 1), (float)lossCfg.SparsityScale, (float)lossCfg.LambdaSparsity);

        var dLdInput = _dLdInput.Matrix(rows, Colour.InputWidth);
        Colour.Mlp.Backward(colourCtx, colourIn, rgb, dLdRgb, dLdInput, GradientMode.Overwrite);
        Colour.AccumulateGeometryGradients(dLdInput, grad, dLdSdfOut, dLdGrad, count);
        Sdf.Backward(sdfCtx, dLdSdfOut, dLdGrad, GradientMode.Overwrite);

        // dL/dinv_s (Σ of the per-ray partials) and the gradients' NaN/∞ flag in one 16-byte copy.
        var (dInvS, gradientsFinite) = d.Reductions.SumAndCheck(_render.InvSPartialsOnDevice, _gradients.All);
        Variance.AccumulateInvSGradient(dInvS);
        double psnr = mse > 0 ? -10 * Math.Log10(mse) : 100;
        bool finite = double.IsFinite(loss) && double.IsFinite(dInvS) && gradientsFinite;
        return (loss, psnr, eikonal, invS, count, finite);
    }

    /// <summary>
    /// One render chunk of <paramref name="rays"/> host camera rays (in _origins/_directions) on the device; writes
    /// [colour 3C | normal 3C | opacity C | depth C] into <paramref name="host"/> and returns the sample count.
    /// </summary>
    long RenderChunkCuda(int rays, RayBackground<float> bg, Span<float> host)
    {
        var d = _device!;
        var cuda = d.Cuda;
        var origins = d.Origins.Span(3L * rays);
        var directions = d.Directions.Span(3L * rays);
        cuda.CopyFromHost<float>(_origins.AsSpan(0, 3 * rays), origins);
        cuda.CopyFromHost<float>(_directions.AsSpan(0, 3 * rays), directions);
        UploadBitfieldIfStale();
        var samples = d.Samples;
        RayMarcher.MarchInference(cuda, origins, directions, Grid, d.Bitfield.All, _march, d.Scan, samples);
        int count = samples.Count, rows = Math.Max(1, count);
        var pos = _positions.Matrix(rows, 3);
        NeusBatch.FillPositions(cuda, samples, origins, directions, pos);
        var sdfOut = _sdfOut.Matrix(rows, Sdf.OutputWidth);
        var grad = _sdfGrad.Matrix(rows, 3);
        var rgb = _rgb.Matrix(rows, 3);
        Sdf.Inference(pos, sdfOut, grad);
        var colourIn = Colour.BuildInput(sdfOut, grad, directions, samples.RayIndices, count, rows);
        Colour.Mlp.Inference(colourIn, rgb);
        var inputs = new NeusDeviceRenderInputs<float>(samples, new ColumnRange<float>(sdfOut, 0, 1), grad, rgb, directions.AsMatrix(rays, 3),
            (float)Variance.InvS, CosAnnealRatio, bg);
        _renderer.Forward(inputs, _render);
        cuda.CopyToHost(_render.Colour.Data, host[..(3 * rays)]);
        cuda.CopyToHost(_render.Normal.Data, host.Slice(3 * rays, 3 * rays));
        cuda.CopyToHost(_render.Opacity.Data, host.Slice(6 * rays, rays));
        cuda.CopyToHost(_render.Depth.Data, host.Slice(7 * rays, rays));
        return count;
    }

    /// <summary>Device row indices 0..n−1 (vertex colours treat every vertex as its own "ray").</summary>
    DeviceSpan<int> DeviceIdentity(int n)
    {
        var d = _device!;
        if (d.Identity is null || d.Identity.Length < n)
        {
            d.Identity?.Dispose();
            d.Identity = d.Cuda.Upload<int>(Enumerable.Range(0, n).ToArray());
        }
        return d.Identity.All.Slice(0, n);
    }
}
