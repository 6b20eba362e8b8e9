using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class NeusRendererTests
{
    static readonly NeusRenderer<double> Renderer = new();
    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
    static double[] Round(ReadOnlySpan<double> v) => v.ToArray().Select(x => Math.Round(x, 12)).ToArray();

    /// <summary>One ray [1, 2] looking along +z at a sample with f = 0 and ∇f = (0, 0, −2).</summary>
    static NeusFixture<double> OneSample(double invS, double ratio = 1) =>
        new([[(1f, 2f)]], [0.0], [0, 0, -2], [0.2, 0.4, 0.6], [0, 0, 1], invS)
        { BackgroundConstant = (1, 1, 1), CosAnnealRatio = ratio };

    [Fact]
    public void OneSample_HandComputed_ColourOpacityDepthNormal()
    {
        // cos = ⟨d, n̂⟩ = −1 → iter_cos = −1; δ = 1, s = 2 ln 3: σ(prev·s) = σ(ln 3) = 0.75, σ(next·s) = 0.25.
        using var f = OneSample(2 * Math.Log(3));
        var o = f.Forward(Renderer);
        double alpha = (0.5 + 1e-5) / (0.75 + 1e-5);
        Assert.Equal(alpha, o.Alpha.AsSpan()[0], 12);
        Assert.Equal(1.0, o.Transmittance.AsSpan()[0]);
        Assert.Equal(alpha, o.Weights.AsSpan()[0], 12);
        Assert.Equal(alpha, o.Opacity.AsSpan()[0], 12);
        Assert.Equal(1.5 * alpha, o.Depth.AsSpan()[0], 12);
        Assert.Equal(Round([0, 0, -alpha]), Round(o.Normal.AsSpan()));
        Assert.Equal(Round([0.2 * alpha, 0.4 * alpha, 0.6 * alpha]), Round(o.Foreground.AsSpan()));
        Assert.Equal(Round([0.2 * alpha + 1 - alpha, 0.4 * alpha + 1 - alpha, 0.6 * alpha + 1 - alpha]), Round(o.Colour.AsSpan()));
    }

    [Fact]
    public void RawGradientCosine_NeusRendererPy_UsesTheGradientLength()
    {
        // NeuS's renderer.py: cos = ⟨d, ∇f⟩ = −2 → iter_cos = −2, prev/next = ±1: σ(2 ln 3) = 0.9, σ(−2 ln 3) = 0.1.
        using var f = OneSample(2 * Math.Log(3));
        var o = f.Forward(new NeusRenderer<double>(normalizeGradientForCosine: false));
        Assert.Equal((0.8 + 1e-5) / (0.9 + 1e-5), o.Opacity.AsSpan()[0], 12);
    }

    [Theory]
    [InlineData(-0.6, 0.0, -0.8)]
    [InlineData(-0.6, 1.0, -0.6)]
    [InlineData(-0.6, 0.5, -0.7)]
    [InlineData(0.4, 0.0, -0.3)]
    [InlineData(0.4, 1.0, 0.0)]
    [InlineData(1.0, 0.0, 0.0)]
    [InlineData(-1.0, 0.3, -1.0)]
    public void IterCos_AnnealsFromHalfCosineToCosine(double cos, double ratio, double expected)
    {
        Assert.Equal(expected, NeusAlpha.IterCos(cos, ratio, out double slope), 12);
        // Slope: 0.5(1 − r) where cos < 1, plus r where cos < 0 (relu'(0) = 0).
        double expectedSlope = (cos < 1 ? 0.5 * (1 - ratio) : 0) + (cos < 0 ? ratio : 0);
        Assert.Equal(expectedSlope, slope, 12);
    }

    [Fact]
    public void CosAnnealRatio_GrazingAndBackFacingSamples_OpaqueAtZero_TransparentAtOne()
    {
        // Direction ⟂ ∇f (cos = 0): r = 0 keeps iter_cos = −0.5 (α > 0: "not dead"); r = 1 gives iter_cos = 0, α = ε/(σ(0) + ε).
        using var grazing0 = new NeusFixture<double>([[(0f, 1f)]], [0.0], [1, 0, 0], [0, 0, 0], [0, 1, 0], 10) { CosAnnealRatio = 0 };
        using var grazing1 = new NeusFixture<double>([[(0f, 1f)]], [0.0], [1, 0, 0], [0, 0, 0], [0, 1, 0], 10) { CosAnnealRatio = 1 };
        double expected0 = (Sigmoid(2.5) - Sigmoid(-2.5) + 1e-5) / (Sigmoid(2.5) + 1e-5);
        Assert.Equal(expected0, grazing0.Forward(Renderer).Opacity.AsSpan()[0], 12);
        Assert.Equal(1e-5 / (0.5 + 1e-5), grazing1.Forward(Renderer).Opacity.AsSpan()[0], 12);
        // A back face (cos = +1: leaving the surface) is transparent at either ratio.
        using var back = new NeusFixture<double>([[(0f, 1f)]], [0.0], [0, 1, 0], [0, 0, 0], [0, 1, 0], 10) { CosAnnealRatio = 0 };
        Assert.Equal(1e-5 / (0.5 + 1e-5), back.Forward(Renderer).Opacity.AsSpan()[0], 12);
    }

    [Theory]
    [InlineData(1.305f)] // at a sample midpoint
    [InlineData(0.7777f)] // anywhere
    public void RayCrossingAPlane_LargeInvS_OpacityOneAndDepthAtTheCrossing(float crossing)
    {
        // f(t) = crossing − t along the ray (a plane z = crossing, ray along +z), ∇f = (0, 0, −1); 200 samples of δ = 0.01.
        const int n = 200;
        var ray = Enumerable.Range(0, n).Select(i => (i * 0.01f, (i + 1) * 0.01f)).ToArray();
        var sdf = ray.Select(r => crossing - 0.5 * ((double)r.Item1 + r.Item2)).ToArray();
        var gradient = Enumerable.Range(0, n).SelectMany(_ => new[] { 0.0, 0, -1 }).ToArray();
        var rgb = Enumerable.Range(0, n).SelectMany(_ => new[] { 0.1, 0.5, 0.9 }).ToArray();
        using var f = new NeusFixture<double>([ray], sdf, gradient, rgb, [0, 0, 1], 1e4) { BackgroundConstant = (1, 0, 0) };
        var o = f.Forward(Renderer);
        Assert.InRange(o.Opacity.AsSpan()[0], 0.998, 1 + 1e-12); // Σ w rounds just above 1
        Assert.InRange(o.Depth.AsSpan()[0], crossing - 0.006, crossing + 0.006); // within the crossing sample's half width
        Assert.InRange(o.Normal.AsSpan()[2], -1 - 1e-12, -0.998);
        Assert.Equal(0.1, o.Colour.AsSpan()[0], 2);
        Assert.Equal(0.9, o.Colour.AsSpan()[2], 2);
        // In front of the surface every α is about ε (1e-5); behind it the light is gone.
        var alpha = o.Alpha.AsSpan();
        int hit = (int)(crossing / 0.01f);
        Assert.InRange(alpha[hit - 5], 0, 2e-5);
        Assert.InRange(o.Transmittance.AsSpan()[hit + 2], 0, 1e-3);
    }

    [Fact]
    public void ReversedInterval_ClipsAlphaToZero_WithZeroGradient()
    {
        // t1 < t0 makes σ(prev·s) < σ(next·s): the unclipped α is negative, so α = 0 and nothing flows back.
        using var f = new NeusFixture<double>([[(1f, 0.5f), (1f, 1.1f)]], [0.0, 0.05], [0, 0, -1, 0, 0, -1], [0.5, 0.5, 0.5, 0.2, 0.3, 0.4], [0, 0, 1], 50)
        { BackgroundPerRay = [0.1, 0.2, 0.3] };
        var g = f.ForwardBackward(Renderer, [1, -1, 0.5], [0.3], [0.2], [0.1, 0.2, 0.3]);
        Assert.Equal(0.0, g.Output.Alpha.AsSpan()[0]);
        Assert.Equal(0.0, g.Sdf[0]);
        Assert.Equal([0.0, 0, 0], g.Gradient[..3]);
        Assert.Equal([0.0, 0, 0], g.Rgb[..3]); // w = 0
        Assert.NotEqual(0.0, g.Sdf[1]);
    }

    [Fact]
    public void AlphaOfOne_WhenBothCdfsUnderflow_HasFiniteGradients()
    {
        // Deep inside (f = −50, s = 100): σ(prev·s) = σ(next·s) = 0 in double → α = ε/ε = 1 (clip's upper edge, gradient passes).
        using var f = new NeusFixture<double>([[(0f, 0.1f), (0.1f, 0.2f)]], [-50, -50], [0, 0, -1, 0, 0, -1], [0.3, 0.3, 0.3, 0.6, 0.6, 0.6], [0, 0, 1], 100);
        var g = f.ForwardBackward(Renderer, [1, 1, 1], [1]);
        Assert.Equal(1.0, g.Output.Alpha.AsSpan()[0]);
        Assert.Equal(0.0, g.Output.Weights.AsSpan()[1]);
        Assert.All(g.Sdf.Concat(g.Gradient).Concat(g.Rgb), v => Assert.True(double.IsFinite(v)));
        Assert.True(double.IsFinite(g.InvS));
    }

    [Fact]
    public void WeightsSumToOpacity_AndTransmittanceIsTheProductOfOneMinusAlpha()
    {
        using var f = NeusFixture<double>.Random(3, rays: 10, maxSamples: 40);
        var o = f.Forward(Renderer);
        var (a, t, w) = (o.Alpha.AsSpan().ToArray(), o.Transmittance.AsSpan().ToArray(), o.Weights.AsSpan().ToArray());
        for (int r = 0; r < f.RayCount; r++)
        {
            double trans = 1, sum = 0;
            for (int i = 0; i < f.Samples.RayCounts[r]; i++)
            {
                int s = f.Samples.RayOffsets[r] + i;
                Assert.Equal(trans, t[s], 12);
                Assert.Equal(a[s] * t[s], w[s], 12);
                sum += w[s];
                trans *= 1 - a[s];
            }
            Assert.Equal(sum, o.Opacity.AsSpan()[r], 12);
            Assert.Equal(f.Samples.RayCounts[r], o.UsedCounts[r]);
        }
    }

    [Fact]
    public void EarlyTermination_TruncatesRays_AndTheirGradients()
    {
        using var f = NeusFixture<double>.Random(5, rays: 12, maxSamples: 60, invS: 60, sdfRange: 0.1);
        var renderer = new NeusRenderer<double>(transmittanceThreshold: 0.05);
        var gC = NeusFixture<double>.RandomVector(1, 3 * f.RayCount);
        var full = f.ForwardBackward(new NeusRenderer<double>(), gC);
        var cut = f.ForwardBackward(renderer, gC, fill: double.NaN);
        var o = cut.Output;
        Assert.True(o.TotalUsed < f.SampleCount, "some rays should stop early");
        for (int r = 0; r < f.RayCount; r++)
        {
            int first = f.Samples.RayOffsets[r], m = o.UsedCounts[r], n = f.Samples.RayCounts[r];
            if (m < n) Assert.True(o.Transmittance.AsSpan()[first + m] == 0 && full.Output.Transmittance.AsSpan()[first + m] < 0.05);
            for (int i = 0; i < n; i++)
            {
                int s = first + i;
                if (i >= m) { Assert.Equal(0.0, cut.Sdf[s]); Assert.Equal(0.0, cut.Rgb[3 * s]); Assert.Equal(0.0, cut.Gradient[3 * s]); }
                else Assert.Equal(full.Rgb[3 * s], cut.Rgb[3 * s]); // same weights before the cut
            }
        }
    }

    [Fact]
    public void OneAndTwoThreads_AreBitIdentical()
    {
        using var f = NeusFixture<float>.Random(41, rays: 700, maxSamples: 30);
        var gC = NeusFixture<float>.RandomVector(1, 3 * f.RayCount);
        var gA = NeusFixture<float>.RandomVector(2, f.RayCount);
        int keep = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var one = f.ForwardBackward(new NeusRenderer<float>(), gC, gA);
            CpuParallel.ThreadCount = 2;
            var two = f.ForwardBackward(new NeusRenderer<float>(), gC, gA);
            Assert.Equal(one.Output.Colour.AsSpan().ToArray(), two.Output.Colour.AsSpan().ToArray());
            Assert.Equal(one.Sdf, two.Sdf);
            Assert.Equal(one.Gradient, two.Gradient);
            Assert.Equal(one.InvS, two.InvS);
        }
        finally { CpuParallel.ThreadCount = keep; }
    }

    [Fact]
    public void BadInputs_AreClearErrors()
    {
        using var f = NeusFixture<double>.Random(61, rays: 3, maxSamples: 5);
        using var output = new NeusRenderOutput<double>(CpuBackend.Shared);
        var good = f.Inputs();
        Assert.Contains("sdf gradient", Assert.Throws<ArgumentException>(() => Renderer.Forward(good with { Gradient = f.Matrix(f.Sdf, 1) }, output)).Message);
        Assert.Contains("directions", Assert.Throws<ArgumentException>(() => Renderer.Forward(good with { Directions = f.Filled(2, 3, 0) }, output)).Message);
        Assert.Contains("inv_s", Assert.Throws<ArgumentOutOfRangeException>(() => Renderer.Forward(good with { InvS = double.NaN }, output)).Message);
        Assert.Contains("anneal", Assert.Throws<ArgumentOutOfRangeException>(() => Renderer.Forward(good with { CosAnnealRatio = 1.5 }, output)).Message);
        f.Samples.RayCounts[1] += 100;
        Assert.Contains("ray 1", Assert.Throws<ArgumentException>(() => Renderer.Forward(f.Inputs(), output)).Message);
        f.Samples.RayCounts[1] -= 100;

        Renderer.Forward(good, output);
        var s1 = f.Filled(f.SampleCount, 1, 0); var s3 = f.Filled(f.SampleCount, 3, 0);
        Assert.Contains("dL/dColour", Assert.Throws<ArgumentException>(() => Renderer.Backward(good, output, f.Filled(f.RayCount, 1, 0), s1, s3, s3)).Message);
        var constant = good with { Background = RayBackground<double>.White };
        Assert.Contains("constant", Assert.Throws<ArgumentException>(() =>
            Renderer.Backward(constant, output, f.Filled(f.RayCount, 3, 0), s1, s3, s3, dLdBackground: f.Filled(f.RayCount, 3, 0))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new NeusRenderer<double>(1.0));
    }
}
