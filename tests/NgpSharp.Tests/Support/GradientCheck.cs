using NgpSharp.Compute;
using NgpSharp.Nn;
using Xunit;

namespace NgpSharp.Tests.Support;

/// <summary>
/// Checks a module's Backward against float64 central differences of L = Σ w ⊙ f(x; θ) for random weights w,
/// for parameter gradients and input gradients, plus the Overwrite / Accumulate / Ignore contract and
/// Inference == Forward.
/// </summary>
public static class GradientCheck
{
    public sealed record Options
    {
        public double Epsilon { get; init; } = 1e-6;
        /// <summary>Allowed |analytic − numeric| relative to the largest gradient magnitude.</summary>
        public double Tolerance { get; init; } = 1e-5;
        public bool CheckParams { get; init; } = true;
        public bool CheckInput { get; init; } = true;
        /// <summary>At most this many parameters are perturbed (the largest-gradient ones plus random others).</summary>
        public int MaxParams { get; init; } = 300;
        public int MaxInputs { get; init; } = 300;
        public ulong Seed { get; init; } = 1234;
    }

    /// <summary>Runs all checks. <paramref name="parameters"/> defaults to the module's own initialisation.</summary>
    public static void Check(DifferentiableObject<double> module, double[] input, double[]? parameters = null, Options? options = null)
    {
        options ??= new Options();
        var backend = module.Backend;
        int inW = module.InputWidth, outW = module.OutputWidth;
        Assert.True(input.Length % inW == 0, "input length is not a multiple of the input width");
        int batch = input.Length / inW;
        var rng = new Rng(options.Seed);

        long pCount = module.ParamCount;
        using var pBuf = backend.Allocate<double>(pCount);
        using var gBuf = backend.Allocate<double>(pCount);
        if (parameters is null) module.InitializeParams(ref rng, pBuf.All);
        else { Assert.Equal(pCount, parameters.LongLength); backend.CopyFromHost<double>(parameters, pBuf.All); }
        module.SetParams(pBuf.All, gBuf.All);
        var theta = pBuf.All.AsSpan();

        using var xBuf = backend.Upload<double>(input);
        var x = xBuf.AsMatrix(batch, inW);
        using var yBuf = backend.AllocateMatrix<double>(batch, outW, out var y);
        var w = new double[batch * outW];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() * 2 - 1;
        using var wBuf = backend.Upload<double>(w);
        var dLdy = wBuf.AsMatrix(batch, outW);
        using var dxBuf = backend.AllocateMatrix<double>(batch, inW, out var dLdx);

        double Loss()
        {
            module.Inference(x, y);
            var ys = y.AsSpan();
            double sum = 0;
            for (int i = 0; i < ys.Length; i++) sum += w[i] * ys[i];
            return sum;
        }

        // Forward vs inference agree.
        using (var ctx0 = module.Forward(x, y)) { }
        var yForward = y.AsSpan().ToArray();
        module.Inference(x, y);
        Assert.Equal(yForward, y.AsSpan().ToArray());

        using (var ctx = module.Forward(x, y))
            module.Backward(ctx, x, y, dLdy, options.CheckInput ? dLdx : null, GradientMode.Overwrite);
        var gParams = gBuf.All.AsSpan().ToArray();
        var gInput = dLdx.AsSpan().ToArray();

        if (options.CheckParams && pCount > 0)
        {
            var idx = Pick(gParams, options.MaxParams, ref rng);
            var numeric = new double[idx.Length];
            for (int k = 0; k < idx.Length; k++)
            {
                long i = idx[k];
                double keep = theta[(int)i];
                theta[(int)i] = keep + options.Epsilon; double lp = Loss();
                theta[(int)i] = keep - options.Epsilon; double lm = Loss();
                theta[(int)i] = keep;
                numeric[k] = (lp - lm) / (2 * options.Epsilon);
            }
            Compare("dL/dparams", idx, gParams, numeric, options.Tolerance, module);

            // Accumulate adds, Ignore leaves alone.
            var gb = gBuf.All.AsSpan();
            gb.Fill(0.5);
            using (var ctx = module.Forward(x, y))
                module.Backward(ctx, x, y, dLdy, null, GradientMode.Accumulate);
            for (int i = 0; i < gParams.Length; i++)
                Assert.True(Math.Abs(gb[i] - (0.5 + gParams[i])) <= 1e-9 * (1 + Math.Abs(gParams[i])), $"Accumulate mode: param {i} is {gb[i]}, expected 0.5 + {gParams[i]}");
            gb.Fill(0.25);
            using (var ctx = module.Forward(x, y))
                module.Backward(ctx, x, y, dLdy, null, GradientMode.Ignore);
            for (int i = 0; i < gParams.Length; i++) Assert.Equal(0.25, gb[i]);
        }

        if (options.CheckInput)
        {
            var xs = x.AsSpan();
            var idx = Pick(gInput, options.MaxInputs, ref rng);
            var numeric = new double[idx.Length];
            for (int k = 0; k < idx.Length; k++)
            {
                int i = (int)idx[k];
                double keep = xs[i];
                xs[i] = keep + options.Epsilon; double lp = Loss();
                xs[i] = keep - options.Epsilon; double lm = Loss();
                xs[i] = keep;
                numeric[k] = (lp - lm) / (2 * options.Epsilon);
            }
            Compare("dL/dinput", idx, gInput, numeric, options.Tolerance, module);
        }
    }

    static long[] Pick(double[] grads, int max, ref Rng rng)
    {
        if (grads.Length <= max) return Enumerable.Range(0, grads.Length).Select(i => (long)i).ToArray();
        var largest = Enumerable.Range(0, grads.Length).OrderByDescending(i => Math.Abs(grads[i])).Take(max / 2);
        var set = new HashSet<long>(largest.Select(i => (long)i));
        while (set.Count < max) set.Add(rng.NextUInt((uint)grads.Length));
        return set.Order().ToArray();
    }

    static void Compare(string what, long[] idx, double[] analytic, double[] numeric, double tol, object module)
    {
        double scale = 1e-12;
        foreach (var v in numeric) scale = Math.Max(scale, Math.Abs(v));
        foreach (var i in idx) scale = Math.Max(scale, Math.Abs(analytic[i]));
        Assert.True(scale > 1e-10, $"{module.GetType().Name} {what}: all gradients are zero; the check would prove nothing");
        double worst = 0; long worstAt = -1;
        for (int k = 0; k < idx.Length; k++)
        {
            double err = Math.Abs(analytic[idx[k]] - numeric[k]) / scale;
            if (err > worst) { worst = err; worstAt = k; }
        }
        Assert.True(worst <= tol,
            $"{module.GetType().Name} {what}: relative error {worst:E3} at index {idx[Math.Max(0, worstAt)]} (analytic {analytic[idx[Math.Max(0, worstAt)]]:E6}, numeric {numeric[Math.Max(0, worstAt)]:E6}) exceeds {tol:E1}");
    }
}
