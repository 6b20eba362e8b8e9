using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Losses;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class LossTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    static Loss<T> Create<T>(string otype) where T : unmanaged, IFloatingPointIeee754<T> =>
        LossFactory.Create<T>(JsonConfig.Parse($$"""{"otype": "{{otype}}"}""", "test.json"));

    /// <summary>Runs Evaluate on host arrays shaped [rows, cols]; returns (values, gradients).</summary>
    static (T[] Values, T[] Gradients) Evaluate<T>(Loss<T> loss, T lossScale, int rows, int cols, T[] prediction, T[] target, T[]? pdf = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var p = Cpu.Upload<T>(prediction);
        using var t = Cpu.Upload<T>(target);
        using var v = Cpu.AllocateMatrix<T>(rows, cols, out var vm);
        using var g = Cpu.AllocateMatrix<T>(rows, cols, out var gm);
        using var q = pdf is null ? null : Cpu.Upload<T>(pdf);
        loss.Evaluate(lossScale, p.AsMatrix(rows, cols), t.AsMatrix(rows, cols), vm, gm, q?.AsMatrix(rows, cols));
        return (vm.AsSpan().ToArray(), gm.AsSpan().ToArray());
    }

    /// <summary>
    /// The loss ℓ(p, t) with the denominators tiny-cuda-nn treats as constants evaluated at <c>frozen</c> instead
    /// of p, so that ∂/∂p of this function is exactly the gradient tiny-cuda-nn uses.
    /// </summary>
    static double Reference(string otype, double p, double t, double frozen)
    {
        double d = p - t, a = Math.Abs(d);
        return otype switch
        {
            "L2" => d * d,
            "L1" => a,
            "RelativeL2" => d * d / (frozen * frozen + 0.01),           // denominator p² + 0.01 held constant
            "RelativeL1" => a / (Math.Abs(frozen) + 0.01),             // denominator |p| + 0.01 held constant
            "MAPE" => a / (Math.Abs(t) + 0.01),                        // exact: depends on the target only
            "SMAPE" => a / (0.5 * (Math.Abs(t) + Math.Abs(frozen)) + 0.01), // denominator held constant
            "Huber" => a > 0.1 ? a - 0.05 : d * d / 0.2,               // exact, δ = 0.1
            "LogL1" => Math.Log(a + 1),                                // exact
            _ => throw new ArgumentException(otype),
        };
    }

    public static TheoryData<string> Otypes => ["L2", "L1", "RelativeL2", "RelativeL1", "MAPE", "SMAPE", "Huber", "LogL1"];

    [Theory]
    [MemberData(nameof(Otypes))]
    public void ValuesAndGradients_MatchCentralDifferences_WithTinyCudaNnConstants(string otype)
    {
        const int rows = 5, cols = 7; // 35 elements: full SIMD vectors plus a tail
        const double lossScale = 128, eps = 1e-6;
        var rng = new Rng(17);
        var p = new double[rows * cols];
        var t = new double[rows * cols];
        var pdf = new double[rows * cols];
        for (int i = 0; i < p.Length; i++)
        {
            do { p[i] = rng.NextDouble() * 4 - 2; t[i] = rng.NextDouble() * 4 - 2; }
            while (Math.Abs(p[i] - t[i]) < 1e-3 || Math.Abs(Math.Abs(p[i] - t[i]) - 0.1) < 1e-3); // away from kinks
            if (i % 3 == 0) t[i] = p[i] + (rng.NextDouble() - 0.5) * 0.18; // some inside Huber's quadratic zone
            if (Math.Abs(p[i] - t[i]) < 1e-3) t[i] = p[i] + 2e-3;
            pdf[i] = 0.5 + 1.5 * rng.NextDouble();
        }
        var (values, gradients) = Evaluate(Create<double>(otype), lossScale, rows, cols, p, t, pdf);
        int n = rows * cols;
        for (int i = 0; i < n; i++)
        {
            double expectedValue = Reference(otype, p[i], t[i], p[i]) / pdf[i] / n;
            double numeric = (Reference(otype, p[i] + eps, t[i], p[i]) - Reference(otype, p[i] - eps, t[i], p[i])) / (2 * eps);
            double expectedGradient = lossScale * numeric / pdf[i] / n;
            Assert.True(Math.Abs(values[i] - expectedValue) <= 1e-14 * Math.Max(1, Math.Abs(expectedValue)), $"{otype} value {i}: {values[i]} vs {expectedValue}");
            Assert.True(Math.Abs(gradients[i] - expectedGradient) <= 1e-6 * Math.Max(1, Math.Abs(expectedGradient)),
                $"{otype} gradient {i} (p {p[i]}, t {t[i]}): {gradients[i]} vs central difference {expectedGradient}");
        }
    }

    [Theory]
    // otype, ℓ(0.5, 0.25), g(0.5, 0.25), ℓ(0.25, 0.5), g(0.25, 0.5) — by hand from tiny-cuda-nn's / instant-ngp's formulas
    [InlineData("L2", 0.0625, 0.5, 0.0625, -0.5)]
    [InlineData("L1", 0.25, 1.0, 0.25, -1.0)]
    [InlineData("RelativeL2", 0.0625 / 0.26, 0.5 / 0.26, 0.0625 / 0.0725, -0.5 / 0.0725)]
    [InlineData("RelativeL1", 0.25 / 0.51, 1 / 0.51, 0.25 / 0.26, -1 / 0.26)]
    [InlineData("MAPE", 0.25 / 0.26, 1 / 0.26, 0.25 / 0.51, -1 / 0.51)]
    [InlineData("SMAPE", 0.25 / 0.385, 1 / 0.385, 0.25 / 0.385, -1 / 0.385)]
    [InlineData("Huber", 0.2, 1.0, 0.2, -1.0)]
    [InlineData("LogL1", 0.22314355131420976, 0.8, 0.22314355131420976, -0.8)]
    public void HandComputedPoints_DividedByElementCount_GradientTimesLossScale(string otype, double v1, double g1, double v2, double g2)
    {
        // [1, 2] matrix: N = 2; lossScale 4 → gradients = 4·g/2.
        var (values, gradients) = Evaluate(Create<double>(otype), 4.0, 1, 2, [0.5, 0.25], [0.25, 0.5]);
        Assert.Equal(v1 / 2, values[0], 14);
        Assert.Equal(v2 / 2, values[1], 14);
        Assert.Equal(2 * g1, gradients[0], 13);
        Assert.Equal(2 * g2, gradients[1], 13);
    }

    [Fact]
    public void Huber_QuadraticZone_AndInstantNgpScale()
    {
        // d = 0.05 ≤ δ = 0.1: ℓ = d²/(2δ) = 0.0125, g = d/δ = 0.5; with scale 0.2 (instant-ngp's NeRF "/ 5") both shrink.
        var plain = new HuberLoss<double>();
        var (v, g) = Evaluate(plain, 1.0, 1, 1, [0.3], [0.25]);
        Assert.Equal(0.0125, v[0], 15);
        Assert.Equal(0.5, g[0], 14);
        var ngp = LossFactory.Create<double>(JsonConfig.Parse("""{"otype": "Huber", "delta": 0.1, "scale": 0.2}""", "t.json"));
        (v, g) = Evaluate(ngp, 1.0, 1, 1, [0.3], [0.25]);
        Assert.Equal(0.0025, v[0], 15);
        Assert.Equal(0.1, g[0], 14);
        // Near 0 Huber/5 equals L2: d²/(2δ)/5 = d² for δ = 0.1.
        Assert.Equal(0.05 * 0.05, v[0], 15);
        var alpha = (HuberLoss<double>)LossFactory.Create<double>(JsonConfig.Parse("""{"otype": "huber", "alpha": 1}""", "t.json"));
        Assert.Equal(1.0, alpha.Delta);
    }

    [Fact]
    public void L1_AtZeroDifference_UsesCopysignOfPlusZero()
    {
        var (v, g) = Evaluate(Create<double>("L1"), 1.0, 1, 1, [0.5], [0.5]);
        Assert.Equal(0.0, v[0]);
        Assert.Equal(1.0, g[0]); // copysign(1, +0) as tiny-cuda-nn
    }

    [Theory]
    [MemberData(nameof(Otypes))]
    public void LossScale_ScalesOnlyGradients_AndDataPdfDividesBoth(string otype)
    {
        double[] p = [0.9, -0.4, 1.7], t = [0.2, 0.3, 1.1], pdf = [0.5, 2, 4];
        var loss = Create<double>(otype);
        var (v1, g1) = Evaluate(loss, 1.0, 1, 3, p, t);
        var (v2, g2) = Evaluate(loss, 1024.0, 1, 3, p, t);
        var (v3, g3) = Evaluate(loss, 1.0, 1, 3, p, t, pdf);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(v1[i], v2[i]);
            Assert.Equal(1024 * g1[i], g2[i], 12);
            Assert.Equal(v1[i] / pdf[i], v3[i], 15);
            Assert.Equal(g1[i] / pdf[i], g3[i], 15);
        }
        Assert.True(g1.All(x => x != 0), "every element has a non-zero gradient here");
    }

    [Theory]
    [MemberData(nameof(Otypes))]
    public void FloatSimdPath_AgreesWithDouble_AcrossTilesAndTail(string otype)
    {
        const int rows = 20011, cols = 3; // > one 16384-element tile, and not a multiple of the vector width
        var rng = new Rng(99);
        var pd = new double[rows * cols];
        var td = new double[rows * cols];
        for (int i = 0; i < pd.Length; i++) { pd[i] = (float)(rng.NextDouble() * 2); td[i] = (float)(rng.NextDouble() * 2); }
        var (vd, gd) = Evaluate(Create<double>(otype), 128.0, rows, cols, pd, td);
        var (vf, gf) = Evaluate(Create<float>(otype), 128f, rows, cols, [.. pd.Select(x => (float)x)], [.. td.Select(x => (float)x)]);
        for (int i = 0; i < pd.Length; i++)
        {
            Assert.True(Math.Abs(vf[i] - vd[i]) <= 1e-5 * Math.Abs(vd[i]) + 1e-12, $"{otype} value {i}: float {vf[i]}, double {vd[i]}");
            Assert.True(Math.Abs(gf[i] - gd[i]) <= 1e-5 * Math.Abs(gd[i]) + 1e-10, $"{otype} gradient {i}: float {gf[i]}, double {gd[i]}");
        }
    }

    [Fact]
    public void ShapeMismatch_ThrowsNamingTheMatrix()
    {
        var loss = Create<float>("L2");
        using var a = Cpu.AllocateMatrix<float>(4, 3, out var m43);
        using var b = Cpu.AllocateMatrix<float>(3, 4, out var m34);
        using var c = Cpu.AllocateMatrix<float>(4, 3, out var v);
        using var d = Cpu.AllocateMatrix<float>(4, 3, out var g);
        Assert.Contains("target", Assert.Throws<ArgumentException>(() => loss.Evaluate(1f, m43, m34, v, g)).Message);
        Assert.Contains("values", Assert.Throws<ArgumentException>(() => loss.Evaluate(1f, m43, m43, m34, g)).Message);
        Assert.Contains("gradients", Assert.Throws<ArgumentException>(() => loss.Evaluate(1f, m43, m43, v, m34)).Message);
        Assert.Contains("dataPdf", Assert.Throws<ArgumentException>(() => loss.Evaluate(1f, m43, m43, v, g, m34)).Message);
    }

    [Fact]
    public void EmptyBatch_IsANoOp()
    {
        var (v, g) = Evaluate(Create<float>("RelativeL2"), 1f, 0, 3, [], []);
        Assert.Empty(v);
        Assert.Empty(g);
    }

    [Theory]
    [InlineData("l2", typeof(L2Loss<float>))]
    [InlineData("L1", typeof(L1Loss<float>))]
    [InlineData("relativel2", typeof(RelativeL2Loss<float>))]
    [InlineData("RELATIVEL1", typeof(RelativeL1Loss<float>))]
    [InlineData("Mape", typeof(MapeLoss<float>))]
    [InlineData("smape", typeof(SmapeLoss<float>))]
    [InlineData("HUBER", typeof(HuberLoss<float>))]
    [InlineData("logl1", typeof(LogL1Loss<float>))]
    public void Factory_MatchesOtypeCaseInsensitively_AndHyperparamsRoundTrip(string otype, Type type)
    {
        var loss = Create<float>(otype);
        Assert.IsType(type, loss);
        var again = LossFactory.Create<float>(JsonConfig.From(loss.Hyperparams()));
        Assert.IsType(type, again);
        Assert.Equal(loss.Hyperparams().ToJsonString(), again.Hyperparams().ToJsonString());
    }

    [Fact]
    public void Factory_UnknownOtype_ListsKnownLossesAndKey()
    {
        var config = new JsonConfig((JsonObject)JsonNode.Parse("""{"otype": "CrossEntropy"}""")!, "loss");
        var ex = Assert.Throws<ConfigException>(() => LossFactory.Create<float>(config));
        Assert.Contains("loss.otype", ex.Message);
        Assert.Contains("CrossEntropy", ex.Message);
        foreach (var name in new[] { "L1", "L2", "RelativeL1", "RelativeL2", "MAPE", "SMAPE", "Huber", "LogL1" }) Assert.Contains(name, ex.Message);
    }

    [Theory]
    [InlineData("""{"otype": "Huber", "delta": 0}""", "delta")]
    [InlineData("""{"otype": "Huber", "alpha": -1}""", "alpha")]
    [InlineData("""{"otype": "Huber", "delta": "wide"}""", "delta")]
    [InlineData("""{"loss": "L2"}""", "otype")]
    public void Factory_BadSettings_ThrowConfigExceptionNamingTheKey(string json, string key)
    {
        var ex = Assert.Throws<ConfigException>(() => LossFactory.Create<float>(JsonConfig.Parse(json, "t.json")));
        Assert.Contains(key, ex.Message);
    }
}
