using NgpSharp.Compute;
using NgpSharp.Nn;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class NeusLossTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;
    static DeviceMatrix<double> M(double[] data, int cols) => Cpu.Upload<double>(data).AsMatrix(data.Length / cols, cols);
    static double[] Round(DeviceMatrix<double> m) => m.AsSpan().ToArray().Select(x => Math.Round(x, 12)).ToArray();

    [Fact]
    public void RgbL1_MeanOverValidRays_SignGradient()
    {
        var p = M([0.5, 0.5, 0.5, 0, 1, 0.2], 3);
        var t = M([0.4, 0.7, 0.5, 1, 1, 1], 3);
        var g = M(new double[6], 3);
        double value = NeusLoss<double>.RgbL1(p, t, [true, false], g, 3.0);
        Assert.Equal(0.1, value, 12); // (0.1 + 0.2 + 0) / 3
        Assert.Equal([1.0, -1, 0, 0, 0, 0], Round(g)); // scale 3 / 3 elements; |x|'(0) = 0; invalid ray 0
        Assert.Equal((0.1 + 0.2 + 1 + 0 + 0.8) / 6, NeusLoss<double>.RgbL1(p, t, default, g, 1.0), 12);
    }

    [Fact]
    public void RgbMse_MeanOverValidRays_AndAccumulates()
    {
        var p = M([0.5, 0.5, 0.5, 0, 1, 0.2], 3);
        var t = M([0.4, 0.7, 0.5, 1, 1, 1], 3);
        var g = M([1, 1, 1, 1, 1, 1], 3);
        double value = NeusLoss<double>.RgbMse(p, t, [true, false], g, 1.5, GradientMode.Accumulate);
        Assert.Equal((0.01 + 0.04) / 3, value, 12);
        Assert.Equal([1 + 2 * 0.1 * 0.5, 1 - 2 * 0.2 * 0.5, 1, 1, 1, 1], Round(g).Select(x => Math.Round(x, 12)));
        Assert.Equal(0, NeusLoss<double>.RgbMse(p, t, [false, false], g, 1.0)); // no valid ray: 0, zero gradient
        Assert.All(g.AsSpan().ToArray(), x => Assert.Equal(0, x));
    }

    [Fact]
    public void ValidRays_AreThoseWithPositiveOpacity()
    {
        var valid = new bool[3];
        NeusLoss<double>.ValidRays(M([0, 1e-30, 0.5], 1), valid);
        Assert.Equal([false, true, true], valid);
    }

    [Fact]
    public void MaskBce_ClampsOpacity_AndStopsTheGradientOutsideTheClamp()
    {
        var g = M(new double[3], 1);
        double value = NeusLoss<double>.MaskBce(M([0.5, 0.0, 1.0], 1), M([1, 0, 1], 1), g, 3.0);
        Assert.Equal((-Math.Log(0.5) - Math.Log(1 - 1e-3) - Math.Log(1 - 1e-3)) / 3, value, 12);
        Assert.Equal([-2.0, 0, 0], Round(g)); // −m/o · scale / R at o = 0.5; clamped rays get none
    }

    [Fact]
    public void Eikonal_HandComputed_AndZeroGradientAtZero()
    {
        var x = M([3, 4, 0, 0, 0, 0], 3);
        var g = M([1, 1, 1, 1, 1, 1], 3);
        double value = NeusLoss<double>.Eikonal(x, g, 0.5); // accumulates by default
        Assert.Equal((16 + 1) / 2.0, value, 12);
        // 2(‖g‖ − 1)·g/‖g‖ · scale / S = 2·4·(0.6, 0.8, 0)·0.5/2.
        Assert.Equal([1 + 1.2, 1 + 1.6, 1, 1, 1, 1], Round(g));
    }

    [Fact]
    public void Sparsity_And_Curvature_HandComputed()
    {
        var sdf = M([0.5, -1, 0], 1);
        var g = M(new double[3], 1);
        double value = NeusLoss<double>.Sparsity(sdf, g, 2.0, 3.0, GradientMode.Overwrite);
        Assert.Equal((Math.Exp(-1) + Math.Exp(-2) + 1) / 3, value, 12);
        Assert.Equal(Round(M([-2 * Math.Exp(-1), 2 * Math.Exp(-2), 0], 1)), Round(g)); // −k·sign·e^(−k|f|)·scale/S

        double curvature = NeusLoss<double>.Curvature(M([0.5, -2, 0], 1), g, 3.0);
        Assert.Equal(2.5 / 3, curvature, 12);
        Assert.Equal([1.0, -1, 0], Round(g));
    }

    /// <summary>Every loss's gradient against central differences of its value (scale 1, random inputs away from kinks).</summary>
    [Theory]
    [InlineData("l1")]
    [InlineData("mse")]
    [InlineData("mask")]
    [InlineData("opaque")]
    [InlineData("eikonal")]
    [InlineData("sparsity")]
    public void Gradients_MatchCentralDifferences(string loss)
    {
        var rng = new Rng(17);
        int n = 9;
        bool[] valid = [true, false, true, true, true, false, true, true, true];
        double[] x = Enumerable.Range(0, 3 * n).Select(_ => rng.NextDouble() * 0.9 + 0.05).ToArray();
        double[] other = Enumerable.Range(0, 3 * n).Select(_ => rng.NextDouble() < 0.5 ? 0.0 : 1.0).ToArray();
        if (loss is "l1" or "mse") other = Enumerable.Range(0, 3 * n).Select(_ => rng.NextDouble()).ToArray();
        if (loss is "eikonal" or "sparsity") for (int i = 0; i < x.Length; i++) x[i] = x[i] * 3 - 1.5;
        int cols = loss is "mask" or "opaque" or "sparsity" ? 1 : 3;
        int len = cols * n;
        double Value(double[] v, DeviceMatrix<double> grad) => loss switch
        {
            "l1" => NeusLoss<double>.RgbL1(M(v[..len], 3), M(other[..len], 3), valid, grad, 1.0),
            "mse" => NeusLoss<double>.RgbMse(M(v[..len], 3), M(other[..len], 3), valid, grad, 1.0),
            "mask" => NeusLoss<double>.MaskBce(M(v[..len], 1), M(other[..len], 1), grad, 1.0),
            "opaque" => NeusLoss<double>.Opaque(M(v[..len], 1), grad, 1.0),
            "eikonal" => NeusLoss<double>.Eikonal(M(v[..len], 3), grad, 1.0, GradientMode.Overwrite),
            _ => NeusLoss<double>.Sparsity(M(v[..len], 1), grad, 1.0, 1.0, GradientMode.Overwrite),
        };
        var g = M(new double[len], cols);
        Value(x, g);
        var analytic = g.AsSpan().ToArray();
        var scratch = M(new double[len], cols);
        for (int i = 0; i < len; i++)
        {
            double keep = x[i];
            x[i] = keep + 1e-6; double plus = Value(x, scratch);
            x[i] = keep - 1e-6; double minus = Value(x, scratch);
            x[i] = keep;
            Assert.True(Math.Abs(analytic[i] - (plus - minus) / 2e-6) < 1e-7, $"{loss}[{i}]: analytic {analytic[i]} vs {(plus - minus) / 2e-6}");
        }
        Assert.Contains(analytic, v => v != 0);
    }

    [Fact]
    public void BadShapes_AreClearErrors()
    {
        var three = M(new double[6], 3);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => NeusLoss<double>.RgbL1(three, M(new double[3], 3), default, three, 1.0)).Message);
        Assert.Contains("valid", Assert.Throws<ArgumentException>(() => NeusLoss<double>.RgbMse(three, three, [true], three, 1.0)).Message);
        Assert.Contains("mask", Assert.Throws<ArgumentException>(() => NeusLoss<double>.MaskBce(M([0.5], 1), M([1, 0], 1), M([0.0], 1), 1.0)).Message);
        Assert.Contains("sdf gradient", Assert.Throws<ArgumentException>(() => NeusLoss<double>.Eikonal(M([1.0], 1), three, 1.0)).Message);
    }
}
