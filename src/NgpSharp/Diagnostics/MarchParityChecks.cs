using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Geometry;
using NgpSharp.Rendering;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of the occupancy grid update (OccupancyGrid.cu: splat, decay, threshold, bitfield, max-pool
/// levels) and the ray marcher (RayMarcher.cu: count + fill passes) on random sparse grids. Both sides run the same
/// host-side choices (cells, jitter, σ), so densities, bitfields and sample lists must agree exactly; the bounds allow
/// 1e-6 relative for t values and densities (an FMA-contracting GPU compiler) and the double-sum order for the threshold.
/// On a non-CUDA "device" both sides run the CPU code.
/// </summary>
public static class MarchParityChecks
{
    /// <summary>Relative bound for densities, thresholds and t values.</summary>
    const double ValueBound = 1e-6;

    static readonly Aabb Box = new(new Vector3(-0.3f, -0.2f, -0.5f), new Vector3(0.7f, 0.9f, 0.5f));

    public static IEnumerable<ParityCheck> Checks()
    {
        foreach (var (cascades, res) in new[] { (1, 16), (2, 32) })
        {
            yield return new ParityCheck($"grid {cascades}c {res}³: rebuild bitfield + mips", (cpu, device) => CompareRebuild(device, cascades, res));
            yield return new ParityCheck($"grid {cascades}c {res}³: updates (warm-up, then uniform + occupied)", (cpu, device) => CompareUpdates(device, cascades, res));
        }
        foreach (var (cascades, res) in new[] { (1, 16), (2, 32) })
            foreach (float cone in new[] { 0f, 1f / 256 })
                foreach (bool training in new[] { false, true })
                {
                    string name = $"march {cascades}c {res}³ cone {(cone == 0 ? "0" : "1/256")} {(training ? "training" : "inference")}";
                    yield return new ParityCheck(name, (cpu, device) => CompareMarch(device, cascades, res, cone, training, maxSamples: 1024));
                }
        // Three cascades with cone steps: far samples take steps of several cells, so mip_from_dt picks coarser levels.
        foreach (bool training in new[] { false, true })
            yield return new ParityCheck($"march 3c 16³ cone 1/256 {(training ? "training" : "inference")}",
                (cpu, device) => CompareMarch(device, 3, 16, 1f / 256, training, maxSamples: 1024));
        yield return new ParityCheck("march 2c 32³ cone 1/256 training, 24 samples per ray at most",
            (cpu, device) => CompareMarch(device, 2, 32, 1f / 256, true, maxSamples: 24));
    }

    /// <summary>A grid with random densities: ~15% in (0, 0.05), ~10% unseen (−1), the rest 0.</summary>
    internal static OccupancyGrid RandomGrid(int cascades, int res, ulong seed)
    {
        var grid = NewGrid(cascades, res);
        var rng = new Rng(seed);
        for (int i = 0; i < grid.Densities.Length; i++)
        {
            float r = rng.NextFloat();
            grid.Densities[i] = r < 0.15f ? 0.05f * rng.NextFloat() : r < 0.25f ? -1f : 0f;
        }
        grid.RebuildBitfield();
        return grid;
    }

    /// <summary>Same geometry, settings, densities and bitfield (the threshold is recomputed by the first update).</summary>
    static OccupancyGrid Clone(OccupancyGrid grid)
    {
        var copy = NewGrid(grid.Cascades, grid.Resolution);
        grid.Densities.CopyTo(copy.Densities, 0);
        grid.Bitfield.CopyTo(copy.Bitfield, 0);
        return copy;
    }

    /// <summary>Updates at every step, warm-up (every seen cell) for steps 0 and 1; σ evaluated in batches of 5000 (several per update).</summary>
    static OccupancyGrid NewGrid(int cascades, int res) =>
        new(Box, cascades, res) { WarmupSteps = 2, UpdateInterval = 1, EvaluationBatchSize = 5000 };

    /// <summary>σ(p): a smooth field, positive in about half of space, large enough to beat the threshold.</summary>
    static void Density(ReadOnlySpan<float> positions, Span<float> sigma)
    {
        for (int k = 0; k < sigma.Length; k++)
        {
            float x = positions[3 * k], y = positions[3 * k + 1], z = positions[3 * k + 2];
            sigma[k] = MathF.Max(0f, 20f * MathF.Sin(7f * x) * MathF.Sin(5f * y + 1f) * MathF.Sin(3f * z + 0.5f));
        }
    }

    static ParityResult CompareGrids(OccupancyGrid expected, OccupancyGrid actual, string what)
    {
        int bitErrors = 0;
        for (int i = 0; i < expected.Bitfield.Length; i++) bitErrors += BitOperations.PopCount((uint)(expected.Bitfield[i] ^ actual.Bitfield[i]));
        var densities = new ParityResult(Parity.RelativeError(expected.Densities, actual.Densities), ValueBound, $"{what}: densities");
        var bits = new ParityResult(bitErrors, 0, $"{what}: {bitErrors} bitfield bits differ");
        double thresholdError = Math.Abs((double)expected.Threshold - actual.Threshold) / Math.Max(Math.Abs(expected.Threshold), 1e-30);
        var threshold = new ParityResult(thresholdError, ValueBound, $"{what}: threshold {actual.Threshold:R} vs {expected.Threshold:R}");
        return ParityResult.Worst(densities, bits, threshold);
    }

    static ParityResult CompareRebuild(Backend device, int cascades, int res)
    {
        var cpuGrid = RandomGrid(cascades, res, 31);
        var deviceGrid = Clone(cpuGrid);
        Array.Fill(deviceGrid.Bitfield, (byte)0xA5); // must be overwritten entirely
        if (device is CudaBackend cuda) deviceGrid.RebuildBitfield(cuda); else deviceGrid.RebuildBitfield();
        return CompareGrids(cpuGrid, deviceGrid, "rebuild");
    }

    /// <summary>Steps 0, 1 (warm-up: every seen cell), 2, 3 (N/4 uniform + N/4 occupied cells per cascade).</summary>
    static ParityResult CompareUpdates(Backend device, int cascades, int res)
    {
        var cpuGrid = RandomGrid(cascades, res, 32);
        var deviceGrid = Clone(cpuGrid);
        Rng rngCpu = new(33), rngDevice = new(33);
        var results = new List<ParityResult>();
        for (int step = 0; step < 4; step++)
        {
            cpuGrid.Update(step, Density, ref rngCpu);
            if (device is CudaBackend cuda) deviceGrid.Update(cuda, step, Density, ref rngDevice);
            else deviceGrid.Update(step, Density, ref rngDevice);
            results.Add(CompareGrids(cpuGrid, deviceGrid, $"after step {step}"));
            bool sameRng = rngCpu.State == rngDevice.State && cpuGrid.LastSampleCount == deviceGrid.LastSampleCount;
            results.Add(new ParityResult(sameRng ? 0 : double.PositiveInfinity, 0, $"step {step}: rng state / sample count"));
        }
        return ParityResult.Worst([.. results]);
    }

    /// <summary>Rays from a shell around the render box towards random points in it (some start inside).</summary>
    internal static (float[] Origins, float[] Directions) RandomRays(OccupancyGrid grid, int rays, ulong seed)
    {
        var rng = new Rng(seed);
        var origins = new float[3 * rays];
        var directions = new float[3 * rays];
        var box = grid.RenderBox;
        for (int r = 0; r < rays; r++)
        {
            Vector3 Uniform() => box.Min + box.Size * new Vector3(rng.NextFloat(), rng.NextFloat(), rng.NextFloat());
            var target = Uniform();
            var origin = r % 5 == 0 ? Uniform() : box.Centre + (Uniform() - box.Centre) * 3f;
            var d = target - origin;
            if (d.LengthSquared() < 1e-6f) d = Vector3.UnitX;
            d = Vector3.Normalize(d);
            origins[3 * r] = origin.X; origins[3 * r + 1] = origin.Y; origins[3 * r + 2] = origin.Z;
            directions[3 * r] = d.X; directions[3 * r + 1] = d.Y; directions[3 * r + 2] = d.Z;
        }
        return (origins, directions);
    }

    static ParityResult CompareMarch(Backend device, int cascades, int res, float cone, bool training, int maxSamples)
    {
        var grid = RandomGrid(cascades, res, 40 + (ulong)res);
        const int rays = 1500;
        var (origins, directions) = RandomRays(grid, rays, 41);
        var settings = new MarchSettings { ConeAngle = cone, MaxSamplesPerRay = maxSamples, NearDistance = 0.05f };
        var expected = new RaySamples(rays, 1024);
        var actual = new RaySamples(rays, 16);
        Rng rngCpu = new(42), rngDevice = new(42);
        if (training) RayMarcher.March(origins, directions, grid, settings, ref rngCpu, expected);
        else RayMarcher.MarchInference(origins, directions, grid, settings, expected);
        if (device is CudaBackend cuda)
        {
            if (training) RayMarcher.March(cuda, origins, directions, grid, settings, ref rngDevice, actual);
            else RayMarcher.MarchInference(cuda, origins, directions, grid, settings, actual);
        }
        else if (training) RayMarcher.March(origins, directions, grid, settings, ref rngDevice, actual);
        else RayMarcher.MarchInference(origins, directions, grid, settings, actual);

        string counts = $"{actual.Count} samples vs {expected.Count}";
        if (expected.Count == 0) return new ParityResult(double.PositiveInfinity, 0, "the check marched no samples");
        if (actual.Count != expected.Count || rngCpu.State != rngDevice.State)
            return new ParityResult(double.PositiveInfinity, 0, counts + (rngCpu.State != rngDevice.State ? ", rng states differ" : ""));
        int mismatches = 0;
        for (int r = 0; r < rays; r++)
            if (actual.RayCounts[r] != expected.RayCounts[r] || actual.RayOffsets[r] != expected.RayOffsets[r]) mismatches++;
        for (int s = 0; s < expected.Count; s++)
            if (actual.RayIndices[s] != expected.RayIndices[s]) mismatches++;
        if (mismatches > 0) return new ParityResult(double.PositiveInfinity, 0, $"{mismatches} ray counts/offsets/indices differ");
        int n = expected.Count;
        return ParityResult.Worst(
            new ParityResult(Parity.RelativeError(expected.TStarts.AsSpan(0, n), actual.TStarts.AsSpan(0, n)), ValueBound, counts + ": t starts"),
            new ParityResult(Parity.RelativeError(expected.TEnds.AsSpan(0, n), actual.TEnds.AsSpan(0, n)), ValueBound, counts + ": t ends"));
    }
}
