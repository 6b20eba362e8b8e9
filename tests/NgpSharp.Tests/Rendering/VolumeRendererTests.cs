using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class VolumeRendererTests
{
    static readonly double Ln2 = Math.Log(2);

    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    static VolumeRenderer<double> NoTermination => new(0);

    [Fact]
    public void OneSample_SigmaDeltaLn2_HalfAlpha_ColourOpacityDepthAndBackground()
    {
        // δ = 1, σ = ln 2 → α = 0.5; raw colour 0 → c = 0.5; t_mid = 1.5.
        using var f = new RenderFixture<double>([[(1f, 2f)]], [Math.Log(Ln2)], [0, 0, 0]) { BackgroundConstant = (0.2, 0.4, 0.6) };
        var o = f.Forward(NoTermination, weights: true);
        Assert.Equal(0.5, o.Opacity.AsSpan()[0], 12);
        Assert.Equal(0.75, o.Depth.AsSpan()[0], 12);
        Assert.Equal(0.5, o.Weights.AsSpan()[0], 12);
        Assert.Equal([0.25, 0.25, 0.25], o.Foreground.AsSpan().ToArray().Select(v => Math.Round(v, 12)));
        Assert.Equal([0.35, 0.45, 0.55], o.Colour.AsSpan().ToArray().Select(v => Math.Round(v, 12)));
        Assert.Equal(1, o.UsedCounts[0]);
    }

    [Fact]
    public void TwoSamples_WeightsHalfAndQuarter()
    {
        // Both α = 0.5: w = 0.5, 0.25; colours sigmoid(±ln 3) = 0.75 / 0.25.
        double l3 = Math.Log(3), raw = Math.Log(Ln2);
        using var f = new RenderFixture<double>([[(0f, 1f), (1f, 2f)]], [raw, raw], [l3, -l3, 0, -l3, l3, 0]) { BackgroundConstant = (1, 1, 1) };
        var o = f.Forward(NoTermination, weights: true);
        Assert.Equal([0.5, 0.25], o.Weights.AsSpan().ToArray().Select(v => Math.Round(v, 12)));
        Assert.Equal(0.75, o.Opacity.AsSpan()[0], 12);
        Assert.Equal(0.5 * 0.5 + 0.25 * 1.5, o.Depth.AsSpan()[0], 12);
        double[] fg = [0.5 * 0.75 + 0.25 * 0.25, 0.5 * 0.25 + 0.25 * 0.75, 0.75 * 0.5];
        Assert.Equal(fg.Select(v => Math.Round(v, 12)), o.Foreground.AsSpan().ToArray().Select(v => Math.Round(v, 12)));
        Assert.Equal(fg.Select(v => Math.Round(v + 0.25, 12)), o.Colour.AsSpan().ToArray().Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void RayWithoutSamples_IsBackground_AndHasNoGradient()
    {
        using var f = new RenderFixture<double>([[], [(0f, 1f)]], [0], [0, 0, 0]) { BackgroundPerRay = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9] };
        var (o, gd, gc) = f.ForwardBackward(NoTermination, [1, 1, 1, 0, 0, 0]);
        Assert.Equal([0.1, 0.2, 0.3], o.Colour.AsSpan()[..3].ToArray());
        Assert.Equal(0, o.Opacity.AsSpan()[0]);
        Assert.Equal(0, o.Depth.AsSpan()[0]);
        Assert.Equal(0, o.UsedCounts[0]);
        Assert.Equal(1, o.UsedCounts[1]);
        Assert.All(gd.Concat(gc), g => Assert.Equal(0, g)); // ray 1 has zero upstream gradient
    }

    [Fact]
    public void Termination_LeavesLaterSamplesUnused_WithZeroWeightAndGradient()
    {
        // σδ = ln 10 → α = 0.9: T = 1, 0.1, 0.01, … With threshold 0.02 samples 0 and 1 are used, 2–4 are not.
        double raw = Math.Log(Math.Log(10));
        (float, float)[] ray = [(0f, 1f), (1f, 2f), (2f, 3f), (3f, 4f), (4f, 5f)];
        using var f = new RenderFixture<double>([ray], [raw, raw, raw, raw, raw], new double[15]) { BackgroundConstant = (0, 0, 0) };
        var renderer = new VolumeRenderer<double>(0.02);
        var o = f.Forward(renderer, weights: true);
        Assert.Equal(2, o.UsedCounts[0]);
        Assert.Equal(2, o.TotalUsed);
        Assert.Equal([0.9, 0.09, 0, 0, 0], o.Weights.AsSpan().ToArray().Select(v => Math.Round(v, 12)));
        Assert.Equal(0.99, o.Opacity.AsSpan()[0], 12);
        Assert.Equal(0.9 * 0.5 + 0.09 * 1.5, o.Depth.AsSpan()[0], 12);

        var (_, gd, gc) = f.ForwardBackward(renderer, [1, -0.5, 0.25], [0.3], [0.2], fill: double.NaN);
        Assert.All(gd[..2], g => Assert.NotEqual(0, g));
        Assert.All(gd[2..], g => Assert.Equal(0, g));
        Assert.All(gc[6..], g => Assert.Equal(0, g));
        Assert.All(gc[..6], g => Assert.True(double.IsFinite(g)));
    }

    [Fact]
    public void TerminatedRays_GetTheGradientsOfTheTruncatedRays()
    {
        using var full = RenderFixture<double>.Random(5, rays: 12, maxSamples: 50, rawRange: 4, maxDelta: 0.5);
        var renderer = new VolumeRenderer<double>(1e-4);
        var gC = RenderFixture<double>.RandomVector(6, 3 * full.RayCount);
        var gA = RenderFixture<double>.RandomVector(7, full.RayCount);
        var gD = RenderFixture<double>.RandomVector(8, full.RayCount);
        var (o, gd, gc) = full.ForwardBackward(renderer, gC, gA, gD);
        Assert.True(o.TotalUsed < full.SampleCount, "the fixture should terminate some rays early");

        // The same rays cut to their used samples, rendered without a threshold.
        var rays = new List<(float, float)[]>();
        var density = new List<double>(); var colour = new List<double>();
        for (int r = 0; r < full.RayCount; r++)
        {
            int first = full.Samples.RayOffsets[r], m = o.UsedCounts[r];
            rays.Add(Enumerable.Range(first, m).Select(s => (full.Samples.TStarts[s], full.Samples.TEnds[s])).ToArray());
            density.AddRange(full.RawDensity.AsSpan(first, m).ToArray());
            colour.AddRange(full.RawColour.AsSpan(3 * first, 3 * m).ToArray());
        }
        using var cut = new RenderFixture<double>(rays, [.. density], [.. colour]) { BackgroundPerRay = full.BackgroundPerRay };
        var (oc, gdc, gcc) = cut.ForwardBackward(NoTermination, gC, gA, gD);
        Assert.Equal(o.Colour.AsSpan().ToArray(), oc.Colour.AsSpan().ToArray());
        int k = 0;
        for (int r = 0; r < full.RayCount; r++)
            for (int i = 0; i < full.Samples.RayCounts[r]; i++)
            {
                int s = full.Samples.RayOffsets[r] + i;
                bool used = i < o.UsedCounts[r];
                Assert.Equal(used ? gdc[k] : 0, gd[s]);
                for (int c = 0; c < 3; c++) Assert.Equal(used ? gcc[3 * k + c] : 0, gc[3 * s + c]);
                if (used) k++;
            }
    }

    [Fact]
    public void WeightsSumToOpacity_AndAllSamplesUsedWithoutThreshold()
    {
        using var f = RenderFixture<double>.Random(11, rays: 20, maxSamples: 50);
        var o = f.Forward(NoTermination, weights: true);
        var w = o.Weights.AsSpan();
        for (int r = 0; r < f.RayCount; r++)
        {
            Assert.Equal(f.Samples.RayCounts[r], o.UsedCounts[r]);
            double sum = 0;
            for (int i = 0; i < f.Samples.RayCounts[r]; i++) sum += w[f.Samples.RayOffsets[r] + i];
            Assert.Equal(sum, o.Opacity.AsSpan()[r], 12);
            Assert.InRange(o.Opacity.AsSpan()[r], 0, 1);
        }
    }

    /// <summary>L = Σ gC·C_out + Σ gA·A + Σ gD·D.</summary>
    static double Objective(RenderFixture<double> f, double[] gC, double[]? gA, double[]? gD)
    {
        var o = f.Forward(NoTermination);
        double l = 0;
        var c = o.Colour.AsSpan();
        for (int i = 0; i < gC.Length; i++) l += gC[i] * c[i];
        if (gA is not null) for (int r = 0; r < gA.Length; r++) l += gA[r] * o.Opacity.AsSpan()[r];
        if (gD is not null) for (int r = 0; r < gD.Length; r++) l += gD[r] * o.Depth.AsSpan()[r];
        return l;
    }

    static double CentralDifference(RenderFixture<double> f, double[] values, int index, Func<double> objective, double eps = 1e-6)
    {
        double keep = values[index];
        values[index] = keep + eps; double plus = objective();
        values[index] = keep - eps; double minus = objective();
        values[index] = keep;
        return (plus - minus) / (2 * eps);
    }

    [Theory]
    [InlineData("colour", true)]
    [InlineData("colour", false)]
    [InlineData("opacity", true)]
    [InlineData("depth", true)]
    [InlineData("all", true)]
    public void Gradients_MatchCentralDifferences(string terms, bool perRayBackground)
    {
        using var f = RenderFixture<double>.Random(21, rays: 6, maxSamples: 50, perRayBackground: perRayBackground);
        int rays = f.RayCount;
        var gC = terms is "colour" or "all" ? RenderFixture<double>.RandomVector(1, 3 * rays) : new double[3 * rays];
        var gA = terms is "opacity" or "all" ? RenderFixture<double>.RandomVector(2, rays) : null;
        var gD = terms is "depth" or "all" ? RenderFixture<double>.RandomVector(3, rays) : null;
        var (_, gd, gc) = f.ForwardBackward(NoTermination, gC, gA, gD);
        double Obj() => Objective(f, gC, gA, gD);

        double scale = gd.Concat(gc).Max(Math.Abs);
        Assert.True(scale > 1e-3, "gradients should not vanish");
        for (int s = 0; s < f.SampleCount; s++)
            Assert.True(Math.Abs(gd[s] - CentralDifference(f, f.RawDensity, s, Obj)) < 1e-6 * scale, $"dL/draw_density[{s}]: {gd[s]} vs finite difference");
        for (int j = 0; j < 3 * f.SampleCount; j += 1)
            Assert.True(Math.Abs(gc[j] - CentralDifference(f, f.RawColour, j, Obj)) < 1e-6 * scale, $"dL/draw_colour[{j}]: {gc[j]} vs finite difference");
    }

    [Theory]
    [InlineData(16.0, 15.0)]
    [InlineData(-20.0, -15.0)]
    public void DensityGradient_UsesExpOfClampedRaw(double raw, double clamped)
    {
        // σ = exp(raw) unclamped in the forward pass; dσ/draw is taken as exp(clamp(raw, −15, 15)) (instant-ngp).
        // Finite differences in raw give exp(raw)·dL/dσ, so the analytic gradient is that times exp(clamped − raw).
        float delta = raw > 0 ? 1e-7f : 1f; // keep σδ of order 1 so that dL/dσ does not vanish
        using var f = new RenderFixture<double>([[(0f, delta), (delta, 2 * delta)]], [raw, 0.5], [1, -1, 0.5, 0, 2, -2]) { BackgroundConstant = (0.1, 0.5, 0.9) };
        double[] gC = [1, -0.7, 0.4], gA = [0.3], gD = [0.2];
        var (_, gd, _) = f.ForwardBackward(NoTermination, gC, gA, gD);
        // σ = e^−20 moves L by only ~1e-9 per unit raw: a wider step keeps round-off small against it.
        double numeric = CentralDifference(f, f.RawDensity, 0, () => Objective(f, gC, gA, gD), eps: raw > 0 ? 1e-4 : 1e-2);
        Assert.True(Math.Abs(numeric) > 1e-12);
        double ratio = gd[0] / (numeric * Math.Exp(clamped - raw));
        Assert.True(Math.Abs(ratio - 1) < 1e-4, $"analytic / (finite difference · e^(clamped − raw)) = {ratio}");
        // Without the clamp the ratio would be e^(raw − clamped) (e or e^−5), far from 1.
    }

    [Fact]
    public void FloatMatchesDouble()
    {
        using var d = RenderFixture<double>.Random(31, rays: 40, maxSamples: 50);
        using var s = new RenderFixture<float>(
            Enumerable.Range(0, d.RayCount).Select(r => Enumerable.Range(d.Samples.RayOffsets[r], d.Samples.RayCounts[r])
                .Select(i => (d.Samples.TStarts[i], d.Samples.TEnds[i])).ToArray()).ToList(),
            d.RawDensity.Select(v => (float)v).ToArray(), d.RawColour.Select(v => (float)v).ToArray())
        { BackgroundPerRay = d.BackgroundPerRay!.Select(v => (float)v).ToArray() };
        var gC = RenderFixture<double>.RandomVector(1, 3 * d.RayCount);
        var gA = RenderFixture<double>.RandomVector(2, d.RayCount);
        var gD = RenderFixture<double>.RandomVector(3, d.RayCount);
        var (od, gdd, gcd) = d.ForwardBackward(NoTermination, gC, gA, gD);
        var (of, gdf, gcf) = s.ForwardBackward(new VolumeRenderer<float>(0), F(gC), F(gA), F(gD));
        AssertClose(od.Colour.AsSpan().ToArray(), of.Colour.AsSpan().ToArray(), 1e-5);
        AssertClose(od.Depth.AsSpan().ToArray(), of.Depth.AsSpan().ToArray(), 1e-5);
        AssertClose(gdd, gdf, 1e-4);
        AssertClose(gcd, gcf, 1e-4);

        static float[] F(double[] v) => v.Select(x => (float)x).ToArray();
        static void AssertClose(double[] expected, float[] actual, double tolerance)
        {
            double scale = Math.Max(1e-3, expected.Max(Math.Abs));
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"[{i}]: double {expected[i]}, float {actual[i]}");
        }
    }

    [Fact]
    public void OneAndTwoThreads_AreBitIdentical()
    {
        using var f = RenderFixture<float>.Random(41, rays: 700, maxSamples: 50, rawRange: 4, maxDelta: 0.2f);
        var gC = RenderFixture<float>.RandomVector(1, 3 * f.RayCount);
        var gA = RenderFixture<float>.RandomVector(2, f.RayCount);
        int keep = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var (o1, gd1, gc1) = f.ForwardBackward(new VolumeRenderer<float>(), gC, gA);
            var c1 = o1.Colour.AsSpan().ToArray();
            CpuParallel.ThreadCount = 2;
            var (o2, gd2, gc2) = f.ForwardBackward(new VolumeRenderer<float>(), gC, gA);
            Assert.Equal(c1, o2.Colour.AsSpan().ToArray());
            Assert.Equal(o1.UsedCounts.ToArray(), o2.UsedCounts.ToArray());
            Assert.Equal(gd1, gd2);
            Assert.Equal(gc1, gc2);
        }
        finally { CpuParallel.ThreadCount = keep; }
    }

    [Fact]
    public void ReadsAndWritesColumnsOfAPaddedNetworkOutput()
    {
        // instant-ngp's layout: [S, 16] with rgb in columns 0..2 and raw density in column 3.
        using var f = RenderFixture<double>.Random(51, rays: 5, maxSamples: 20);
        int n = f.SampleCount;
        var gC = RenderFixture<double>.RandomVector(1, 3 * f.RayCount);
        var (expected, gdExpected, gcExpected) = f.ForwardBackward(NoTermination, gC);

        var packed = new double[n * 16];
        for (int s = 0; s < n; s++)
        {
            for (int c = 0; c < 3; c++) packed[16 * s + c] = f.RawColour[3 * s + c];
            packed[16 * s + 3] = f.RawDensity[s];
        }
        var network = f.Matrix(packed, 16);
        var grad = f.Matrix(Enumerable.Repeat(7.0, n * 16).ToArray(), 16);
        var renderer = NoTermination;
        using var output = new VolumeRenderOutput<double>(CpuBackend.Shared);
        renderer.Forward(f.Samples, new ColumnRange<double>(network, 3, 1), new ColumnRange<double>(network, 0, 3), f.Background, output);
        Assert.Equal(expected.Colour.AsSpan().ToArray(), output.Colour.AsSpan().ToArray());
        renderer.Backward(f.Samples, new ColumnRange<double>(network, 3, 1), new ColumnRange<double>(network, 0, 3), f.Background,
            output, f.Matrix(gC, 3), new ColumnRange<double>(grad, 3, 1), new ColumnRange<double>(grad, 0, 3));
        var g = grad.AsSpan();
        for (int s = 0; s < n; s++)
        {
            for (int c = 0; c < 3; c++) Assert.Equal(gcExpected[3 * s + c], g[16 * s + c]);
            Assert.Equal(gdExpected[s], g[16 * s + 3]);
            for (int c = 4; c < 16; c++) Assert.Equal(7.0, g[16 * s + c]);
        }
    }

    [Fact]
    public void BadInputs_AreClearErrors()
    {
        using var f = RenderFixture<double>.Random(61, rays: 3, maxSamples: 5);
        var renderer = NoTermination;
        using var output = new VolumeRenderOutput<double>(CpuBackend.Shared);
        var density = f.Matrix(f.RawDensity, 1);
        var colour = f.Matrix(f.RawColour, 3);

        var wrongColumns = Assert.Throws<ArgumentException>(() => renderer.Forward(f.Samples, density, density, f.Background, output));
        Assert.Contains("raw colour", wrongColumns.Message);

        var fewRows = f.Zeros(f.SampleCount - 1, 1);
        Assert.Contains("rows", Assert.Throws<ArgumentException>(() => renderer.Forward(f.Samples, fewRows, colour, f.Background, output)).Message);

        var wrongBackground = RayBackground<double>.PerRay(f.Zeros(f.RayCount + 1, 3));
        Assert.Contains("background", Assert.Throws<ArgumentException>(() => renderer.Forward(f.Samples, density, colour, wrongBackground, output)).Message);

        f.Samples.RayCounts[2] += 1000;
        Assert.Contains("ray 2", Assert.Throws<ArgumentException>(() => renderer.Forward(f.Samples, density, colour, f.Background, output)).Message);
        f.Samples.RayCounts[2] -= 1000;

        renderer.Forward(f.Samples, density, colour, f.Background, output);
        var dC = f.Zeros(f.RayCount, 2);
        Assert.Contains("dL/dColour", Assert.Throws<ArgumentException>(() =>
            renderer.Backward(f.Samples, density, colour, f.Background, output, dC, f.Zeros(f.SampleCount, 1), f.Zeros(f.SampleCount, 3))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VolumeRenderer<double>(1.5));
    }
}
