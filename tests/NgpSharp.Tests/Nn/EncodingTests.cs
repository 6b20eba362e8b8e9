using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class EncodingTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    static JsonConfig Json(string text) => JsonConfig.Parse(text, "test.json");

    static Encoding<double> Create(int inputDims, string json) => EncodingFactory.Create<double>(Cpu, inputDims, Json(json));

    static double[] Random(int count, ulong seed, double lo = 0, double hi = 1)
    {
        var rng = new Rng(seed);
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = lo + (hi - lo) * rng.NextDouble();
        return v;
    }

    /// <summary>Runs Inference; returns the output rows flattened. The encoding must have its params set if it has any.</summary>
    static double[] Encode(Encoding<double> encoding, double[] input)
    {
        int batch = input.Length / encoding.InputWidth;
        using var x = Cpu.Upload<double>(input);
        using var y = Cpu.AllocateMatrix<double>(batch, encoding.OutputWidth, out var ym);
        encoding.Inference(x.AsMatrix(batch, encoding.InputWidth), ym);
        return ym.AsSpan().ToArray();
    }

    // ---------- gradients against central differences ----------

    [Theory]
    [InlineData("""{"otype": "Identity", "scale": 0.5, "offset": 0.25}""", 3)]
    [InlineData("""{"otype": "Identity"}""", 1)]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 4}""", 2)]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 12}""", 3)]
    [InlineData("""{"otype": "OneBlob", "n_bins": 8}""", 2)]
    [InlineData("""{"otype": "OneBlob", "n_bins": 32}""", 1)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 2}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 3}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 4}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 5}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 6}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 7}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 8}""", 3)]
    [InlineData("""{"otype": "Composite", "nested": [ {"otype": "Identity", "n_dims_to_encode": 1}, {"otype": "Frequency", "n_dims_to_encode": 2, "n_frequencies": 3}, {"otype": "SphericalHarmonics", "degree": 4}]}""", 6)]
    [InlineData("""{"otype": "Composite", "nested": [ {"otype": "SphericalHarmonics", "n_dims_to_encode": 3, "dims_to_encode_begin": 1}, {"otype": "Identity", "n_dims_to_encode": 2, "dims_to_encode_begin": 0, "scale": 3}, {"otype": "OneBlob", "n_dims_to_encode": 1, "dims_to_encode_begin": 4, "n_bins": 4}]}""", 6)]
    [InlineData("""{"otype": "Composite", "nested": [ {"otype": "Composite", "n_dims_to_encode": 3, "nested": [{"otype": "Identity", "n_dims_to_encode": 1}, {"otype": "OneBlob", "n_bins": 4}]}, {"otype": "Frequency", "n_frequencies": 2}]}""", 4)]
    public void InputGradient_MatchesCentralDifferences(string json, int inputDims)
    {
        using var encoding = Create(inputDims, json);
        GradientCheck.Check(encoding, Random(inputDims * 37, 11));
    }

    [Theory]
    [InlineData("Identity", 3)]
    [InlineData("Frequency", 2)]
    [InlineData("SphericalHarmonics", 3)]
    [InlineData("OneBlob", 2)]
    public void InputGradient_WithPadding_IgnoresPaddingColumns(string otype, int inputDims)
    {
        using var encoding = Create(inputDims, $$"""{"otype": "{{otype}}", "n_bins": 4, "n_frequencies": 3, "degree": 3}""");
        encoding.SetAlignment(16);
        GradientCheck.Check(encoding, Random(inputDims * 9, 5));
    }

    [Fact]
    public void TriangleWave_InputGradient_MatchesCentralDifferences_AwayFromKinks()
    {
        using var encoding = new TriangleWave<double>(Cpu, 2, nFrequencies: 6);
        // Kinks sit where 2·(x·2^(f−1) + f/4) is an integer; keep every input ≥ 1e-4 of a kink.
        var rng = new Rng(3);
        var input = new double[2 * 40];
        for (int i = 0; i < input.Length; i++)
        {
            double x;
            do x = rng.NextDouble();
            while (Enumerable.Range(0, 6).Any(f => { double k = 2 * (x * Math.Pow(2, f - 1) + f * 0.25); return Math.Abs(k - Math.Round(k)) < 1e-3; }));
            input[i] = x;
        }
        GradientCheck.Check(encoding, input);
    }

    [Fact]
    public void Composite_ParamGradients_ReachNestedSlices_AndPaddingFollowsLastNested()
    {
        // Scale (2 params, pads 0) then Identity: padding 1; Identity then Scale: padding 0.
        using var scaleFirst = new Composite<double>(Cpu, new ScaleEncoding(Cpu, 2), new Identity<double>(Cpu, 1));
        using var identityFirst = new Composite<double>(Cpu, new Identity<double>(Cpu, 1), new ScaleEncoding(Cpu, 2));
        Assert.Equal(2, scaleFirst.ParamCount);
        GradientCheck.Check(scaleFirst, Random(3 * 20, 8), parameters: [0.7, -1.3]);
        GradientCheck.Check(identityFirst, Random(3 * 20, 9), parameters: [2.0, 0.5]);
        using var p1 = Cpu.Upload<double>([2.0, 0.5]);
        using var p2 = Cpu.Upload<double>([2.0, 0.5]);
        using var g1 = Cpu.Allocate<double>(2);
        using var g2 = Cpu.Allocate<double>(2);
        scaleFirst.SetParams(p1.All, g1.All);
        identityFirst.SetParams(p2.All, g2.All);

        scaleFirst.SetAlignment(8);
        identityFirst.SetAlignment(8);
        Assert.Equal(1.0, scaleFirst.PaddingValue);
        Assert.Equal(0.0, identityFirst.PaddingValue);
        var input = new double[] { 0.1, 0.2, 0.3 };
        var y = Encode(identityFirst, input);
        Assert.Equal([0.1, 0.2 * 2.0, 0.3 * 0.5, 0, 0, 0, 0, 0], y, new Tolerance(1e-15));
        y = Encode(scaleFirst, input);
        Assert.Equal([0.1 * 2.0, 0.2 * 0.5, 0.3, 1, 1, 1, 1, 1], y, new Tolerance(1e-15));
    }

    // ---------- hand-computed values ----------

    [Fact]
    public void Identity_ScalesAndOffsets()
    {
        using var e = Create(2, """{"otype": "identity", "scale": 2, "offset": -1}""");
        Assert.Equal([-1.0, 0.5, 1.0, 3.0], Encode(e, [0, 0.75, 1, 2]));
    }

    [Fact]
    public void Frequency_AtQuarter_IsSinCosPairsOfPiTimesPowersOfTwo()
    {
        using var e = Create(1, """{"otype": "Frequency", "n_frequencies": 3}""");
        double h = Math.Sqrt(0.5);
        // sin(π/4), cos(π/4), sin(π/2), cos(π/2), sin(π), cos(π)
        Assert.Equal([h, h, 1, 0, 0, -1], Encode(e, [0.25]), new Tolerance(1e-15));
    }

    [Fact]
    public void Frequency_LaysOutDimsThenFrequenciesThenSinCos()
    {
        using var e = new Frequency<double>(Cpu, 2, nFrequencies: 2);
        var y = Encode(e, [0.1, 0.3]);
        double[] expected = [Math.Sin(0.1 * Math.PI), Math.Cos(0.1 * Math.PI), Math.Sin(0.2 * Math.PI), Math.Cos(0.2 * Math.PI),
                             Math.Sin(0.3 * Math.PI), Math.Cos(0.3 * Math.PI), Math.Sin(0.6 * Math.PI), Math.Cos(0.6 * Math.PI)];
        Assert.Equal(expected, y, new Tolerance(1e-15));
    }

    [Fact]
    public void SphericalHarmonics_Degree3_MatchesClosedFormConstants()
    {
        // Direction (0.48, 0.6, 0.64) (unit length), passed as (d + 1)/2. Constants as printed in tiny-cuda-nn.
        double x = 0.48, y = 0.6, z = 0.64;
        using var e = Create(3, """{"otype": "SphericalHarmonics", "degree": 3}""");
        var got = Encode(e, [(x + 1) / 2, (y + 1) / 2, (z + 1) / 2]);
        double c1 = 0.48860251190291987, c2 = 1.0925484305920792;
        double[] expected =
        [
            0.28209479177387814,
            -c1 * y, c1 * z, -c1 * x,
            c2 * x * y, -c2 * y * z, 0.94617469575755997 * z * z - 0.31539156525251999, -c2 * x * z,
            0.54627421529603959 * (x * x - y * y),
        ];
        Assert.Equal(expected, got, new Tolerance(1e-14));
        // and the same constants from their closed forms
        Assert.Equal(1 / (2 * Math.Sqrt(Math.PI)), got[0], 15);
        Assert.Equal(Math.Sqrt(15) / (4 * Math.Sqrt(Math.PI)) * (x * x - y * y), got[8], 15);
    }

    [Fact]
    public void SphericalHarmonics_Degree8_SampleValuesMatchTinyCudaNnPolynomials()
    {
        double x = 0.48, y = 0.6, z = 0.64;
        double x2 = x * x, y2 = y * y, z2 = z * z, x4 = x2 * x2, y4 = y2 * y2, z4 = z2 * z2, z6 = z4 * z2, x6 = x4 * x2, y6 = y4 * y2;
        using var e = Create(3, """{"otype": "SphericalHarmonics", "degree": 8}""");
        var got = Encode(e, [(x + 1) / 2, (y + 1) / 2, (z + 1) / 2]);
        Assert.Equal(64, got.Length);
        Assert.Equal(-3.1735664074561294 * z2 + 3.7024941420321507 * z4 + 0.31735664074561293, got[20], 13);
        Assert.Equal(0.1169503224534236 * z * (-70 * z2 + 63 * z4 + 15), got[30], 13);
        Assert.Equal(6.6747662381009842 * z2 - 20.024298714302954 * z4 + 14.684485723822165 * z6 - 0.31784601133814211, got[42], 13);
        Assert.Equal(0.068284276912004949 * z * (315 * z2 - 693 * z4 + 429 * z6 - 35), got[56], 13);
        Assert.Equal(0.70716273252459627 * x * (-35 * x2 * y4 + 21 * x4 * y2 - x6 + 7 * y6), got[63], 13);
    }

    [Fact]
    public void SphericalHarmonics_Degree8_IsOrthonormalOverTheSphere()
    {
        // Gauss–Legendre in z = cos θ (16 nodes) × 32 uniform φ integrates every product Y_i·Y_j (degree ≤ 14)
        // exactly, so ∫ Y_i Y_j dω = δ_ij must hold to rounding: any wrong constant or sign breaks it.
        const int nz = 16, nphi = 32;
        var (nodes, weights) = GaussLegendre(nz);
        var dirs = new double[nz * nphi * 3];
        var w = new double[nz * nphi];
        for (int a = 0; a < nz; a++)
            for (int b = 0; b < nphi; b++)
            {
                double z = nodes[a], phi = b * 2 * Math.PI / nphi, s = Math.Sqrt(1 - z * z);
                int k = a * nphi + b;
                dirs[3 * k] = (s * Math.Cos(phi) + 1) / 2; dirs[3 * k + 1] = (s * Math.Sin(phi) + 1) / 2; dirs[3 * k + 2] = (z + 1) / 2;
                w[k] = weights[a] * 2 * Math.PI / nphi;
            }
        using var e = new SphericalHarmonics<double>(Cpu, 8);
        var y = Encode(e, dirs);
        double worst = 0;
        for (int i = 0; i < 64; i++)
            for (int j = i; j < 64; j++)
            {
                double sum = 0;
                for (int k = 0; k < w.Length; k++) sum += w[k] * y[k * 64 + i] * y[k * 64 + j];
                worst = Math.Max(worst, Math.Abs(sum - (i == j ? 1 : 0)));
            }
        Assert.True(worst < 1e-12, $"largest deviation from orthonormality: {worst}");
    }

    /// <summary>Gauss–Legendre nodes and weights on [−1, 1] (Newton iteration on P_n).</summary>
    static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        var x = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), dp = 0;
            for (int iter = 0; iter < 100; iter++)
            {
                double p0 = 1, p1 = z;
                for (int k = 2; k <= n; k++) { double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
                dp = n * (z * p1 - p0) / (z * z - 1);
                double dz = p1 / dp;
                z -= dz;
                if (Math.Abs(dz) < 1e-15) break;
            }
            x[i] = z;
            w[i] = 2 / ((1 - z * z) * dp * dp);
        }
        return (x, w);
    }

    [Fact]
    public void SphericalHarmonics_SimdRows_EqualScalarRows_ForwardAndBackward()
    {
        // A batch of 19 runs whole SIMD blocks plus a scalar tail; one row at a time runs only the scalar path.
        using var e = new SphericalHarmonics<double>(Cpu, 8);
        var input = Random(19 * 3, 31);
        var dLdy = Random(19 * 64, 32, -1, 1);
        var (yBatch, dxBatch) = ForwardBackward(e, input, dLdy, 19);
        for (int r = 0; r < 19; r++)
        {
            var (y, dx) = ForwardBackward(e, input[(r * 3)..(r * 3 + 3)], dLdy[(r * 64)..(r * 64 + 64)], 1);
            Assert.Equal(yBatch[(r * 64)..(r * 64 + 64)], y);
            Assert.Equal(dxBatch[(r * 3)..(r * 3 + 3)], dx);
        }
    }

    static (double[] Output, double[] DLdInput) ForwardBackward(Encoding<double> e, double[] input, double[] dLdOutput, int batch)
    {
        using var x = Cpu.Upload<double>(input);
        using var g = Cpu.Upload<double>(dLdOutput);
        using var y = Cpu.AllocateMatrix<double>(batch, e.OutputWidth, out var ym);
        using var dx = Cpu.AllocateMatrix<double>(batch, e.InputWidth, out var dxm);
        var xm = x.AsMatrix(batch, e.InputWidth);
        using (var ctx = e.Forward(xm, ym)) e.Backward(ctx, xm, ym, g.AsMatrix(batch, e.OutputWidth), dxm);
        return (ym.AsSpan().ToArray(), dxm.AsSpan().ToArray());
    }

    [Fact]
    public void SphericalHarmonics_Degree1_IsConstant_WithZeroInputGradient()
    {
        using var e = new SphericalHarmonics<double>(Cpu, 1);
        Assert.Equal([0.28209479177387814, 0.28209479177387814], Encode(e, [0.1, 0.5, 0.9, 0.3, 0.3, 0.3]), new Tolerance(1e-16));
        using var x = Cpu.Upload<double>([0.1, 0.5, 0.9]);
        using var y = Cpu.AllocateMatrix<double>(1, 1, out var ym);
        using var g = Cpu.Upload<double>([1.0]);
        using var dx = Cpu.Upload<double>([7.0, 7.0, 7.0]);
        using (var ctx = e.Forward(x.AsMatrix(1, 3), ym)) e.Backward(ctx, x.AsMatrix(1, 3), ym, g.AsMatrix(1, 1), dx.AsMatrix(1, 3));
        Assert.Equal([0.0, 0.0, 0.0], dx.All.AsSpan().ToArray());
    }

    [Fact]
    public void OneBlob_AtBinCentre_PutsQuarticKernelMassInThreeBins()
    {
        using var e = Create(1, """{"otype": "OneBlob", "n_bins": 8}""");
        var y = Encode(e, [2.5 / 8]);
        // Biweight CDF F(u) = 15/16·u·(1 − 2u²/3 + u⁴/5) + ½; F(½) − F(−½) = 203/256, the rest split evenly.
        Assert.Equal([0, 53 / 512.0, 203 / 256.0, 53 / 512.0, 0, 0, 0, 0], y, new Tolerance(1e-15));
    }

    [Fact]
    public void OneBlob_WrapsAround_AndConservesMass()
    {
        using var e = new OneBlob<double>(Cpu, 2, nBins: 4);
        var y = Encode(e, [0.01, 0.73]);
        Assert.Equal(1.0, y[..4].Sum(), 14);
        Assert.Equal(1.0, y[4..].Sum(), 14);
        Assert.True(y[3] > 0.05, "mass near 0 wraps into the last bin");
    }

    [Fact]
    public void TriangleWave_MatchesHandComputedValues()
    {
        using var e = Create(1, """{"otype": "TriangleWave", "n_frequencies": 3}""");
        // v_f = 0.3·2^(f−1) + f/4 = 0.15, 0.55, 1.1 → 4·|frac(v) − ½| − 1 = 0.4, −0.8, 0.6
        Assert.Equal([0.4, -0.8, 0.6], Encode(e, [0.3]), new Tolerance(1e-14));
    }

    // ---------- widths and padding ----------

    [Theory]
    [InlineData("""{"otype": "Identity"}""", 5, 5)]
    [InlineData("""{"otype": "Frequency"}""", 3, 72)]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 10}""", 2, 40)]
    [InlineData("""{"otype": "SphericalHarmonics"}""", 3, 16)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 8}""", 3, 64)]
    [InlineData("""{"otype": "OneBlob"}""", 2, 32)]
    [InlineData("""{"otype": "TriangleWave"}""", 3, 36)]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Identity", "n_dims_to_encode": 1}, {"otype": "Frequency", "n_frequencies": 2}]}""", 4, 13)]
    [InlineData("""{"otype": "NRC"}""", 9, 36 + 20 + 1)]
    [InlineData("""{"otype": "OneBlobFrequency", "n_frequencies": 2, "n_bins": 8}""", 8, 6 + 40)]
    public void OutputWidths_FollowTinyCudaNn(string json, int inputDims, int width)
    {
        using var e = Create(inputDims, json);
        Assert.Equal(width, e.EncodedWidth);
        Assert.Equal(width, e.OutputWidth);
        Assert.Equal(inputDims, e.InputWidth);
        Assert.Equal(0, e.ParamCount);
    }

    [Theory]
    [InlineData("""{"otype": "Identity"}""", 3)]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 3}""", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 3}""", 3)]
    [InlineData("""{"otype": "OneBlob", "n_bins": 4}""", 3)]
    [InlineData("""{"otype": "TriangleWave", "n_frequencies": 5}""", 3)]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Frequency", "n_dims_to_encode": 1, "n_frequencies": 1}, {"otype": "SphericalHarmonics", "degree": 2}]}""", 4)]
    public void SetAlignment16_PadsWithOnes_AfterUnchangedEncodedColumns(string json, int inputDims)
    {
        using var plain = Create(inputDims, json);
        using var padded = Create(inputDims, json);
        padded.SetAlignment(16);
        int w = plain.EncodedWidth, pw = (w + 15) / 16 * 16;
        Assert.True(pw > w, "the case should need padding");
        Assert.Equal(pw, padded.OutputWidth);
        var input = Random(inputDims * 5, 2);
        var a = Encode(plain, input);
        var b = Encode(padded, input);
        for (int r = 0; r < 5; r++)
        {
            Assert.Equal(a.AsSpan(r * w, w).ToArray(), b.AsSpan(r * pw, w).ToArray());
            for (int c = w; c < pw; c++) Assert.Equal(1.0, b[r * pw + c]);
        }
    }

    [Fact]
    public void SetAlignment_ToExistingMultiple_AddsNothing_AndZeroPaddingEncodingPadsZeros()
    {
        using var sh = new SphericalHarmonics<double>(Cpu, 4);
        sh.SetAlignment(16);
        Assert.Equal(16, sh.OutputWidth);
        using var scale = new ScaleEncoding(Cpu, 3);
        scale.SetAlignment(16);
        using var p = Cpu.Upload<double>([1, 1, 1]);
        using var g = Cpu.Allocate<double>(3);
        scale.SetParams(p.All, g.All);
        var y = Encode(scale, [0.5, 0.25, 2]);
        Assert.Equal([0.5, 0.25, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], y);
    }

    // ---------- factory, hyperparams, errors ----------

    [Theory]
    [InlineData("identity", typeof(Identity<double>))]
    [InlineData("FREQUENCY", typeof(Frequency<double>))]
    [InlineData("SphericalHarmonics", typeof(SphericalHarmonics<double>))]
    [InlineData("oneblob", typeof(OneBlob<double>))]
    [InlineData("TriangleWave", typeof(TriangleWave<double>))]
    [InlineData("nrc", typeof(Composite<double>))]
    public void Factory_MatchesOtypeCaseInsensitively(string otype, Type type)
    {
        using var e = Create(otype.Equals("nrc", StringComparison.OrdinalIgnoreCase) ? 9 : 3, $$"""{"otype": "{{otype}}"}""");
        Assert.IsType(type, e);
    }

    [Theory]
    [InlineData("""{"otype": "Identity", "scale": 2, "offset": 0.5}""", 2)]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 5}""", 2)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 5}""", 3)]
    [InlineData("""{"otype": "OneBlob", "n_bins": 8}""", 2)]
    [InlineData("""{"otype": "TriangleWave", "n_frequencies": 4}""", 2)]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Identity", "n_dims_to_encode": 2, "dims_to_encode_begin": 3}, {"otype": "OneBlob", "n_dims_to_encode": 3, "dims_to_encode_begin": 0, "n_bins": 2}]}""", 5)]
    [InlineData("""{"otype": "NRC", "n_bins": 2}""", 10)] public void Hyperparams_RoundTripThroughTheFactory(string json, int inputDims) { using var a = Create(inputDims, json); var h = a.Hyperparams(); using var b = EncodingFactory.Create<double>(Cpu, inputDims, JsonConfig.From(h)); Assert.Equal(h.ToJsonString(), b.Hyperparams().ToJsonString()); var input = Random(inputDims * 3, 4); Assert.Equal(Encode(a, input), Encode(b, input)); } [Fact] public void Factory_UnknownOtype_ListsKnownNamesAndKey() { var config = new JsonConfig((JsonObject)JsonNode.Parse("""{"otype": "Fourier"}""")!, "network.encoding");
        var ex = Assert.Throws<ConfigException>(() => EncodingFactory.Create<float>(Cpu, 3, config));
        Assert.Contains("network.encoding.otype", ex.Message);
        Assert.Contains("Fourier", ex.Message);
        foreach (var name in new[] { "Identity", "Frequency", "SphericalHarmonics", "OneBlob", "TriangleWave", "Composite" }) Assert.Contains(name, ex.Message);
    }

    [Theory]
    [InlineData("""{"degree": 4}""", 3, "otype")]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 0}""", 3, "n_frequencies")]
    [InlineData("""{"otype": "Frequency", "n_frequencies": "many"}""", 3, "n_frequencies")]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 9}""", 3, "degree")]
    [InlineData("""{"otype": "SphericalHarmonics"}""", 2, "3-D directions")]
    [InlineData("""{"otype": "OneBlob", "n_bins": 12}""", 1, "power of two")]
    [InlineData("""{"otype": "TriangleWave", "n_frequencies": -1}""", 1, "n_frequencies")]
    [InlineData("""{"otype": "Composite"}""", 3, "nested")]
    [InlineData("""{"otype": "Composite", "nested": []}""", 3, "nested")]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Identity"}, {"otype": "Identity"}]}""", 3, "only one")]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Identity", "n_dims_to_encode": 4}]}""", 3, "4 input dims")]
    [InlineData("""{"otype": "Composite", "reduction": "Sum", "nested": [{"otype": "Identity"}]}""", 3, "reduction")]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Identity", "n_dims_to_encode": 2, "dims_to_encode_begin": 2}]}""", 3, "outside")]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Identity", "n_dims_to_encode": 1}, {"otype": "SphericalHarmonics"}]}""", 3, "nested[1].otype")]
    [InlineData("""{"otype": "Composite", "nested": [{"otype": "Hash"}]}""", 3, "nested[0].otype")]
    [InlineData("""{"otype": "NRC"}""", 5, "8 input dims")]
    public void Factory_BadSettings_ThrowConfigExceptionNamingTheProblem(string json, int inputDims, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => Create(inputDims, json));
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public void Composite_BackwardWithoutPreparedContext_ThrowsClearly()
    {
        using var e = Create(2, """{"otype": "Composite", "nested": [{"otype": "Identity", "n_dims_to_encode": 1}, {"otype": "Identity"}]}""");
        using var x = Cpu.AllocateMatrix<double>(4, 2, out var xm);
        using var y = Cpu.AllocateMatrix<double>(4, 2, out var ym);
        using var ctx = e.Forward(xm, ym, prepareBackward: false);
        var ex = Assert.Throws<ArgumentException>(() => e.Backward(ctx, xm, ym, ym, xm));
        Assert.Contains("context", ex.Message);
    }

    [Fact]
    public void FloatPath_AgreesWithDoublePath()
    {
        const string json = """{"otype": "Composite", "nested": [{"otype": "Frequency", "n_dims_to_encode": 2, "n_frequencies": 6}, {"otype": "SphericalHarmonics", "n_dims_to_encode": 3}, {"otype": "OneBlob", "n_bins": 8, "n_dims_to_encode": 1}, {"otype": "TriangleWave", "n_frequencies": 3}]}""";
        int dims = 7, batch = 1000;
        var input = Random(dims * batch, 21);
        using var ed = Create(dims, json);
        using var ef = EncodingFactory.Create<float>(Cpu, dims, Json(json));
        var yd = Encode(ed, input);
        using var x = Cpu.Upload<float>([.. input.Select(v => (float)v)]);
        using var y = Cpu.AllocateMatrix<float>(batch, ef.OutputWidth, out var ym);
        ef.Inference(x.AsMatrix(batch, dims), ym);
        var yf = ym.AsSpan().ToArray();
        for (int i = 0; i < yd.Length; i++) Assert.True(Math.Abs(yd[i] - yf[i]) < 2e-5, $"element {i}: double {yd[i]}, float {yf[i]}");
    }

    sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= eps;
        public int GetHashCode(double v) => 0;
    }
}

/// <summary>A test encoding with parameters: y_j = θ_j·x_j, padding 0 (like a grid).</summary>
file sealed class ScaleEncoding(Backend backend, int dims) : Encoding<double>(backend)
{
    public override int InputWidth => dims;
    public override int EncodedWidth => dims;
    public override long ParamCount => dims;
    public override void InitializeParams(ref Rng rng, DeviceSpan<double> parameters, float scale = 1) => parameters.AsSpan().Fill(1);
    public override JsonObject Hyperparams() => new() { ["otype"] = "Scale" };

    protected override ForwardContext ForwardCore(DeviceMatrix<double> input, DeviceMatrix<double> output, bool prepareBackward)
    {
        var x = input.AsSpan(); var y = output.AsSpan(); var t = Params.AsSpan();
        for (int r = 0; r < input.Rows; r++) for (int j = 0; j < dims; j++) y[r * output.Cols + j] = t[j] * x[r * dims + j];
        return ForwardContext.Empty;
    }

    protected override void BackwardCore(ForwardContext ctx, DeviceMatrix<double> input, DeviceMatrix<double> output,
        DeviceMatrix<double> dLdOutput, DeviceMatrix<double>? dLdInput, GradientMode paramGradients)
    {
        var x = input.AsSpan(); var dy = dLdOutput.AsSpan(); var t = Params.AsSpan();
        if (paramGradients != GradientMode.Ignore)
        {
            var g = Gradients.AsSpan();
            if (paramGradients == GradientMode.Overwrite) g.Clear();
            for (int r = 0; r < input.Rows; r++) for (int j = 0; j < dims; j++) g[j] += dy[r * dLdOutput.Cols + j] * x[r * dims + j];
        }
        if (dLdInput is { } dxm)
        {
            var dx = dxm.AsSpan();
            for (int r = 0; r < input.Rows; r++) for (int j = 0; j < dims; j++) dx[r * dims + j] = dy[r * dLdOutput.Cols + j] * t[j];
        }
    }
}
