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
