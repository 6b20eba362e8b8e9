using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class OccupancyGridTests
{
    static readonly Aabb Unit = new(new Vector3(-1), new Vector3(1)); // half-size 1

    [Theory]
    [InlineData(1f, 1)]
    [InlineData(2f, 2)]
    [InlineData(3f, 3)]
    [InlineData(4f, 3)]
    [InlineData(16f, 5)]
    [InlineData(128f, 8)]
    [InlineData(1000f, 8)]
    public void Cascades_AreCeilLog2PlusOne_CappedAt8(float scale, int cascades) =>
        Assert.Equal(cascades, OccupancyGrid.CascadesForAabbScale(scale));

    [Fact]
    public void ForScene_RenderBoxIsTheBaseBoxScaledByAabbScale()
    {
        var g = OccupancyGrid.ForScene(Unit, 3f, 16);
        Assert.Equal(3, g.Cascades);
        Assert.Equal(new Vector3(-3), g.RenderBox.Min);
        Assert.Equal(new Vector3(4), g.CascadeBox(2).Max);
        Assert.Throws<ArgumentOutOfRangeException>(() => OccupancyGrid.ForScene(Unit, 0.5f, 16));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OccupancyGrid(Unit, 1, 12));
    }

    [Theory]
    [InlineData(0.5f, 0)]
    [InlineData(-1f, 0)]    // the grid is half-open: the min face belongs to cascade 0
    [InlineData(0.999f, 0)]
    [InlineData(1f, 1)]
    [InlineData(1.9f, 1)]
    [InlineData(-1.9f, 1)]
    [InlineData(3.9f, 2)]
    [InlineData(100f, 3)]   // outside every cascade: the last one
    public void CascadeAt_IsTheSmallestCascadeContainingThePoint(float x, int cascade)
    {
        var g = new OccupancyGrid(Unit, 4, 16);
        Assert.Equal(cascade, g.CascadeAt(new Vector3(x, 0.1f, -0.2f)));
    }

    [Fact]
    public void SampleLevel_RisesWithTheStep_AsMipFromDt()
    {
        var g = new OccupancyGrid(new Aabb(Vector3.Zero, Vector3.One), 8, 128);
        var u = new Vector3(0.1f);
        Assert.Equal(0, g.SampleLevel(u, g.MinStepSize));
        Assert.Equal(2, g.SampleLevel(u, 1f / 128));     // dt·256 = 2 → frexp exponent 2
        Assert.Equal(7, g.SampleLevel(u, 1f));           // capped at the last cascade
        Assert.Equal(MathF.Sqrt(3f), g.MaxStepSize, 5);  // instant-ngp's MAX_CONE_STEPSIZE for 8 cascades
    }

    [Fact]
    public void OneOccupiedCell_SetsOneBitPerLevel_AtTheCentreOfCoarserLevels()
    {
        var g = new OccupancyGrid(Unit, 1, 16);
        g.Density(0, 5, 6, 7) = 1f;
        g.RebuildBitfield();
        Assert.Equal(1f / 4096, g.Threshold); // mean below 0.01
        Assert.Equal(5, g.MipLevels);
        Assert.True(g.GetBit(0, (int)Morton.Encode(5, 6, 7)));
        Assert.True(g.GetBit(1, (int)Morton.Encode(4 + 2, 4 + 3, 4 + 3)));
        Assert.True(g.GetBit(2, (int)Morton.Encode(4 + 3, 4 + 3, 4 + 3)));
        for (int m = 0; m < g.MipLevels; m++)
        {
            int bits = 0;
            for (int i = 0; i < g.CellsPerCascade; i++) if (g.GetBit(m, i)) bits++;
            Assert.Equal(1, bits);
        }
        // The same world point is occupied at every level.
        var p = g.CellPoint(0, (int)Morton.Encode(5, 6, 7), new Vector3(0.5f));
        for (int m = 0; m < g.MipLevels; m++) Assert.True(g.IsOccupiedGrid(g.ToGrid(p), m));
    }

    [Fact]
    public void Threshold_IsMinOfPointZeroOneAndCascade0Mean_UnseenCountingAsZero()
    {
        var g = new OccupancyGrid(Unit, 2, 8);
        Array.Fill(g.Densities, 0.5f);
        g.RebuildBitfield();
        Assert.Equal(0.01f, g.Threshold);
        Array.Fill(g.Densities, 0.004f, 0, 256);          // half of cascade 0 at 0.004
        Array.Fill(g.Densities, -1f, 256, 256);           // the other half unseen
        Array.Fill(g.Densities, 0f, 512, 512);
        g.RebuildBitfield();
        Assert.Equal(0.002f, g.Threshold, 6);
        Assert.Equal(256, g.CountOccupied(0));
        Assert.Equal(0, g.CountOccupied(1));
    }

    [Fact]
    public void Schedule_EveryStepBefore256_ThenEvery16()
    {
        var g = new OccupancyGrid(Unit, 1, 8);
        for (int s = 0; s < 256; s++) Assert.True(g.IsUpdateStep(s));
        for (int s = 256; s < 400; s++) Assert.Equal(s % 16 == 0, g.IsUpdateStep(s));
        var ngp = new OccupancyGrid(Unit, 1, 8) { Schedule = OccupancyUpdateSchedule.InstantNgp };
        Assert.True(ngp.IsUpdateStep(31));
        Assert.False(ngp.IsUpdateStep(33));   // 33 % clamp(2) ≠ 0
        Assert.True(ngp.IsUpdateStep(34));
        Assert.False(ngp.IsUpdateStep(260));
        Assert.True(ngp.IsUpdateStep(272));
        var nerfacc = new OccupancyGrid(Unit, 1, 8) { Schedule = OccupancyUpdateSchedule.Nerfacc };
        for (int s = 0; s < 400; s++) Assert.Equal(s % 16 == 0, nerfacc.IsUpdateStep(s));
    }

    [Fact]
    public void Warmup_SamplesEveryCellOnceInsideIt_AndStoresSigmaTimesMinStep()
    {
        var g = new OccupancyGrid(Unit, 2, 8);
        var hits = new int[g.Densities.Length];
        var rng = new Rng(3);
        Assert.True(g.Update(0, (pos, sigma) =>
        {
            for (int i = 0; i < sigma.Length; i++)
            {
                var p = new Vector3(pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]);
                // Cascade 0 points fall in cascade 0's grid; cascade 1 points are told apart by a marker density.
                int c = g.CascadeAt(p);
                sigma[i] = 2f;
                if (c == 0) hits[g.CellIndex(g.ToGrid(p), 0)]++;
            }
        }, ref rng));
        Assert.Equal(g.Densities.Length, g.LastSampleCount);
        Assert.All(hits.AsSpan(0, g.CellsPerCascade).ToArray(), h => Assert.True(h >= 1));
        Assert.All(g.Densities, d => Assert.Equal(2f * g.MinStepSize, d));
        Assert.Equal(1, g.UpdateCount);
        // A uniform field equals its own mean, and occupancy is strictly "> threshold" (instant-ngp): none occupied.
        Assert.Equal(0, g.CountOccupied(0));
    }

    [Fact]
    public void Update_DecaysEveryCellBy095_AndTakesTheMaxForSampledCells()
    {
        var g = new OccupancyGrid(Unit, 1, 8);
        var rng = new Rng(5);
        g.Update(0, (_, s) => s.Fill(1f), ref rng);
        float v0 = g.MinStepSize;
        g.Update(1, (_, s) => s.Fill(0f), ref rng);               // warm-up, σ = 0: pure decay
        Assert.All(g.Densities, d => Assert.Equal(v0 * 0.95f, d));
        Assert.False(g.Update(257, (_, s) => s.Fill(0f), ref rng)); // not an update step
        Assert.All(g.Densities, d => Assert.Equal(v0 * 0.95f, d));

        // After the warm-up: N/4 uniform + min(N/4, occupied) samples; sampled cells jump, all others decay.
        for (int i = 0; i < 100; i++) g.Densities[i] *= 2f;   // 100 cells above the new mean
        g.RebuildBitfield();
        Assert.Equal(100, g.CountOccupied(0));
        var before = (float[])g.Densities.Clone();
        g.Update(256, (_, s) => s.Fill(100f), ref rng);
        Assert.Equal(512 / 4 + 100, g.LastSampleCount);
        int raised = 0, decayed = 0;
        for (int i = 0; i < 512; i++)
        {
            if (g.Densities[i] == 100f * g.MinStepSize) raised++;
            else if (g.Densities[i] == before[i] * 0.95f) decayed++;
        }
        Assert.Equal(512, raised + decayed);
        Assert.InRange(raised, 150, 228);   // ≤ 228 samples; all 100 occupied cells among them
        for (int i = 0; i < 100; i++) Assert.Equal(100f * g.MinStepSize, g.Densities[i]);
    }

    [Fact]
    public void UnseenCells_StayMinusOne_AndAreNeverSampled()
    {
        var g = new OccupancyGrid(Unit, 1, 8);
        g.MarkUnseenCells(p => p.X < 0f); // cells with every corner at x ≥ 0 are unseen
        int unseen = g.Densities.Count(d => d < 0f);
        Assert.Equal(256, unseen);
        Assert.Equal(-1f, g.Density(0, 4, 0, 0));
        Assert.Equal(0f, g.Density(0, 3, 0, 0));  // its x = 0 corner is not visible, the x = −0.25 ones are
        var rng = new Rng(9);
        for (int step = 0; step < 300; step++)
            g.Update(step, (pos, s) =>
            {
                for (int i = 0; i < s.Length; i++)
                {
                    Assert.True(pos[3 * i] < 0f, "an unseen cell was sampled");
                    s[i] = 10f;
                }
            }, ref rng);
        Assert.Equal(unseen, g.Densities.Count(d => d == -1f));
        Assert.Equal(0, g.Densities.Count(d => d >= 0f && d < 1e-6f));
    }

    [Fact]
    public void SaveLoad_RoundTrips_AndContinuesIdentically()
    {
        var g = new OccupancyGrid(Unit, 2, 8) { Decay = 0.9f };
        var rng = new Rng(11);
        DensityFunction f = (pos, s) => { for (int i = 0; i < s.Length; i++) s[i] = MathF.Max(0f, 1f - new Vector3(pos[3 * i], pos[3 * i + 1], pos[3 * i + 2]).Length()) * 50f; };
        for (int s = 0; s < 3; s++) g.Update(s, f, ref rng);
        var ms = new MemoryStream();
        g.Save(ms);
        ms.Position = 0;
        var h = OccupancyGrid.Load(ms);
        Assert.Equal(g.Densities, h.Densities);
        Assert.Equal(g.Bitfield, h.Bitfield);
        Assert.Equal((g.Threshold, g.UpdateCount, g.Decay, g.RenderBox), (h.Threshold, h.UpdateCount, h.Decay, h.RenderBox));
        var r1 = rng; var r2 = rng;
        g.Update(256, f, ref r1);
        h.Update(256, f, ref r2);
        Assert.Equal(g.Densities, h.Densities);
        Assert.Equal(r1.State, r2.State);

        var bytes = ms.ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => OccupancyGrid.Load(new MemoryStream(bytes[..^10]), "ckpt/grid.bin"));
        Assert.Contains("ckpt/grid.bin", ex.Message);
        bytes[0] = (byte)'X';
        Assert.Throws<InvalidDataException>(() => OccupancyGrid.Load(new MemoryStream(bytes)));
    }
}
