using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class HashGridTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    /// <summary>Small configs per dimension count with some dense and some hashed levels (checked in the test).</summary>
    static HashGrid<double> SmallGrid(int dims, int features, GridType type, GridInterpolation interpolation) => dims switch
    {
        1 => new HashGrid<double>(Cpu, 1, 4, features, 6, 16, 2.0, type, interpolation),   // res 16, 32, 64, 128
        2 => new HashGrid<double>(Cpu, 2, 4, features, 6, 4, 2.0, type, interpolation),    // res 4, 8, 16, 32
        _ => new HashGrid<double>(Cpu, dims, 4, features, 8, 4, 1.5, type, interpolation), // res 4, 6, 9, 14
    };

    /// <summary>
    /// Random points in (0, 1)^d whose cell fraction at every level is at least 1e-3 from 0 and 1: the linear
    /// interpolation's x-derivative jumps at cell boundaries, where central differences would straddle the kink.
    /// </summary>
    static double[] InteriorPoints<T>(HashGrid<T> grid, int count, ulong seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Rng(seed);
        var points = new double[count * grid.InputDims];
        for (int i = 0; i < count; i++)
        {
            while (true)
            {
                bool ok = true;
                for (int d = 0; d < grid.InputDims; d++)
                {
                    double x = 0.02 + 0.96 * rng.NextDouble();
                    points[i * grid.InputDims + d] = x;
                    for (int l = 0; l < grid.NLevels; l++)
                    {
                        double pos = x * grid.LevelScale(l) + 0.5, f = pos - Math.Floor(pos);
                        ok &= f > 1e-3 && f < 1 - 1e-3;
                    }
                }
                if (ok) break;
            }
        }
        return points;
    }

    static double[] UniformParams(long count, ulong seed)
    {
        var rng = new Rng(seed);
        var p = new double[count];
        for (int i = 0; i < p.Length; i++) p[i] = rng.NextDouble() * 2 - 1;
        return p;
    }

    public static TheoryData<int, int, GridType, GridInterpolation> GradientCases()
    {
        var data = new TheoryData<int, int, GridType, GridInterpolation>();
        foreach (int d in new[] { 1, 2, 3, 4 })
            foreach (int f in new[] { 1, 2, 4, 8 })
                foreach (var t in new[] { GridType.Hash, GridType.Dense, GridType.Tiled })
                    foreach (var i in new[] { GridInterpolation.Linear, GridInterpolation.Smoothstep })
                        data.Add(d, f, t, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradients_MatchFiniteDifferences(int dims, int features, GridType type, GridInterpolation interpolation)
    {
        using var grid = SmallGrid(dims, features, type, interpolation);
        if (type == GridType.Hash)
        {
            Assert.False(grid.IsLevelHashed(0));
            Assert.True(grid.IsLevelHashed(grid.NLevels - 1));
        }
        var x = InteriorPoints(grid, 12, (ulong)(dims * 100 + features));
        GradientCheck.Check(grid, x, UniformParams(grid.ParamCount, 7), new GradientCheck.Options { Tolerance = 1e-6 });
    }

    [Fact]
    public void Nearest_ParamGradientsMatch_AndOutputIsTheFloorVertex()
    {
        using var grid = new HashGrid<double>(Cpu, 2, 3, 2, 6, 4, 2.0, GridType.Hash, GridInterpolation.Nearest);
        var x = InteriorPoints(grid, 10, 3);
        GradientCheck.Check(grid, x, UniformParams(grid.ParamCount, 8), new GradientCheck.Options { CheckInput = false });
    }

    [Fact]
    public void DenseLevel_GivesTheBilinearValue()
    {
        // One 2D dense level, N_min 4: scale 3, resolution 4, 16 entries; vertex (i, j) is entry i + 4j, value (i + 4j)².
        using var grid = new HashGrid<double>(Cpu, 2, nLevels: 1, featuresPerLevel: 1, log2HashmapSize: 19, baseResolution: 4, type: GridType.Dense);
        Assert.Equal(16, grid.ParamCount);
        var p = Enumerable.Range(0, 16).Select(k => (double)k * k).ToArray();
        var y = Run(grid, p, [0.3, 0.6]);
        // pos = (0.3·3 + 0.5, 0.6·3 + 0.5) = (1.4, 2.3): cell (1, 2), fraction (0.4, 0.3); corners 9², 10², 13², 14².
        double expected = 0.6 * 0.7 * 81 + 0.4 * 0.7 * 100 + 0.6 * 0.3 * 169 + 0.4 * 0.3 * 196; // 115.96
        Assert.Equal(115.96, expected, 12);
        Assert.Equal(expected, y[0], 9);
    }

    [Fact]
    public void Output_IsLevelMajor()
    {
        // 1D, 2 dense levels, F 2, N_min 2, b 2: level 0 scale 1 (8 entries), level 1 scale 3 (8 entries, params 16..31).
        using var grid = new HashGrid<double>(Cpu, 1, 2, 2, 19, 2, 2.0, GridType.Dense);
        Assert.Equal(32, grid.ParamCount);
        Assert.Equal(16, grid.LevelParamOffset(1));
        var p = Enumerable.Range(0, 32).Select(k => (double)k).ToArray();
        // x = 0.5: level 0 pos 1.0 → entry 1 exactly; level 1 pos 2.0 → entry 2 (params 16 + 4, 16 + 5).
        Assert.Equal([2.0, 3.0, 20.0, 21.0], Run(grid, p, [0.5]));
    }

    [Fact]
    public void HashedCorner_ReadsTheEntryTheFormulaNames()
    {
        // 3D, one level of resolution 16 (N_min 16): 4096 vertices > 2^8 entries, so the level is hashed.
        using var grid = new HashGrid<double>(Cpu, 3, 1, 1, 8, 16, 2.0, GridType.Hash);
        Assert.True(grid.IsLevelHashed(0));
        Assert.Equal(256, grid.LevelEntries(0));
        uint expected = unchecked(3u * 1u ^ 5u * 2654435761u ^ 7u * 805459861u) & 255u;
        Assert.Equal(101u, expected); // 1191511397 mod 256
        Assert.Equal(expected, grid.VertexIndex(0, [3, 5, 7]));

        // A point whose cell corner is (3, 5, 7) with fractions (0.25, 0.5, 0.75): that corner weighs 0.75·0.5·0.25.
        var p = new double[256];
        p[expected] = 1.0;
        double Coord(double pos) => (pos - 0.5) / 15;
        var y = Run(grid, p, [Coord(3.25), Coord(5.5), Coord(7.75)]);
        double others = 0; // other corners may collide with entry 101; count them by the same formula
        for (int c = 1; c < 8; c++)
        {
            uint[] v = [3u + (uint)(c & 1), 5u + (uint)((c >> 1) & 1), 7u + (uint)((c >> 2) & 1)];
            if (grid.VertexIndex(0, v) == expected)
                others += ((c & 1) != 0 ? 0.25 : 0.75) * ((c & 2) != 0 ? 0.5 : 0.5) * ((c & 4) != 0 ? 0.75 : 0.25);
        }
        Assert.Equal(0.75 * 0.5 * 0.25 + others, y[0], 9);
    }

    [Fact]
    public void ConfigHash_ParamCount_MatchesTinyCudaNn()
    {
        // tiny-cuda-nn's samples/config_hash.json encoding, 2D: L 16, F 2, log2T 15, N_min 16, b 1.5.
        var config = JsonConfig.Parse("""{"otype": "HashGrid", "n_levels": 16, "n_features_per_level": 2, "log2_hashmap_size": 15, "base_resolution": 16, "per_level_scale": 1.5}""", "config_hash.json");
        using var grid = HashGrid<float>.FromJson(Cpu, 2, config);
        long total = 0;
        for (int l = 0; l < 16; l++)
        {
            // Per level as tiny-cuda-nn: scale = 16·1.5^l − 1, res = ceil(scale) + 1, min(roundup8(res²), 2^15) entries.
            double scale = 16 * Math.Pow(1.5, l) - 1;
            long res = (long)Math.Ceiling(scale) + 1; // exact: 1.5^l is exact in double
            long entries = Math.Min((res * res + 7) / 8 * 8, 1 << 15);
            Assert.Equal(entries, grid.LevelEntries(l));
            Assert.Equal(entries < res * res, grid.IsLevelHashed(l));
            total += entries;
        }
        Assert.Equal(354184, total);
        Assert.Equal(708368, grid.ParamCount); // levels 0..5 dense (16..122 vertices a side), 6..15 hashed
    }

    /// <summary>Forward outputs and parameter/input gradients of a float or double grid on the same data.</summary>
    static (T[] Y, T[] Grad, T[] Dx) ForwardBackward<T>(HashGrid<T> grid, double[] parameters, double[] input, double[] dLdy,
        GradientMode mode = GradientMode.Overwrite, double gradientFill = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] Cast(double[] a) => a.Select(T.CreateChecked).ToArray();
        int batch = input.Length / grid.InputDims;
        using var pBuf = Cpu.Upload<T>(Cast(parameters));
        using var gBuf = Cpu.Allocate<T>(parameters.Length);
        gBuf.All.AsSpan().Fill(T.CreateChecked(gradientFill));
        grid.SetParams(pBuf.All, gBuf.All);
        using var xBuf = Cpu.Upload<T>(Cast(input));
        using var dyBuf = Cpu.Upload<T>(Cast(dLdy));
        using var yBuf = Cpu.AllocateMatrix<T>(batch, grid.OutputWidth, out var y);
        using var dxBuf = Cpu.AllocateMatrix<T>(batch, grid.InputDims, out var dx);
        var x = xBuf.AsMatrix(batch, grid.InputDims);
        using (var ctx = grid.Forward(x, y))
            grid.Backward(ctx, x, y, dyBuf.AsMatrix(batch, grid.OutputWidth), dx, mode);
        return (y.AsSpan().ToArray(), gBuf.All.AsSpan().ToArray(), dx.AsSpan().ToArray());
    }

    static double[] Uniform(int count, ulong seed, double lo, double hi)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, count).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray();
    }

    [Theory]
    [InlineData(2, 2, GridType.Hash, GridInterpolation.Linear)]
    [InlineData(3, 2, GridType.Hash, GridInterpolation.Smoothstep)]
    [InlineData(3, 4, GridType.Tiled, GridInterpolation.Linear)]
    [InlineData(4, 1, GridType.Dense, GridInterpolation.Linear)]
    [InlineData(1, 8, GridType.Hash, GridInterpolation.Smoothstep)]
    public void Float_AgreesWithDouble(int dims, int features, GridType type, GridInterpolation interpolation)
    {
        using var gd = SmallGrid(dims, features, type, interpolation);
        using var gf = new HashGrid<float>(Cpu, dims, gd.NLevels, features, gd.Log2HashmapSize, gd.BaseResolution, gd.PerLevelScale, type, interpolation);
        int batch = 1003; // not a multiple of 8: the SIMD path's scalar remainder runs too
        var p = UniformParams(gd.ParamCount, 5);
        // Inputs and parameters representable in float, so that only the arithmetic differs.
        var x = Uniform(batch * dims, 6, 0, 1).Select(v => (double)(float)v).ToArray();
        var dy = Uniform(batch * gd.OutputWidth, 7, -1, 1);
        p = p.Select(v => (double)(float)v).ToArray();
        var (yd, gradD, dxD) = ForwardBackward(gd, p, x, dy);
        var (yf, gradF, dxF) = ForwardBackward(gf, p, x, dy);
        AssertClose(yd, yf, 1e-5, "forward");
        AssertClose(gradD, gradF, 1e-5, "dL/dparams");
        AssertClose(dxD, dxF, 1e-4, "dL/dx"); // ×scale amplifies float rounding of the cell fraction
    }

    static void AssertClose(double[] expected, float[] actual, double relative, string what)
    {
        double scale = expected.Max(Math.Abs);
        Assert.True(scale > 0, $"{what}: all zero");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"{what}[{i}]: double {expected[i]}, float {actual[i]}");
    }

    [Theory]
    [InlineData(2, 2, GridType.Hash, GridInterpolation.Linear)]
    [InlineData(3, 2, GridType.Hash, GridInterpolation.Smoothstep)]
    [InlineData(2, 4, GridType.Tiled, GridInterpolation.Linear)]
    [InlineData(2, 8, GridType.Dense, GridInterpolation.Smoothstep)]
    [InlineData(4, 2, GridType.Hash, GridInterpolation.Linear)]
    [InlineData(1, 1, GridType.Hash, GridInterpolation.Linear)]
    public void FloatSimd_IsBitIdenticalToScalarReference(int dims, int features, GridType type, GridInterpolation interpolation)
    {
        using var grid = new HashGrid<float>(Cpu, dims, 5, features, 10, 8, 1.7, type, interpolation);
        int batch = 2011;
        var p = UniformParams(grid.ParamCount, 9);
        var x = Uniform(batch * dims, 10, -0.2, 1.2); // outside [0, 1] too: index wrap-around on both paths
        var dy = Uniform(batch * grid.OutputWidth, 11, -1, 1);
        var simd = ForwardBackward(grid, p, x, dy);
        grid.ForceScalarKernels = true;
        var scalar = ForwardBackward(grid, p, x, dy);
        Assert.Equal(scalar.Y, simd.Y);
        Assert.Equal(scalar.Grad, simd.Grad);
        Assert.Equal(scalar.Dx, simd.Dx);
        Assert.All(simd.Y, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void ActiveLevels_MaskOutputsAndGradients()
    {
        using var grid = SmallGrid(3, 2, GridType.Hash, GridInterpolation.Linear);
        int batch = 50, w = grid.OutputWidth;
        var p = UniformParams(grid.ParamCount, 12);
        var x = InteriorPoints(grid, batch, 13);
        var dy = Uniform(batch * w, 14, -1, 1);
        var full = ForwardBackward(grid, p, x, dy);
        grid.ActiveLevels = 2;
        var masked = ForwardBackward(grid, p, x, dy, GradientMode.Overwrite, gradientFill: double.NaN);
        long activeParams = grid.LevelParamOffset(2);
        for (int i = 0; i < batch; i++)
            for (int k = 0; k < w; k++)
                Assert.Equal(k < 4 ? full.Y[i * w + k] : 0.0, masked.Y[i * w + k]);
        for (long j = 0; j < grid.ParamCount; j++)
            Assert.Equal(j < activeParams ? full.Grad[j] : 0.0, masked.Grad[j]); // inactive: overwritten with 0
        var accumulated = ForwardBackward(grid, p, x, dy, GradientMode.Accumulate, gradientFill: 0.5);
        for (long j = activeParams; j < grid.ParamCount; j++) Assert.Equal(0.5, accumulated.Grad[j]);
        Assert.NotEqual(full.Dx, masked.Dx);
        GradientCheck.Check(grid, InteriorPoints(grid, 8, 15), p);
        Assert.Throws<ArgumentOutOfRangeException>(() => grid.ActiveLevels = 5);
    }

    [Fact]
    public void Padding_ColumnsAreZero_AndIgnoredByBackward()
    {
        using var grid = SmallGrid(2, 2, GridType.Hash, GridInterpolation.Linear);
        grid.SetAlignment(16);
        Assert.Equal(8, grid.EncodedWidth);
        Assert.Equal(16, grid.OutputWidth);
        var x = InteriorPoints(grid, 20, 16);
        var (y, _, _) = ForwardBackward(grid, UniformParams(grid.ParamCount, 17), x, Uniform(20 * 16, 18, -1, 1));
        for (int i = 0; i < 20; i++)
            for (int k = 8; k < 16; k++) Assert.Equal(0.0, y[i * 16 + k]);
        GradientCheck.Check(grid, x, UniformParams(grid.ParamCount, 17));
    }

    [Fact]
    public void ParallelResults_AreBitIdentical_ForOneAndTwoThreads()
    {
        using var grid = new HashGrid<float>(Cpu, 3, 8, 2, 12, 8, 1.6);
        int batch = 20000; // several forward chunks
        var p = UniformParams(grid.ParamCount, 19);
        var x = Uniform(batch * 3, 20, 0, 1);
        var dy = Uniform(batch * grid.OutputWidth, 21, -1, 1);
        int keep = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var one = ForwardBackward(grid, p, x, dy);
            CpuParallel.ThreadCount = 2;
            var two = ForwardBackward(grid, p, x, dy);
            Assert.Equal(one.Y, two.Y);
            Assert.Equal(one.Grad, two.Grad);
            Assert.Equal(one.Dx, two.Dx);
        }
        finally { CpuParallel.ThreadCount = keep; }
    }

    [Theory]
    [InlineData("HashGrid", null, GridType.Hash)]
    [InlineData("grid", "Dense", GridType.Dense)]
    [InlineData("Grid", "tile", GridType.Tiled)]
    [InlineData("DenseGrid", null, GridType.Dense)]
    [InlineData("TILEDGRID", null, GridType.Tiled)]
    public void FromJson_ReadsOtypeAndType_AndHyperparamsRoundTrip(string otype, string? type, GridType expected)
    {
        string typeKey = type is null ? "" : $", \"type\": \"{type}\"";
        var config = JsonConfig.Parse($$"""{"otype": "{{otype}}"{{typeKey}}, "n_levels": 3, "n_features_per_level": 4, "log2_hashmap_size": 9, "base_resolution": 5, "per_level_scale": 1.25, "interpolation": "smoothstep"}""", "test.json");
        using var grid = HashGrid<float>.FromJson(Cpu, 3, config);
        Assert.Equal(expected, grid.Type);
        Assert.Equal((3, 4, 9, 5, 1.25, GridInterpolation.Smoothstep), (grid.NLevels, grid.FeaturesPerLevel, grid.Log2HashmapSize, grid.BaseResolution, grid.PerLevelScale, grid.Interpolation));
        using var again = HashGrid<float>.FromJson(Cpu, 3, JsonConfig.From(grid.Hyperparams()));
        Assert.Equal(grid.Hyperparams().ToJsonString(), again.Hyperparams().ToJsonString());
        Assert.Equal(grid.ParamCount, again.ParamCount);
    }

    [Fact]
    public void FromJson_Defaults_AreTinyCudaNns()
    {
        using var grid = HashGrid<float>.FromJson(Cpu, 3, JsonConfig.Parse("""{"otype": "HashGrid"}""", "t.json"));
        Assert.Equal((16, 2, 19, 16, 2.0, GridType.Hash, GridInterpolation.Linear),
            (grid.NLevels, grid.FeaturesPerLevel, grid.Log2HashmapSize, grid.BaseResolution, grid.PerLevelScale, grid.Type, grid.Interpolation));
        using var byFeatures = HashGrid<float>.FromJson(Cpu, 2, JsonConfig.Parse("""{"otype": "Grid", "n_features": 8, "n_features_per_level": 4}""", "t.json"));
        Assert.Equal(2, byFeatures.NLevels);
    }

    [Theory]
    [InlineData("\"n_features_per_level\": 3", 3, "encoding.n_features_per_level")]
    [InlineData("\"n_levels\": 0", 3, "encoding.n_levels")]
    [InlineData("\"log2_hashmap_size\": 31", 3, "encoding.log2_hashmap_size")]
    [InlineData("\"log2_hashmap_size\": 0", 3, "encoding.log2_hashmap_size")]
    [InlineData("\"base_resolution\": 0", 3, "encoding.base_resolution")]
    [InlineData("\"per_level_scale\": 0.5", 3, "encoding.per_level_scale")]
    [InlineData("\"interpolation\": \"Cubic\"", 3, "encoding.interpolation")]
    [InlineData("\"type\": \"Octree\"", 3, "encoding.type")]
    [InlineData("\"n_levels\": \"many\"", 3, "encoding.n_levels")]
    [InlineData("\"n_features\": 8, \"n_levels\": 4", 3, "encoding.n_features")]
    [InlineData("\"stochastic_interpolation\": true", 3, "encoding.stochastic_interpolation")]
    [InlineData("\"n_levels\": 2", 5, "encoding.otype")]
    [InlineData("\"type\": \"Dense\", \"base_resolution\": 4096", 3, "encoding.n_levels")]
    public void FromJson_InvalidValues_NameTheKey(string entry, int dims, string key)
    {
        var root = JsonConfig.Parse($$$"""{"encoding": {"otype": "HashGrid", {{{entry}}}}}""", "bad.json");
        var e = Assert.Throws<ConfigException>(() => HashGrid<float>.FromJson(Cpu, dims, root.Object("encoding")));
        Assert.StartsWith(key + ":", e.Message);
    }

    [Fact]
    public void FromJson_UnknownOtype_ListsTheKnownOnes()
    {
        var e = Assert.Throws<ConfigException>(() => HashGrid<float>.FromJson(Cpu, 2, JsonConfig.Parse("""{"otype": "Frequency"}""", "t.json")));
        Assert.Contains("otype", e.Message);
        Assert.Contains("HashGrid", e.Message);
    }

    [Fact]
    public void Constructor_RejectsBadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashGrid<float>(Cpu, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new HashGrid<float>(Cpu, 2, featuresPerLevel: 16));
    }

    /// <summary>Runs one forward pass with the given parameters; returns the output rows.</summary>
    static T[] Run<T>(HashGrid<T> grid, T[] parameters, T[] input) where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var pBuf = Cpu.Upload<T>(parameters);
        using var gBuf = Cpu.Allocate<T>(parameters.Length);
        grid.SetParams(pBuf.All, gBuf.All);
        using var xBuf = Cpu.Upload<T>(input);
        int batch = input.Length / grid.InputDims;
        using var yBuf = Cpu.AllocateMatrix<T>(batch, grid.OutputWidth, out var y);
        grid.Inference(xBuf.AsMatrix(batch, grid.InputDims), y);
        return y.AsSpan().ToArray();
    }
}
