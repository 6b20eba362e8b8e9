using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class VarianceNetworkTests
{
    [Fact]
    public void InitialInvS_IsExpOfThree()
    {
        var v = new VarianceNetwork();
        Assert.Equal(0.3, v.Value);
        Assert.Equal(Math.Exp(3), v.InvS, 12);
    }

    [Fact]
    public void Gradient_ChainsThroughExpTenV()
    {
        var v = new VarianceNetwork();
        v.AccumulateInvSGradient(2);
        v.AccumulateInvSGradient(-0.5);
        Assert.Equal(1.5 * 10 * Math.Exp(3), v.Gradient, 9);
        // Central difference of inv_s(v): d/dv exp(10 v) = 10 exp(10 v).
        var plus = new VarianceNetwork(0.3 + 1e-7); var minus = new VarianceNetwork(0.3 - 1e-7);
        Assert.Equal(10 * Math.Exp(3), (plus.InvS - minus.InvS) / 2e-7, 5);
    }

    [Fact]
    public void AdamWSteps_HandComputed()
    {
        var v = new VarianceNetwork();
        v.AccumulateGradient(4);
        v.Step();
        // Step 1: decay v·(1 − lr·wd), then m̂ = g, v̂ = g², so the update is lr·g/|g|.
        double expected1 = 0.3 * (1 - 1e-3 * 1e-2) - 1e-3;
        Assert.Equal(expected1, v.Value, 15);
        Assert.Equal(0, v.Gradient);
        v.AccumulateGradient(-2);
        v.Step(0.5);
        // Step 2 at lr 5e-4: m = 0.1·4·0.9 + 0.1·(−2) = 0.16, v = 0.01·16·0.99 + 0.01·4 = 0.1984.
        double m = 0.16 / (1 - 0.81), s = 0.1984 / (1 - 0.9801);
        double expected2 = expected1 * (1 - 5e-4 * 1e-2) - 5e-4 * m / (Math.Sqrt(s) + 1e-15);
        Assert.Equal(expected2, v.Value, 15);
        Assert.Equal(2, v.StepCount);
    }

    [Fact]
    public void ClippedInvS_HasNoGradient()
    {
        var v = new VarianceNetwork(2.0); // exp(20) ≈ 4.9e8 > 1e6
        Assert.Equal(1e6, v.InvS);
        v.AccumulateInvSGradient(1);
        Assert.Equal(0, v.Gradient);
    }

    [Fact]
    public void Modulation_CapsInvS_AfterItsStartStep()
    {
        var v = new VarianceNetwork { Modulation = (100, 1000, 500.0) };
        v.UpdateStep(50);
        Assert.Equal(Math.Exp(3), v.InvS, 12);
        v.UpdateStep(100);
        v.UpdateStep(200);
        double cap = 200.0 / 1000 * (500 - Math.Exp(3)) + Math.Exp(3);
        Assert.Equal(Math.Min(Math.Exp(3), cap), v.InvS, 12); // exp(3) ≈ 20.1 is below the cap (≈ 116)
        // The cap rises from inv_s at the start step; once v has grown past it, inv_s sits on the cap.
        var capped = new VarianceNetwork { Modulation = (5, 100, 50.0) };
        capped.UpdateStep(5);
        capped.UpdateStep(6);
        capped.Restore(capped.State with { Value = 0.35 }); // exp(3.5) ≈ 33.1
        double cap6 = 6.0 / 100 * (50 - Math.Exp(3)) + Math.Exp(3);
        Assert.Equal(cap6, capped.InvS, 12);
        capped.AccumulateInvSGradient(1);
        Assert.Equal(0, capped.Gradient); // clamp_max stops the gradient
    }

    [Fact]
    public void StateRoundTrips()
    {
        var a = new VarianceNetwork();
        a.AccumulateGradient(1); a.Step(); a.AccumulateGradient(-3); a.Step();
        var b = new VarianceNetwork();
        b.Restore(a.State);
        a.AccumulateGradient(0.5); a.Step();
        b.AccumulateGradient(0.5); b.Step();
        Assert.Equal(a.Value, b.Value);
        Assert.Throws<ArgumentException>(() => b.Restore(a.State with { Value = double.NaN }));
    }

    [Fact]
    public void RendererAndVariance_GiveDLdV()
    {
        // The renderer's dL/dinv_s chained through the variance matches a central difference in v itself.
        using var f = NeusFixture<double>.Random(4, rays: 4, maxSamples: 20);
        var gC = NeusFixture<double>.RandomVector(1, 3 * f.RayCount);
        var renderer = new NeusRenderer<double>();
        var variance = new VarianceNetwork(0.25);
        f.InvS = variance.InvS;
        variance.AccumulateInvSGradient(f.ForwardBackward(renderer, gC).InvS);
        double L(double v)
        {
            f.InvS = new VarianceNetwork(v).InvS;
            var c = f.Forward(renderer).Colour.AsSpan();
            double sum = 0;
            for (int i = 0; i < gC.Length; i++) sum += gC[i] * c[i];
            return sum;
        }
        double numeric = (L(0.25 + 1e-7) - L(0.25 - 1e-7)) / 2e-7;
        Assert.True(Math.Abs(variance.Gradient - numeric) < 1e-5 * Math.Abs(numeric), $"dL/dv {variance.Gradient} vs {numeric}");
    }
}
