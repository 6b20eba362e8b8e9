using System.Globalization;
using NgpSharp.Compute;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of the grid encoding (HashGrid.cu): forward, dL/dparams, dL/dinput over dims 1–4, F 1/2/4/8,
/// Hash/Dense/Tiled, Nearest/Linear/Smoothstep, ActiveLevels, padding, gradient modes, fp32 and fp16 parameters, and
/// batch sizes that are not multiples of the block size. Parameters are uniform in ±1 so outputs are O(1).
/// </summary>
/// <remarks>
/// Bounds. fp32: <see cref="Parity.Fp32Bound"/> — cells are identical on both sides (pos = fma(x, scale, 0.5) with
/// the same host-computed scale), so only rounding of weights (FMA contraction) and the order of atomic additions
/// differ, ~1e-6 relative. fp16: <see cref="Parity.Fp16Bound"/> (2e-2) — rounding θ to fp16 moves outputs and input
/// gradients by ~2^-11 relative (5e-4); the fp16 gradient accumulator (tiny-cuda-nn's) rounds every atomic add to
/// ulp(running sum)/2, which grows like √(contributions per entry): a simulation of the coarse dense levels used below
/// (≥ 256 vertices, ≤ 16k samples, or 64 vertices and 3k samples) gives 3e-3 to 9e-3 relative to the largest
/// gradient; a host emulation of the kernels (sequential fp16 adds) measured outputs 2.4e-4, input gradients 2e-4 and
/// parameter gradients 1e-3 to 5e-3 on these checks. Larger batches onto few vertices exceed 2e-2 (by design of fp16
/// accumulation, not a bug), so the fp16 checks keep to those sizes.
/// </remarks>
public static class HashGridParityChecks
{
    /// <summary>A grid configuration; <see cref="Create"/> builds it on a backend.</summary>
    public sealed record GridSpec(int Dims, int Features = 2, int Levels = 8, int Log2HashmapSize = 14, int BaseResolution = 16,
        double PerLevelScale = 1.5, GridType Type = GridType.Hash, GridInterpolation Interpolation = GridInterpolation.Linear,
        GridParameterPrecision Precision = GridParameterPrecision.Float32, int ActiveLevels = -1, int Alignment = 1)
    {
        public HashGrid<float> Create(Backend backend)
        {
            var grid = new HashGrid<float>(backend, Dims, Levels, Features, Log2HashmapSize, BaseResolution, PerLevelScale, Type, Interpolation)
            {
                ParameterPrecision = Precision,
            };
            if (ActiveLevels >= 0) grid.ActiveLevels = ActiveLevels;
            if (Alignment > 1) grid.SetAlignment(Alignment);
            return grid;
        }

        public bool Half => Precision == GridParameterPrecision.Float16;

        public override string ToString()
        {
            var s = string.Create(CultureInfo.InvariantCulture,
                $"{Dims}D F{Features} L{Levels} {Type.ToString().ToLowerInvariant()} {Interpolation.ToString().ToLowerInvariant()} {(Half ? "fp16" : "fp32")}");
            if (ActiveLevels >= 0) s += $" active {ActiveLevels}";
            if (Alignment > 1) s += $" aligned {Alignment}";
            return s;
        }
    }

    /// <summary>tiny-cuda-nn's config_hash.json grid: 2D, L16, F2, T = 2^15, N_min 16, b 1.5.</summary>
    public static GridSpec ConfigHash(GridParameterPrecision precision = GridParameterPrecision.Float32) =>
        new(2, 2, 16, 15, 16, 1.5, Precision: precision);

    public static IEnumerable<ParityCheck> Checks()
    {
        const int B = 3001, Big = (1 << 16) + 1;
        var fp16 = GridParameterPrecision.Float16;

        // Features × dims on hashed grids (coarse levels dense, fine levels hashed).
        foreach (int dims in new[] { 2, 3 })
            foreach (int features in new[] { 1, 2, 4, 8 })
                yield return Module(new GridSpec(dims, features), B);

        // 1D and 4D.
        yield return Module(new GridSpec(1, 2, 12, 14, 16, 2.0), B);
        yield return Module(new GridSpec(1, 1, 6, 14, 16, 2.0, GridType.Dense, GridInterpolation.Smoothstep), B);
        yield return Module(new GridSpec(4, 2, 6, 12, 4, 1.5), B);
        yield return Module(new GridSpec(4, 8, 4, 12, 4, 1.5, GridType.Dense), B);

        // Dense and tiled indexing (non-power-of-two table sizes: the modulo path); tile base 6 → 36 / 216 entries.
        yield return Module(new GridSpec(2, 2, 8, 14, 16, 1.5, GridType.Dense), B);
        yield return Module(new GridSpec(3, 2, 6, 14, 4, 1.5, GridType.Dense), B);
        yield return Module(new GridSpec(2, 2, 6, 14, 6, 1.5, GridType.Tiled), B);
        yield return Module(new GridSpec(3, 4, 6, 14, 6, 1.5, GridType.Tiled), B);

        // Interpolations.
        yield return Module(new GridSpec(2, 2, Interpolation: GridInterpolation.Smoothstep), B);
        yield return Module(new GridSpec(3, 2, Interpolation: GridInterpolation.Smoothstep), Big);
        yield return Module(new GridSpec(2, 2, Interpolation: GridInterpolation.Nearest), B);
        yield return Module(new GridSpec(3, 4, Interpolation: GridInterpolation.Nearest), B);

        // Inputs outside [0, 1): negative cells wrap as uint32, as on the CPU.
        yield return Module(new GridSpec(3, 2), B, inputLo: -0.25f, inputHi: 1.25f);
        yield return Module(new GridSpec(2, 2, 6, 14, 8, 1.5, GridType.Dense), B, inputLo: -0.25f, inputHi: 1.25f);

        // Progressive levels, input gradients off, batch edges, padded output.
        yield return Module(new GridSpec(3, 2, ActiveLevels: 5), Big);
        yield return Module(new GridSpec(2, 2, ActiveLevels: 0), B);
        yield return Module(new GridSpec(3, 2), Big, inputGradients: false);
        yield return Module(new GridSpec(2, 2), 1);
        yield return Module(new GridSpec(2, 4), Big);
        yield return Module(new GridSpec(2, 2, 3, Alignment: 16), B);

        // fp16 parameters (F = 1 accumulates gradients in fp32, F ≥ 2 in fp16 pairs).
        yield return Module(new GridSpec(2, 2, Precision: fp16), B);
        yield return Module(new GridSpec(3, 2, Precision: fp16), 16385);
        yield return Module(new GridSpec(2, 1, Precision: fp16), B);
        yield return Module(new GridSpec(3, 4, Interpolation: GridInterpolation.Smoothstep, Precision: fp16), B);
        yield return Module(new GridSpec(3, 8, 6, 14, 4, 1.5, GridType.Dense, Precision: fp16), B);
        yield return Module(new GridSpec(3, 2, 6, 14, 6, 1.5, GridType.Tiled, Precision: fp16), B);
        yield return Module(new GridSpec(3, 2, Precision: fp16, ActiveLevels: 5), B);
        yield return Module(new GridSpec(4, 4, 4, 12, 4, 1.5, Precision: fp16), B);
        yield return Module(new GridSpec(2, 2, Interpolation: GridInterpolation.Nearest, Precision: fp16), B);

        // The image-learning configuration at full batch.
        yield return Module(ConfigHash(), 1 << 16);
        yield return Module(ConfigHash(fp16), 1 << 14);

        // Gradient modes and the fp16 copy's refresh.
        yield return GradientModes(new GridSpec(3, 2, ActiveLevels: 6), B);
        yield return GradientModes(new GridSpec(3, 2, Precision: fp16, ActiveLevels: 6), B);
        yield return GradientModes(new GridSpec(2, 1, Precision: fp16), B);
        yield return ParamsRefresh(new GridSpec(3, 4, Precision: fp16), B);
    }

    static double BoundFor(GridSpec spec) => spec.Half ? Parity.Fp16Bound : Parity.Fp32Bound;

    static ParityCheck Module(GridSpec spec, int batch, bool inputGradients = true, float inputLo = 0f, float inputHi = 1f)
    {
        string name = string.Create(CultureInfo.InvariantCulture, $"hashgrid {spec} B{batch}")
            + (inputGradients ? "" : " no-dx") + (inputLo < 0 ? " x∈[-0.25,1.25)" : "");
        return new ParityCheck(name, (cpu, device) => Parity.CompareModule(cpu, device, spec.Create, batch, BoundFor(spec),
            inputGradients, inputLo, inputHi, paramScale: 1f));
    }

    /// <summary>
    /// Backward with Accumulate onto nonzero gradients (g0 + dL/dθ), then with Ignore (gradients untouched, dL/dx
    /// still computed).
    /// </summary>
    static ParityCheck GradientModes(GridSpec spec, int batch) =>
        new($"hashgrid {spec} B{batch} accumulate+ignore", (cpu, device) =>
        {
            var a = RunGradientModes(cpu, spec, batch);
            var b = RunGradientModes(device, spec, batch);
            double bound = BoundFor(spec);
            return ParityResult.Worst(
                new(Parity.RelativeError(a.Accumulated, b.Accumulated), bound, "dL/dparams (Accumulate)"),
                new(Parity.RelativeError(a.AfterIgnore, b.AfterIgnore), bound, "dL/dparams (after Ignore)"),
                new(Parity.RelativeError(a.DLdInput, b.DLdInput), bound, "dL/dinput (Ignore)"));
        });

    static (float[] Accumulated, float[] AfterIgnore, float[] DLdInput) RunGradientModes(Backend be, GridSpec spec, int batch)
    {
        using var grid = spec.Create(be);
        int n = (int)grid.ParamCount;
        using var p = be.Upload<float>(Parity.Random(n, 11, -1f, 1f));
        using var g = be.Upload<float>(Parity.Random(n, 12, -0.5f, 0.5f));
        grid.SetParams(p.All, g.All);
        using var x = be.Upload<float>(Parity.Random(batch * grid.InputWidth, 13));
        using var dy = be.Upload<float>(Parity.Random(batch * grid.OutputWidth, 14, -1f, 1f));
        using var yb = be.AllocateMatrix<float>(batch, grid.OutputWidth, out var y);
        using var dxb = be.AllocateMatrix<float>(batch, grid.InputWidth, out var dx);
        var xm = x.AsMatrix(batch, grid.InputWidth);
        var dym = dy.AsMatrix(batch, grid.OutputWidth);
        using (var ctx = grid.Forward(xm, y))
        {
            grid.Backward(ctx, xm, y, dym, null, GradientMode.Accumulate);
            be.Synchronize();
            var accumulated = be.ToArray(g.All);
            grid.Backward(ctx, xm, y, dym, dx, GradientMode.Ignore);
            be.Synchronize();
            return (accumulated, be.ToArray(g.All), be.ToArray(dx.Data));
        }
    }

    /// <summary>Forward, new parameter values in the same buffer, Forward again: the second output must use the new values.</summary>
    static ParityCheck ParamsRefresh(GridSpec spec, int batch) =>
        new($"hashgrid {spec} B{batch} params refreshed per forward", (cpu, device) =>
        {
            var a = RunTwice(cpu, spec, batch);
            var b = RunTwice(device, spec, batch);
            return new ParityResult(Parity.RelativeError(a, b), BoundFor(spec), "forward after a parameter update");
        });

    static float[] RunTwice(Backend be, GridSpec spec, int batch)
    {
        using var grid = spec.Create(be);
        int n = (int)grid.ParamCount;
        using var p = be.Upload<float>(Parity.Random(n, 21, -1f, 1f));
        using var g = be.Allocate<float>(n);
        grid.SetParams(p.All, g.All);
        using var x = be.Upload<float>(Parity.Random(batch * grid.InputWidth, 22));
        using var yb = be.AllocateMatrix<float>(batch, grid.OutputWidth, out var y);
        var xm = x.AsMatrix(batch, grid.InputWidth);
        grid.Inference(xm, y);
        be.CopyFromHost<float>(Parity.Random(n, 23, -1f, 1f), p.All);
        grid.Inference(xm, y);
        be.Synchronize();
        return be.ToArray(y.Data);
    }
}
