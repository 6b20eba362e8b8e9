using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

/// <summary>NeusRenderer.Backward against float64 central differences of L = Σ gC·C_out + gA·A + gD·D + gN·N.</summary>
public class NeusRendererGradientTests
{
    sealed record Upstream(double[] C, double[]? A, double[]? D, double[]? N);

    static double Objective(NeusFixture<double> f, NeusRenderer<double> renderer, Upstream g)
    {
        var o = f.Forward(renderer);
        double l = Dot(g.C, o.Colour.AsSpan());
        if (g.A is not null) l += Dot(g.A, o.Opacity.AsSpan());
        if (g.D is not null) l += Dot(g.D, o.Depth.AsSpan());
        if (g.N is not null) l += Dot(g.N, o.Normal.AsSpan());
        return l;
    }

    static double Dot(double[] a, ReadOnlySpan<double> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    static double CentralDifference(double[] values, int index, Func<double> objective, double eps = 1e-6)
    {
        double keep = values[index];
        values[index] = keep + eps; double plus = objective();
        values[index] = keep - eps; double minus = objective();
        values[index] = keep;
        return (plus - minus) / (2 * eps);
    }

    static void AssertClose(double analytic, double numeric, double scale, string what) =>
        Assert.True(Math.Abs(analytic - numeric) <= 1e-6 * scale, $"{what}: analytic {analytic} vs finite difference {numeric}");

    [Theory]
    [InlineData("all", 1.0, true, true)]
    [InlineData("all", 0.0, true, true)]
    [InlineData("all", 0.4, false, true)]
    [InlineData("colour", 0.7, true, false)]
    [InlineData("normal", 1.0, true, true)]
    [InlineData("all", 0.5, false, false)]
    public void Gradients_MatchCentralDifferences(string terms, double ratio, bool normalizeCos, bool perRayBackground)
    {
        using var f = NeusFixture<double>.Random(21, rays: 5, maxSamples: 24, perRayBackground: perRayBackground);
        f.CosAnnealRatio = ratio;
        int rays = f.RayCount;
        bool all = terms == "all";
        var g = new Upstream(
            all || terms == "colour" ? NeusFixture<double>.RandomVector(1, 3 * rays) : new double[3 * rays],
            all ? NeusFixture<double>.RandomVector(2, rays) : null,
            all ? NeusFixture<double>.RandomVector(3, rays) : null,
            all || terms == "normal" ? NeusFixture<double>.RandomVector(4, 3 * rays) : null);
        var renderer = new NeusRenderer<double>(normalizeGradientForCosine: normalizeCos);
        var result = f.ForwardBackward(renderer, g.C, g.A, g.D, g.N);
        double Obj() => Objective(f, renderer, g);

        double scale = result.Sdf.Concat(result.Gradient).Concat(result.Rgb).Append(result.InvS).Max(Math.Abs);
        Assert.True(scale > 1e-2, "gradients should not vanish");
        for (int s = 0; s < f.SampleCount; s++)
            AssertClose(result.Sdf[s], CentralDifference(f.Sdf, s, Obj), scale, $"dL/dsdf[{s}]");
        for (int j = 0; j < 3 * f.SampleCount; j++)
        {
            AssertClose(result.Gradient[j], CentralDifference(f.Gradient, j, Obj), scale, $"dL/dgradient[{j}]");
            AssertClose(result.Rgb[j], CentralDifference(f.Rgb, j, Obj), scale, $"dL/drgb[{j}]");
        }
        double keep = f.InvS;
        f.InvS = keep + 1e-5; double plus = Obj();
        f.InvS = keep - 1e-5; double minus = Obj();
        f.InvS = keep;
        AssertClose(result.InvS, (plus - minus) / 2e-5, scale, "dL/dinv_s");
        Assert.NotEqual(0.0, result.InvS);
        if (perRayBackground)
            for (int j = 0; j < 3 * rays; j++)
                AssertClose(result.Background![j], CentralDifference(f.BackgroundPerRay!, j, Obj), scale, $"dL/dbackground[{j}]");
        else Assert.Null(result.Background);
    }

    [Fact]
    public void NearlyZeroGradientLength_StillMatches()
    {
        // ‖∇f‖ = 1e-3 (far from F.normalize's 1e-12 floor): n̂ is steep in ∇f, the projection must still be exact.
        using var f = NeusFixture<double>.Random(8, rays: 2, maxSamples: 6);
        for (int j = 0; j < f.Gradient.Length; j++) f.Gradient[j] *= 1e-3;
        var g = new Upstream(NeusFixture<double>.RandomVector(1, 6), [0.5, -0.5], null, NeusFixture<double>.RandomVector(2, 6));
        var renderer = new NeusRenderer<double>();
        var result = f.ForwardBackward(renderer, g.C, g.A, g.D, g.N);
        double scale = result.Gradient.Max(Math.Abs);
        for (int j = 0; j < f.Gradient.Length; j++)
            AssertClose(result.Gradient[j], CentralDifference(f.Gradient, j, () => Objective(f, renderer, g), 1e-10), scale * 10, $"dL/dgradient[{j}]");
    }

    [Fact]
    public void FloatMatchesDouble()
    {
        using var d = NeusFixture<double>.Random(31, rays: 40, maxSamples: 30);
        using var s = new NeusFixture<float>(
            Enumerable.Range(0, d.RayCount).Select(r => Enumerable.Range(d.Samples.RayOffsets[r], d.Samples.RayCounts[r])
                .Select(i => (d.Samples.TStarts[i], d.Samples.TEnds[i])).ToArray()).ToList(),
            F(d.Sdf), F(d.Gradient), F(d.Rgb), F(d.Directions), (float)d.InvS)
        { BackgroundPerRay = F(d.BackgroundPerRay!) };
        var gC = NeusFixture<double>.RandomVector(1, 3 * d.RayCount);
        var gA = NeusFixture<double>.RandomVector(2, d.RayCount);
        var rd = d.ForwardBackward(new NeusRenderer<double>(), gC, gA);
        var rf = s.ForwardBackward(new NeusRenderer<float>(), F(gC), F(gA));
        Close(rd.Output.Colour.AsSpan().ToArray(), rf.Output.Colour.AsSpan().ToArray(), 1e-5);
        Close(rd.Output.Depth.AsSpan().ToArray(), rf.Output.Depth.AsSpan().ToArray(), 1e-5);
        Close(rd.Sdf, rf.Sdf, 1e-4);
        Close(rd.Gradient, rf.Gradient, 1e-4);
        Close(rd.Rgb, rf.Rgb, 1e-4);
        Assert.Equal(rd.InvS, rf.InvS, Math.Abs(rd.InvS) * 1e-4);

        static float[] F(double[] v) => v.Select(x => (float)x).ToArray();
        static void Close(double[] expected, float[] actual, double tolerance)
        {
            double scale = Math.Max(1e-3, expected.Max(Math.Abs));
            for (int i = 0; i < expected.Length; i++)
                Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"[{i}]: double {expected[i]}, float {actual[i]}");
        }
    }
}
