using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class NeusAlphaTests
{
    static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    [Fact]
    public void RenderStepSize_IsInstantNsrPls()
    {
        Assert.Equal(1.732 * 3 / 1024, NeusAlpha.RenderStepSize(1.5, 1024), 15);
        Assert.Throws<ArgumentOutOfRangeException>(() => NeusAlpha.RenderStepSize(0, 1024));
    }

    [Fact]
    public void OccupancyAlpha_HandComputed_SurfaceCellsOccupied_FarCellsNot()
    {
        double step = NeusAlpha.RenderStepSize(1.0, 1024), s = Math.Exp(3);
        // On the surface: prev/next = ±δ/2.
        double onSurface = (Sigmoid(s * step / 2) - Sigmoid(-s * step / 2) + 1e-5) / (Sigmoid(s * step / 2) + 1e-5);
        Assert.Equal(onSurface, NeusAlpha.OccupancyAlpha(0.0, s, step), 14);
        Assert.True(onSurface > NeusAlpha.OccupancyThreshold);
        Assert.True(NeusAlpha.OccupancyAlpha(1.0, s, step) < NeusAlpha.OccupancyThreshold); // 0.5 away: ≈ 1e-5
        // Inside the surface both CDFs vanish: α → 1 (occupied), as instant-nsr-pl's grid marks the interior.
        Assert.True(NeusAlpha.OccupancyAlpha(-1.0, s, step) > 0.01);

        Span<double> alpha = stackalloc double[3];
        NeusAlpha.OccupancyAlphas([0.0, 1.0, -1.0], s, step, alpha);
        Assert.Equal(onSurface, alpha[0], 14);
        // inv_s is clipped to [1e-6, 1e6] first.
        Assert.Equal(NeusAlpha.OccupancyAlpha(0.01, 1e6, step), NeusAlpha.OccupancyAlpha(0.01, 1e9, step));
    }

    [Fact]
    public void AlphaDerivatives_MatchCentralDifferences()
    {
        foreach (var (sdf, ic, delta, s) in new[] { (0.02, -0.7, 0.03, 30.0), (-0.1, -0.2, 0.05, 12.0), (0.3, -1.0, 0.2, 5.0) })
        {
            NeusAlpha.Alpha(sdf, ic, delta, s, out double dSdf, out double dIc, out double dS);
            const double e = 1e-7;
            Assert.Equal((NeusAlpha.Alpha(sdf + e, ic, delta, s) - NeusAlpha.Alpha(sdf - e, ic, delta, s)) / (2 * e), dSdf, 6);
            Assert.Equal((NeusAlpha.Alpha(sdf, ic + e, delta, s) - NeusAlpha.Alpha(sdf, ic - e, delta, s)) / (2 * e), dIc, 6);
            Assert.Equal((NeusAlpha.Alpha(sdf, ic, delta, s + e) - NeusAlpha.Alpha(sdf, ic, delta, s - e)) / (2 * e), dS, 6);
        }
    }
}
