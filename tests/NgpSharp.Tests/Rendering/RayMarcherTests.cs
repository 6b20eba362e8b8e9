using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Geometry;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class RayMarcherTests
{
    static readonly Aabb UnitCube = new(Vector3.Zero, Vector3.One); // instant-ngp's cascade 0
    const float Step = 1.73205080757f / 1024f;

    static OccupancyGrid OneCellGrid()
    {
        var g = new OccupancyGrid(UnitCube, 1, 16);
        Array.Clear(g.Densities);
        g.Density(0, 8, 8, 8) = 1f; // x, y, z ∈ [0.5, 0.5625)
        g.RebuildBitfield();
        return g;
    }

    static RaySamples MarchOne(OccupancyGrid g, Vector3 o, Vector3 d, float jitter, MarchSettings? s = null)
    {
        var output = new RaySamples(1, 0);
        RayMarcher.MarchWithOffsets([o.X, o.Y, o.Z], [d.X, d.Y, d.Z], g, s ?? new MarchSettings(), [jitter], output);
        return output;
    }

    [Fact]
    public void OneOccupiedCell_SamplesOnlyInsideIt_OnTheStepLattice()
    {
        var g = OneCellGrid();
        var o = new Vector3(-1f, 0.53f, 0.53f);
        var samples = MarchOne(g, o, Vector3.UnitX, 0.25f);
        // Box entry at t = 1; lattice t_k = (1/Step + 0.25 + k)·Step; the cell spans t ∈ [1.5, 1.5625).
        double n0 = 1.0 / Step + 0.25;
        int kFirst = (int)Math.Ceiling(1.5 / Step - n0), kLast = (int)Math.Ceiling(1.5625 / Step - n0) - 1;
        Assert.Equal(kLast - kFirst + 1, samples.Count);
        Assert.InRange(samples.Count, 36, 37);          // cell width / dt = 0.0625 / 0.00169 ≈ 36.95
        Assert.Equal(samples.Count, samples.RayCounts[0]);
        for (int i = 0; i < samples.Count; i++)
        {
            Assert.Equal((n0 + kFirst + i) * Step, samples.TStarts[i], 4);
            Assert.Equal(Step, samples.TEnds[i] - samples.TStarts[i], 5);
            float x = o.X + samples.TStarts[i];
            Assert.InRange(x, 0.5f, 0.5625f);
            Assert.Equal(0, samples.RayIndices[i]);
        }
    }

    [Fact]
    public void RayMissingTheCell_OrTheBox_HasNoSamples()
    {
        var g = OneCellGrid();
        Assert.Equal(0, MarchOne(g, new Vector3(-1f, 0.2f, 0.53f), Vector3.UnitX, 0.5f).Count);
        Assert.Equal(0, MarchOne(g, new Vector3(-1f, 2f, 0.53f), Vector3.UnitX, 0.5f).Count);
    }

    [Fact]
    public void FreshGrid_IsAllOccupied_AndTheCapHolds()
    {
        var g = new OccupancyGrid(UnitCube, 1, 16);
        var o = new Vector3(-1f, 0.5f, 0.5f);
        var s = MarchOne(g, o, Vector3.UnitX, 0.5f);
        Assert.Equal(591, s.Count);                      // lattice points in t ∈ [1, 2]: 1/Step = 591.2
        Assert.Equal(1f + 0.5f * Step, s.TStarts[0], 5);  // inference offset: half a step in
        Assert.Equal(100, MarchOne(g, o, Vector3.UnitX, 0.5f, new MarchSettings { MaxSamplesPerRay = 100 }).Count);
    }

    [Fact]
    public void UnseenCells_AreNeverSampled()
    {
        var g = new OccupancyGrid(UnitCube, 1, 16);
        Array.Fill(g.Densities, 1f);
        g.MarkUnseenCells(p => p.X < 0.5f);
        var o = new Vector3(-1f, 0.3f, 0.7f);
        var s = MarchOne(g, o, Vector3.UnitX, 0.3f);
        Assert.True(s.Count > 250);
        for (int i = 0; i < s.Count; i++) Assert.True(o.X + s.TStarts[i] < 0.5f);
    }

    [Fact]
    public void ConeStepping_IsMinStep_ThenTTimesCone_ThenMaxStep()
    {
        var c = new ConeStepping(1f / 256, Step, 0.5f);
        Assert.Equal(Step, c.StepAt(0.1f), 6);
        Assert.Equal(1f / 256, c.StepAt(1f), 5);
        Assert.Equal(8f / 256, c.StepAt(8f), 4);
        Assert.Equal(0.5f, c.StepAt(1000f), 3);
        for (float n = -50; n < 3000; n += 37.3f) Assert.Equal(n, c.ToSteppingSpace(c.FromSteppingSpace(n)), 1);
    }

    static (OccupancyGrid grid, float[] o, float[] d, float[] jitter) RandomScene(int seed, int cascades, int rays)
    {
        var rng = new Rng((ulong)seed);
        var g = new OccupancyGrid(UnitCube, cascades, 16);
        for (int i = 0; i < g.Densities.Length; i++)
        {
            float r = rng.NextFloat();
            g.Densities[i] = r < 0.03f ? 1f : r < 0.06f ? -1f : 0f;
        }
        g.RebuildBitfield();
        var o = new float[3 * rays]; var d = new float[3 * rays]; var jitter = new float[rays];
        float extent = 0.5f * (1 << (cascades - 1));
        for (int r = 0; r < rays; r++)
        {
            var origin = new Vector3(0.5f) + 2f * extent * Vector3.Normalize(new Vector3(rng.NextFloat(-1, 1), rng.NextFloat(-1, 1), rng.NextFloat(-1, 1)));
            var target = new Vector3(0.5f) + extent * new Vector3(rng.NextFloat(-1, 1), rng.NextFloat(-1, 1), rng.NextFloat(-1, 1));
            if (r % 7 == 0) target.Y = origin.Y;         // some axis-parallel components
            var dir = Vector3.Normalize(target - origin);
            if (r % 11 == 0) origin = new Vector3(0.5f) + 0.3f * extent * dir; // some start inside
            o[3 * r] = origin.X; o[3 * r + 1] = origin.Y; o[3 * r + 2] = origin.Z;
            d[3 * r] = dir.X; d[3 * r + 1] = dir.Y; d[3 * r + 2] = dir.Z;
            jitter[r] = rng.NextFloat();
        }
        return (g, o, d, jitter);
    }

    [Theory]
    [InlineData(1, 1, 0f)]
    [InlineData(2, 2, 0f)]
    [InlineData(3, 3, 1f / 256)]
    [InlineData(4, 2, 1f / 32)]
    public void Skipping_GivesExactlyTheSamplesOfPlainStepping(int seed, int cascades, float cone)
    {
        var (g, o, d, jitter) = RandomScene(seed, cascades, 300);
        var settings = new MarchSettings { ConeAngle = cone };
        var fast = new RaySamples(300, 0);
        var slow = new RaySamples(300, 0);
        RayMarcher.MarchWithOffsets(o, d, g, settings, jitter, fast);
        RayMarcher.MarchWithoutSkipping(o, d, g, settings, jitter, slow);
        Assert.True(slow.Count > 500, $"too few samples to be a test: {slow.Count}");
        Assert.Equal(slow.RayCounts, fast.RayCounts);
        Assert.Equal(slow.RayOffsets, fast.RayOffsets);
        Assert.Equal(slow.TStarts.AsSpan(0, slow.Count).ToArray(), fast.TStarts.AsSpan(0, fast.Count).ToArray());
        Assert.Equal(slow.TEnds.AsSpan(0, slow.Count).ToArray(), fast.TEnds.AsSpan(0, fast.Count).ToArray());
        Assert.Equal(slow.RayIndices.AsSpan(0, slow.Count).ToArray(), fast.RayIndices.AsSpan(0, fast.Count).ToArray());
    }

    [Fact]
    public void Samples_AreOccupiedAndOrdered_AndOutputIsPacked()
    {
        var (g, o, d, _) = RandomScene(7, 2, 200);
        var rng = new Rng(1);
        var s = new RaySamples(200, 0);
        RayMarcher.March(o, d, g, new MarchSettings { ConeAngle = 1f / 256 }, ref rng, s);
        int expectedOffset = 0;
        for (int r = 0; r < 200; r++)
        {
            Assert.Equal(expectedOffset, s.RayOffsets[r]);
            expectedOffset += s.RayCounts[r];
            var orig = new Vector3(o[3 * r], o[3 * r + 1], o[3 * r + 2]);
            var dir = new Vector3(d[3 * r], d[3 * r + 1], d[3 * r + 2]);
            for (int i = s.RayOffsets[r]; i < s.RayOffsets[r] + s.RayCounts[r]; i++)
            {
                Assert.Equal(r, s.RayIndices[i]);
                Assert.True(s.TEnds[i] > s.TStarts[i]);
                if (i > s.RayOffsets[r]) Assert.True(s.TStarts[i] >= s.TEnds[i - 1]);
                Assert.True(g.IsOccupied(orig + s.TStarts[i] * dir, s.TEnds[i] - s.TStarts[i]));
            }
        }
        Assert.Equal(expectedOffset, s.Count);
    }

    [Fact]
    public void March_IsDeterministicAcrossThreadCounts_AndAdvancesTheRng()
    {
        var (g, o, d, _) = RandomScene(5, 2, 1000);
        int saved = CpuParallel.ThreadCount;
        try
        {
            var results = new List<(RaySamples s, ulong state)>();
            foreach (int threads in new[] { 1, 4 })
            {
                CpuParallel.ThreadCount = threads;
                var rng = new Rng(42);
                var s = new RaySamples(1000, 0);
                RayMarcher.March(o, d, g, new MarchSettings(), ref rng, s);
                results.Add((s, rng.State));
            }
            var (a, sa) = results[0];
            var (b, sb) = results[1];
            Assert.Equal(sa, sb);
            Assert.Equal(new Rng(42).Advanced(1000).State, sa);
            Assert.Equal(a.Count, b.Count);
            Assert.Equal(a.TStarts.AsSpan(0, a.Count).ToArray(), b.TStarts.AsSpan(0, b.Count).ToArray());
            Assert.Equal(a.RayCounts, b.RayCounts);
        }
        finally { CpuParallel.ThreadCount = saved; }
    }

    [Fact]
    public void BadInput_IsAClearError()
    {
        var g = new OccupancyGrid(UnitCube, 1, 16);
        var rng = new Rng(1);
        var ex = Assert.Throws<ArgumentException>(() => RayMarcher.March([0, 0, 0], [0, 0, 2], g, new MarchSettings(), ref rng, new RaySamples(1, 0)));
        Assert.Contains("ray 0", ex.Message);
        Assert.Throws<ArgumentException>(() => RayMarcher.March([0, 0, 0], [0, 0, 1], g, new MarchSettings(), ref rng, new RaySamples(2, 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RayMarcher.MarchInference([0, 0, 0], [0, 0, 1], g, new MarchSettings { MaxSamplesPerRay = 0 }, new RaySamples(1, 0)));
    }
}
