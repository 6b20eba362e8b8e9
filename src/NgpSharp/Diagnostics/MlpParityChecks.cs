using System.Globalization;
using NgpSharp.Compute;
using NgpSharp.Nn;
using NgpSharp.Nn.Networks;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-CUDA checks of <see cref="Mlp{T}"/>: the fp32 kernels (Mlp.cu) and the fused fp16 tensor-core kernels
/// (FullyFusedMlp.cu). Each check compares the training forward, inference, dL/dparams with GradientMode
/// Overwrite and Accumulate, that Ignore leaves the gradients untouched, and dL/dinput.
/// </summary>
/// <remarks>
/// Parameters are uniform in ±sqrt(3 / n_neurons) (Xavier's bound for square layers) so activations stay O(1)
/// through the layers; inputs uniform in [0, 1), dL/dy uniform in [−1, 1).
/// <para>Kinks: ReLU and LeakyReLU switch f' between 1 and 0 (0.01) at 0. A pre-activation within rounding of 0
/// can land on different sides on the two backends (fp32: |Δx| ~ 1e-7·σ, so P ≈ 1e-7 per unit; fp16: ~3e-4·σ,
/// P ≈ 2e-4), and one flip changes a row's dL/dinput by a whole term (~1/√width of it) and a dW entry by one of
/// B terms (~1/√B of it) — far above 1e-4. So kinked activations are compared in full only where the expected
/// number of flips is ≪ 1 (fp32, ≤ 37 rows), and on forward outputs only (which are continuous) elsewhere.
/// The backward kernels are the same code for every activation except f', so the smooth activations (Tanh,
/// Softplus, ...) test them at every size.</para>
/// <para>Bounds: fp32 — <see cref="Parity.Fp32Bound"/> (1e-4; the sums differ only in order, ~1e-6 expected).
/// fp16 — <see cref="Parity.Fp16Bound"/> (2e-2): activations, weights and δs are rounded to fp16 (relative
/// 2^-11 ≈ 4.9e-4 each) with fp32 accumulation; through 3–4 layers the errors add to ~2e-3 relative to the
/// largest value, 10× below the bound.</para>
/// </remarks>
public static class MlpParityChecks
{
    [Flags]
    enum Parts { Forward = 1, Gradients = 2, All = 3 }

    static readonly Activation[] Smooth =
        [Activation.None, Activation.Exponential, Activation.Sine, Activation.Sigmoid, Activation.Squareplus, Activation.Softplus, Activation.Tanh];

    static bool IsKinked(Activation a) => a is Activation.ReLU or Activation.LeakyReLU;

    /// <summary>All MLP parity checks.</summary>
    public static IEnumerable<ParityCheck> Checks()
    {
        // ---- fp32 path ----
        // Every activation, hidden and output, on a small batch (full comparison is safe for kinks there).
        foreach (var act in Enum.GetValues<Activation>())
            yield return Fp32(32, 64, 2, 3, act, act, 37, Parts.All);
        // Smooth activations at a realistic batch (tail of 1 row past a 64-row tile).
        foreach (var act in Smooth)
            yield return Fp32(16, 32, 1, 16, act, act == Activation.Exponential ? Activation.None : act, 4097, Parts.All);
        // Shapes: widths 16/32/64/128 and others, hidden 0–3, outputs 1/3/16, unaligned inputs, batch 1.
        foreach (var (inW, width, hidden, outW) in new[] { (16, 16, 0, 1), (32, 32, 1, 3), (64, 64, 2, 16), (32, 128, 3, 3), (3, 64, 2, 3), (16, 48, 1, 5) })
        {
            yield return Fp32(inW, width, hidden, outW, Activation.ReLU, Activation.None, 1, Parts.All);
            yield return Fp32(inW, width, hidden, outW, Activation.ReLU, Activation.None, 37, Parts.All);
            yield return Fp32(inW, width, hidden, outW, Activation.ReLU, Activation.None, 4097, Parts.Forward);
            yield return Fp32(inW, width, hidden, outW, Activation.Tanh, Activation.None, 4097, Parts.All);
        }
        yield return Fp32(64, 128, 3, 16, Activation.Softplus, Activation.None, 1 << 16, Parts.All);
        yield return Fp32(32, 64, 2, 3, Activation.Sigmoid, Activation.Sine, 1 << 16, Parts.All);
        yield return Fp32(64, 128, 3, 16, Activation.ReLU, Activation.None, 1 << 16, Parts.Forward);

        // ---- fused fp16 path ----
        foreach (int width in new[] { 16, 32, 64, 128 })
        {
            yield return Fused(32, width, 2, 3, Activation.Tanh, Activation.None, 4097, Parts.All);
            yield return Fused(32, width, 2, 16, Activation.ReLU, Activation.None, 4097, Parts.Forward);
            yield return Fused(64, width, 3, 1, Activation.Softplus, Activation.Sigmoid, 1 << 16, Parts.All);
        }
        foreach (var act in Smooth)
            yield return Fused(32, 64, 2, 3, act, act == Activation.Exponential ? Activation.None : act, 4097, Parts.All);
        yield return Fused(32, 64, 2, 3, Activation.LeakyReLU, Activation.LeakyReLU, 4097, Parts.Forward);
        yield return Fused(27, 32, 1, 5, Activation.Tanh, Activation.None, 37, Parts.All);   // input padded 27 → 32
        yield return Fused(128, 64, 1, 16, Activation.Squareplus, Activation.None, 1, Parts.All);
        yield return Fused(16, 16, 0, 3, Activation.None, Activation.Tanh, 4097, Parts.All);  // one layer
        yield return Fused(16, 128, 4, 16, Activation.Tanh, Activation.Exponential, 1 << 16, Parts.All);
    }

    static string Name(string path, int inW, int width, int hidden, int outW, Activation act, Activation outAct, int batch, Parts parts) =>
        string.Create(CultureInfo.InvariantCulture,
            $"mlp {path} in{inW} w{width} h{hidden} out{outW} {act}/{outAct} B={batch}{(parts == Parts.Forward ? " (forward)" : "")}");

    static ParityCheck Fp32(int inW, int width, int hidden, int outW, Activation act, Activation outAct, int batch, Parts parts) =>
        new(Name("fp32", inW, width, hidden, outW, act, outAct, batch, parts), (cpu, device) => Compare(cpu, device,
            // FullyFusedMLP widths keep that otype, so these also check that Precision = Float32 forces the fp32 path.
            be => new Mlp<float>(be, inW, outW, width, hidden, act, outAct, width is 16 or 32 or 64 or 128 ? "FullyFusedMLP" : "CutlassMLP")
            {
                Precision = CudaPrecision.Float32,
            },
            batch, Parity.Fp32Bound, parts, MathF.Sqrt(3f / width), expectFused: false));

    static ParityCheck Fused(int inW, int width, int hidden, int outW, Activation act, Activation outAct, int batch, Parts parts) =>
        new(Name("fused fp16", inW, width, hidden, outW, act, outAct, batch, parts), (cpu, device) => Compare(cpu, device,
            be => new Mlp<float>(be, inW, outW, width, hidden, act, outAct, "FullyFusedMLP"),
            batch, Parity.Fp16Bound, parts, MathF.Sqrt(3f / width), expectFused: true))
        { DeviceOnly = true, HeavyForEmulator = batch > 8192 };

    static ParityResult Compare(Backend cpu, Backend device, Func<Backend, Mlp<float>> create, int batch, double bound, Parts parts,
        float paramScale, bool expectFused, ulong seed = 7)
    {
        using var a = create(cpu);
        using var b = create(device);
        if (b.UsesFusedFloat16 != expectFused)
            return new ParityResult(double.PositiveInfinity, bound, $"the device ran the {(b.UsesFusedFloat16 ? "fused fp16" : "fp32")} path");
        var theta = Parity.Random((int)a.ParamCount, seed, -paramScale, paramScale);
        var x = Parity.Random(batch * a.InputWidth, seed + 1);
        var dy = Parity.Random(batch * a.OutputWidth, seed + 2, -1f, 1f);
        var prior = Parity.Random((int)a.ParamCount, seed + 3, -1f, 1f);
        var ra = Run(a, theta, x, dy, prior, batch, parts);
        var rb = Run(b, theta, x, dy, prior, batch, parts);
        var results = new List<ParityResult>
        {
            new(Parity.RelativeError(ra.Y, rb.Y), bound, "forward"),
            new(Parity.RelativeError(ra.Y, rb.YInference), bound, "inference"),
        };
        if (parts.HasFlag(Parts.Gradients))
        {
            results.Add(new(Parity.RelativeError(ra.G, rb.G), bound, "dL/dparams"));
            results.Add(new(Parity.RelativeError(ra.GAccumulated, rb.GAccumulated), bound, "dL/dparams (Accumulate)"));
            results.Add(new(Parity.RelativeError(rb.GAccumulated, rb.GAfterIgnore), 0, "gradients after Ignore"));
            results.Add(new(Parity.RelativeError(ra.Dx, rb.Dx), bound, "dL/dinput"));
        }
        return ParityResult.Worst([.. results]);
    }

    sealed record Outputs(float[] Y, float[] YInference, float[] GAccumulated, float[] GAfterIgnore, float[] G, float[] Dx);

    static Outputs Run(Mlp<float> m, float[] theta, float[] x, float[] dy, float[] prior, int batch, Parts parts)
    {
        var be = m.Backend;
        using var p = be.Upload<float>(theta);
        using var g = be.Upload<float>(prior);
        m.SetParams(p.All, g.All);
        using var xb = be.Upload<float>(x);
        var xm = xb.AsMatrix(batch, m.InputWidth);
        using var yb = be.AllocateMatrix<float>(batch, m.OutputWidth, out var y);
        using var yib = be.AllocateMatrix<float>(batch, m.OutputWidth, out var yi);
        m.Inference(xm, yi);
        float[] gAcc = [], gIgnore = [], gOver = [], dxOut = [];
        using (var ctx = m.Forward(xm, y))
        {
            if (parts.HasFlag(Parts.Gradients))
            {
                using var dyb = be.Upload<float>(dy);
                var dym = dyb.AsMatrix(batch, m.OutputWidth);
                using var dxb = be.AllocateMatrix<float>(batch, m.InputWidth, out var dx);
                m.Backward(ctx, xm, y, dym, null, GradientMode.Accumulate);
                gAcc = be.ToArray(g.All);
                m.Backward(ctx, xm, y, dym, dx, GradientMode.Ignore);
                gIgnore = be.ToArray(g.All);
                m.Backward(ctx, xm, y, dym, null, GradientMode.Overwrite);
                gOver = be.ToArray(g.All);
                dxOut = be.ToArray(dx.Data);
            }
        }
        be.Synchronize();
        return new Outputs(be.ToArray(y.Data), be.ToArray(yi.Data), gAcc, gIgnore, gOver, dxOut);
    }
}
