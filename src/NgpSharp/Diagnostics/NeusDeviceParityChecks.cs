using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Nn;
using NgpSharp.Rendering;
using NgpSharp.Systems.Neus;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-CUDA checks of the device-resident NeuS step: sample positions (NeusBatch.cu), the colour network's input
/// rows and the normalisation backward (NeusColourNetwork.cu, with the SH encoding's kernel), every loss term
/// (NeusLoss.cu: values summed on the device, gradients overwritten or accumulated) and the renderer on device samples
/// (NeusRenderer.cu via <see cref="NeusDeviceRenderInputs{T}"/>, dL/dinv_s summed on the device). NerfRays' α output
/// (NeuS's mask) is checked by the NeRF ray check. Positions and input rows repeat the CPU's float operations in order:
/// bound 1e-6 (FMA contraction room; the emulator agrees bit for bit). Losses and the renderer use exp/log: bound
/// <see cref="Parity.Fp32Bound"/>. On a non-CUDA "device" both sides run the CPU.
/// </summary>
public static class NeusDeviceParityChecks
{
    const double ValueBound = 1e-6;
    const int FeatureDim = 13;

    public static IEnumerable<ParityCheck> Checks()
    {
        yield return new("neus batch: positions [S, 3] + padding from device samples", (cpu, device) => Positions(device));
        yield return new("neus colour: input rows [S, 13 + 3 + 16] + padding", (cpu, device) => ColourInput(device));
        yield return new("neus colour: geometry backward (features, normalisation)", (cpu, device) => GeometryBackward(device));
        foreach (var term in new[] { "l1", "mse", "mask", "opaque", "eikonal", "sparsity" })
            foreach (bool accumulate in new[] { false, true })
                yield return new($"neus loss: {term}, {(accumulate ? "accumulate" : "overwrite")}", (cpu, device) => Loss(device, term, accumulate));
        foreach (bool perRay in new[] { false, true })
            yield return new($"neus renderer: device samples, {(perRay ? "per-ray" : "constant")} background",
                (cpu, device) => Renderer(device, perRay));
    }

    static ParityResult CpuOnly() => new(0, 0, "no CUDA device: CPU only");

    /// <summary>Rays of 0–40 samples with random gaps, unit directions, origins in ±1.</summary>
    static (RaySamples Samples, float[] Origins, float[] Directions) RandomSamples(int rays, ulong seed)
    {
        var rng = new Rng(seed);
        var counts = new int[rays];
        int total = 0;
        for (int r = 0; r < rays; r++) total += counts[r] = (int)rng.NextUInt(41);
        var samples = new RaySamples(rays, Math.Max(total, 1)) { Count = total };
        int s = 0;
        for (int r = 0; r < rays; r++)
        {
            samples.RayOffsets[r] = s;
            samples.RayCounts[r] = counts[r];
            float t = 0.1f + rng.NextFloat();
            for (int i = 0; i < counts[r]; i++, s++)
            {
                if (rng.NextFloat() < 0.2f) t += 0.1f * rng.NextFloat();
                float dt = 0.002f + 0.02f * rng.NextFloat();
                samples.RayIndices[s] = r;
                samples.TStarts[s] = t;
                samples.TEnds[s] = t + dt;
                t += dt;
            }
        }
        var origins = Parity.Random(3 * rays, seed + 1, -1f, 1f);
        var directions = Parity.Random(3 * rays, seed + 2, -1f, 1f);
        for (int r = 0; r < rays; r++)
        {
            float x = directions[3 * r], y = directions[3 * r + 1], z = directions[3 * r + 2];
            float inv = 1f / MathF.Max(1e-3f, MathF.Sqrt(x * x + y * y + z * z));
            for (int c = 0; c < 3; c++) directions[3 * r + c] *= inv;
        }
        return (samples, origins, directions);
    }

    static DeviceMatrix<float> Matrix(Backend backend, float[] values, int cols, List<IDisposable> owned)
    {
        var buffer = backend.Upload<float>(values);
        owned.Add(buffer);
        return buffer.All.AsMatrix(values.Length / cols, cols);
    }

    static void DisposeAll(List<IDisposable> owned) { foreach (var o in owned) o.Dispose(); }

    static ParityResult Positions(Backend device)
    {
        var (samples, origins, directions) = RandomSamples(1500, 201);
        int rows = samples.Count + 37;
        var expected = new float[3 * rows];
        NeusBatch.FillPositions(samples, origins, directions, expected);
        if (device is not CudaBackend cuda) return CpuOnly();
        using var ds = new DeviceRaySamples(cuda);
        ds.CopyFrom(samples);
        using var o = cuda.Upload<float>(origins);
        using var d = cuda.Upload<float>(directions);
        using var pos = cuda.AllocateMatrix<float>(rows, 3, out var positions);
        cuda.Fill(positions.Data, float.NaN); // padding must be written
        NeusBatch.FillPositions(cuda, ds, o.All, d.All, positions);
        return new(Parity.RelativeError(expected, cuda.ToArray(positions.Data)), ValueBound, $"{samples.Count} samples + 37 padding rows");
    }

    /// <summary>Geometry outputs [S, 13] and gradients [S, 3] (every 97th gradient 0: the ε branch).</summary>
    static (float[] Features, float[] Gradient) Geometry(int samples, ulong seed)
    {
        var features = Parity.Random(samples * FeatureDim, seed, -1f, 1f);
        var gradient = Parity.Random(samples * 3, seed + 1, -1.5f, 1.5f);
        for (int s = 0; s < samples; s += 97) gradient[3 * s] = gradient[3 * s + 1] = gradient[3 * s + 2] = 0f;
        return (features, gradient);
    }

    static ParityResult ColourInput(Backend device)
    {
        var (samples, _, directions) = RandomSamples(1200, 211);
        int s = samples.Count, rows = s + 19;
        var (features, gradient) = Geometry(rows, 212);
        var owned = new List<IDisposable>();
        try
        {
            using var cpuNet = new NeusColourNetwork<float>(CpuBackend.Shared, FeatureDim, null);
            var expected = CpuBackend.Shared.ToArray(cpuNet.BuildInput(Matrix(CpuBackend.Shared, features, FeatureDim, owned),
                Matrix(CpuBackend.Shared, gradient, 3, owned), directions, samples.RayIndices, s, rows).Data);
            if (device is not CudaBackend cuda) return CpuOnly();
            using var net = new NeusColourNetwork<float>(cuda, FeatureDim, null);
            using var ds = new DeviceRaySamples(cuda);
            ds.CopyFrom(samples);
            using var dirs = cuda.Upload<float>(directions);
            var got = cuda.ToArray(net.BuildInput(Matrix(cuda, features, FeatureDim, owned), Matrix(cuda, gradient, 3, owned), dirs.All, ds.RayIndices, s, rows).Data);
            return new(Parity.RelativeError(expected, got), Parity.Fp32Bound, $"{s} samples + 19 padding rows (SH kernel: Fp32Bound)");
        }
        finally { DisposeAll(owned); }
    }

    static ParityResult GeometryBackward(Backend device)
    {
        const int samples = 20_000;
        var (_, gradient) = Geometry(samples, 221);
        int width = FeatureDim + 3 + 16;
        var dLdInput = Parity.Random(samples * width, 222, -1f, 1f);
        var dFeatures0 = Parity.Random(samples * FeatureDim, 223, -1f, 1f);
        var dGradient0 = Parity.Random(samples * 3, 224, -1f, 1f);
        var owned = new List<IDisposable>();
        try
        {
            using var cpuNet = new NeusColourNetwork<float>(CpuBackend.Shared, FeatureDim, null);
            var ef = Matrix(CpuBackend.Shared, dFeatures0, FeatureDim, owned);
            var eg = Matrix(CpuBackend.Shared, dGradient0, 3, owned);
            cpuNet.AccumulateGeometryGradients(Matrix(CpuBackend.Shared, dLdInput, width, owned), Matrix(CpuBackend.Shared, gradient, 3, owned), ef, eg, samples);
            if (device is not CudaBackend cuda) return CpuOnly();
            using var net = new NeusColourNetwork<float>(cuda, FeatureDim, null);
            var gf = Matrix(cuda, dFeatures0, FeatureDim, owned);
            var gg = Matrix(cuda, dGradient0, 3, owned);
            net.AccumulateGeometryGradients(Matrix(cuda, dLdInput, width, owned), Matrix(cuda, gradient, 3, owned), gf, gg, samples);
            // The ε rows carry dL/dn̂·1e12: compare them apart from the rest, each relative to its own size.
            var e = CpuBackend.Shared.ToArray(eg.Data);
            var g = cuda.ToArray(gg.Data);
            List<float> eRegular = [], gRegular = [], eEpsilon = [], gEpsilon = [];
            for (int i = 0; i < e.Length; i++)
            {
                bool epsilonRow = i / 3 % 97 == 0;
                (epsilonRow ? eEpsilon : eRegular).Add(e[i]);
                (epsilonRow ? gEpsilon : gRegular).Add(g[i]);
            }
            return ParityResult.Worst(
                new(Parity.RelativeError(CpuBackend.Shared.ToArray(ef.Data), cuda.ToArray(gf.Data)), ValueBound, "dL/dfeatures"),
                new(Parity.RelativeError(eRegular.ToArray(), gRegular.ToArray()), ValueBound, "dL/d∇f"),
                new(Parity.RelativeError(eEpsilon.ToArray(), gEpsilon.ToArray()), ValueBound, "dL/d∇f at ‖∇f‖ = 0"));
        }
        finally { DisposeAll(owned); }
    }

    static ParityResult Loss(Backend device, string term, bool accumulate)
    {
        const int rays = 3001, samples = 20_011;
        var mode = accumulate ? GradientMode.Accumulate : GradientMode.Overwrite;
        bool perRay = term is "l1" or "mse" or "mask" or "opaque";
        int cols = term is "l1" or "mse" or "eikonal" ? 3 : 1;
        int rows = perRay ? rays : samples;
        var x = term switch
        {
            "mask" or "opaque" => Parity.Random(rows, 231, -0.01f, 1.01f), // both clamp edges
            "eikonal" => Parity.Random(rows * 3, 231, -1.2f, 1.2f),
            "sparsity" => Parity.Random(rows, 231, -0.5f, 0.5f),
            _ => Parity.Random(rows * 3, 231),
        };
        var y = Parity.Random(rows * cols, 232);
        var g0 = Parity.Random(rows * cols, 233, -1f, 1f);
        const float scale = 0.7f;
        var owned = new List<IDisposable>();
        try
        {
            var cb = CpuBackend.Shared;
            var cg = Matrix(cb, g0, cols, owned);
            double expected = term switch
            {
                "l1" => NeusLoss<float>.RgbL1(Matrix(cb, x, 3, owned), Matrix(cb, y, 3, owned), default, cg, scale, mode),
                "mse" => NeusLoss<float>.RgbMse(Matrix(cb, x, 3, owned), Matrix(cb, y, 3, owned), default, cg, scale, mode),
                "mask" => NeusLoss<float>.MaskBce(Matrix(cb, x, 1, owned), Matrix(cb, y, 1, owned), cg, scale, mode),
                "opaque" => NeusLoss<float>.Opaque(Matrix(cb, x, 1, owned), cg, scale, mode),
                "eikonal" => NeusLoss<float>.Eikonal(Matrix(cb, x, 3, owned), cg, scale, mode),
                _ => NeusLoss<float>.Sparsity(Matrix(cb, x, 1, owned), cg, 3f, scale, mode),
            };
            if (device is not CudaBackend cuda) return CpuOnly();
            using var loss = new NeusDeviceLoss(cuda);
            var dg = Matrix(cuda, g0, cols, owned);
            double got = term switch
            {
                "l1" => loss.RgbL1(Matrix(cuda, x, 3, owned), Matrix(cuda, y, 3, owned), dg, scale, mode),
                "mse" => loss.RgbMse(Matrix(cuda, x, 3, owned), Matrix(cuda, y, 3, owned), dg, scale, mode),
                "mask" => loss.MaskBce(Matrix(cuda, x, 1, owned), Matrix(cuda, y, 1, owned), dg, scale, mode),
                "opaque" => loss.Opaque(Matrix(cuda, x, 1, owned), dg, scale, mode),
                "eikonal" => loss.Eikonal(Matrix(cuda, x, 3, owned), dg, scale, mode),
                _ => loss.Sparsity(Matrix(cuda, x, 1, owned), dg, 3f, scale, mode),
            };
            return ParityResult.Worst(
                new(Math.Abs(got - expected) / Math.Max(Math.Abs(expected), 1e-30), Parity.Fp32Bound, $"value {got:G9} vs {expected:G9}"),
                new(Parity.RelativeError(cb.ToArray(cg.Data), cuda.ToArray(dg.Data)), Parity.Fp32Bound, $"gradient [{rows}, {cols}]"));
        }
        finally { DisposeAll(owned); }
    }

    static ParityResult Renderer(Backend device, bool perRayBackground)
    {
        var (samples, _, directions) = RandomSamples(2000, 241);
        int s = samples.Count, rays = samples.RayCount;
        var sdf = Parity.Random(s, 242, -0.3f, 0.3f);
        var gradient = Parity.Random(3 * s, 243, -1.2f, 1.2f);
        var rgb = Parity.Random(3 * s, 244);
        var background = Parity.Random(3 * rays, 245);
        var dColour = Parity.Random(3 * rays, 246, -1f, 1f);
        var dOpacity = Parity.Random(rays, 247, -1f, 1f);
        const float invS = 40f, ratio = 0.6f;
        var owned = new List<IDisposable>();
        try
        {
            var cb = CpuBackend.Shared;
            var renderer = new NeusRenderer<float>();
            var bgCpu = perRayBackground ? RayBackground<float>.PerRay(Matrix(cb, background, 3, owned)) : RayBackground<float>.Constant(0.2f, 0.4f, 0.9f);
            var inputs = new NeusRenderInputs<float>(samples, Matrix(cb, sdf, 1, owned), Matrix(cb, gradient, 3, owned), Matrix(cb, rgb, 3, owned),
                Matrix(cb, directions, 3, owned), invS, ratio, bgCpu);
            using var cpuOut = new NeusRenderOutput<float>(cb);
            renderer.Forward(inputs, cpuOut);
            var (eSdf, eGrad, eRgb) = (Matrix(cb, new float[s], 1, owned), Matrix(cb, new float[3 * s], 3, owned), Matrix(cb, new float[3 * s], 3, owned));
            double eInvS = renderer.Backward(inputs, cpuOut, Matrix(cb, dColour, 3, owned), eSdf, eGrad, eRgb, Matrix(cb, dOpacity, 1, owned));
            if (device is not CudaBackend cuda) return CpuOnly();
            using var ds = new DeviceRaySamples(cuda);
            ds.CopyFrom(samples);
            var bgDevice = perRayBackground ? RayBackground<float>.PerRay(Matrix(cuda, background, 3, owned)) : RayBackground<float>.Constant(0.2f, 0.4f, 0.9f);
            var x = new NeusDeviceRenderInputs<float>(ds, Matrix(cuda, sdf, 1, owned), Matrix(cuda, gradient, 3, owned), Matrix(cuda, rgb, 3, owned),
                Matrix(cuda, directions, 3, owned), invS, ratio, bgDevice);
            using var output = new NeusRenderOutput<float>(cuda);
            renderer.Forward(x, output);
            var (gSdf, gGrad, gRgb) = (Matrix(cuda, new float[s], 1, owned), Matrix(cuda, new float[3 * s], 3, owned), Matrix(cuda, new float[3 * s], 3, owned));
            renderer.Backward(x, output, Matrix(cuda, dColour, 3, owned), gSdf, gGrad, gRgb, Matrix(cuda, dOpacity, 1, owned));
            using var reductions = new CudaReductions(cuda);
            double gInvS = reductions.Sum(output.InvSPartialsOnDevice);
            var used = cuda.ToArray(output.UsedCountsOnDevice);
            if (!used.AsSpan().SequenceEqual(cpuOut.UsedCounts)) return new(double.PositiveInfinity, 0, "used counts differ");
            return ParityResult.Worst(
                new(Parity.RelativeError(cb.ToArray(cpuOut.Colour.Data), cuda.ToArray(output.Colour.Data)), Parity.Fp32Bound, "colour"),
                new(Parity.RelativeError(cb.ToArray(cpuOut.Opacity.Data), cuda.ToArray(output.Opacity.Data)), Parity.Fp32Bound, "opacity"),
                new(Parity.RelativeError(cb.ToArray(cpuOut.Depth.Data), cuda.ToArray(output.Depth.Data)), Parity.Fp32Bound, "depth"),
                new(Parity.RelativeError(cb.ToArray(cpuOut.Normal.Data), cuda.ToArray(output.Normal.Data)), Parity.Fp32Bound, "normal"),
                new(Parity.RelativeError(cb.ToArray(eSdf.Data), cuda.ToArray(gSdf.Data)), Parity.Fp32Bound, "dL/dsdf"),
                new(Parity.RelativeError(cb.ToArray(eGrad.Data), cuda.ToArray(gGrad.Data)), Parity.Fp32Bound, "dL/d∇f"),
                new(Parity.RelativeError(cb.ToArray(eRgb.Data), cuda.ToArray(gRgb.Data)), Parity.Fp32Bound, "dL/drgb"),
                new(Math.Abs(gInvS - eInvS) / Math.Max(Math.Abs(eInvS), 1e-30), Parity.Fp32Bound, $"dL/dinv_s {gInvS:G9} vs {eInvS:G9}"));
        }
        finally { DisposeAll(owned); }
    }
}
