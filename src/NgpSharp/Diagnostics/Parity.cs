using NgpSharp.Compute;
using NgpSharp.Nn;

namespace NgpSharp.Diagnostics;

/// <summary>Helpers for CPU-vs-device comparisons.</summary>
public static class Parity
{
    /// <summary>Error bounds per precision: fp32 kernels vs the CPU reference, and fp16 (tensor-core / half params).</summary>
    public const double Fp32Bound = 1e-4, Fp16Bound = 2e-2;

    /// <summary>max |device − cpu| / max(max |cpu|, 1e-6); NaN/Inf anywhere on the device gives +∞.</summary>
    public static double RelativeError(ReadOnlySpan<float> cpu, ReadOnlySpan<float> device)
    {
        if (cpu.Length != device.Length) throw new ArgumentException($"lengths differ: cpu {cpu.Length}, device {device.Length}");
        double scale = 1e-6, worst = 0;
        for (int i = 0; i < cpu.Length; i++)
        {
            if (!float.IsFinite(device[i]) && float.IsFinite(cpu[i])) return double.PositiveInfinity;
            scale = Math.Max(scale, Math.Abs(cpu[i]));
            worst = Math.Max(worst, Math.Abs((double)device[i] - cpu[i]));
        }
        return worst / scale;
    }

    /// <summary>Uniform random floats in [lo, hi).</summary>
    public static float[] Random(int count, ulong seed, float lo = 0f, float hi = 1f)
    {
        var rng = new Rng(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = lo + (hi - lo) * rng.NextFloat();
        return values;
    }

    /// <summary>
    /// Builds the same module on both backends (<paramref name="create"/> is called with each), gives both the
    /// same parameters and inputs, and compares Forward outputs, parameter gradients and (when
    /// <paramref name="inputGradients"/>) input gradients. Inputs are uniform in [inputLo, inputHi).
    /// </summary>
    public static ParityResult CompareModule(Backend cpu, Backend device, Func<Backend, DifferentiableObject<float>> create,
        int batch, double bound, bool inputGradients = true, float inputLo = 0f, float inputHi = 1f, float paramScale = 1f, ulong seed = 1)
    {
        using var a = create(cpu);
        using var b = create(device);
        if (a.ParamCount != b.ParamCount) return new ParityResult(double.PositiveInfinity, bound, $"parameter counts differ: {a.ParamCount} vs {b.ParamCount}");
        var theta = Random((int)a.ParamCount, seed, -paramScale, paramScale);
        var x = Random(batch * a.InputWidth, seed + 1, inputLo, inputHi);
        var dy = Random(batch * a.OutputWidth, seed + 2, -1f, 1f);
        var (ya, ga, dxa) = Run(a, theta, x, dy, batch, inputGradients);
        var (yb, gb, dxb) = Run(b, theta, x, dy, batch, inputGradients);
        var results = new List<ParityResult>
        {
            new(RelativeError(ya, yb), bound, "forward"),
        };
        if (a.ParamCount > 0) results.Add(new(RelativeError(ga, gb), bound, "dL/dparams"));
        if (inputGradients) results.Add(new(RelativeError(dxa, dxb), bound, "dL/dinput"));
        return ParityResult.Worst([.. results]);
    }

    static (float[] y, float[] g, float[] dx) Run(DifferentiableObject<float> m, float[] theta, float[] x, float[] dy, int batch, bool inputGradients)
    {
        var be = m.Backend;
        using var p = be.Upload<float>(theta);
        using var g = be.Allocate<float>(Math.Max(1, theta.Length));
        m.SetParams(p.All.Slice(0, theta.Length), g.All.Slice(0, theta.Length));
        using var xb = be.Upload<float>(x);
        using var yb = be.AllocateMatrix<float>(batch, m.OutputWidth, out var y);
        using var dyb = be.Upload<float>(dy);
        using var dxb = be.AllocateMatrix<float>(batch, m.InputWidth, out var dx);
        var xm = xb.AsMatrix(batch, m.InputWidth);
        using (var ctx = m.Forward(xm, y))
            m.Backward(ctx, xm, y, dyb.AsMatrix(batch, m.OutputWidth), inputGradients ? dx : null, GradientMode.Overwrite);
        be.Synchronize();
        return (be.ToArray(y.Data), be.ToArray(g.All.Slice(0, theta.Length)), be.ToArray(dx.Data));
    }
}
