using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Geometry;

namespace NgpSharp.Rendering;

/// <summary>
/// Marches rays through an <see cref="OccupancyGrid"/> (instant-ngp's generate_training_samples_nerf, in nerfacc's
/// packed output form). Per ray: t-range from the grid's render box (and the near distance); lattice points
/// t_k = From(To(tNear) + u + k) of <see cref="ConeStepping"/>; a point inside the box is a sample [t_k, t_{k+1}) when its
/// occupancy bit (level chosen by position and step, instant-ngp's mip_from_dt) is set; otherwise the march jumps, as
/// instant-ngp's if_unoccupied_advance_to_next_occupied_voxel, to the first lattice point past the cell of the coarsest
/// empty bitfield level around it. At most MaxSamplesPerRay samples. Two passes over rays (count, prefix-sum offsets,
/// fill), parallel over fixed tiles: the output does not depend on the thread count.
/// </summary>
public static partial class RayMarcher
{
    const int RayTile = 256;

    /// <summary>
    /// Training march: u ∈ [0, 1) uniform per ray from <paramref name="rng"/> (ray r takes draw r; rng moves past R draws).
    /// origins, directions: [R, 3], directions of unit length. Fills <paramref name="output"/> (RayCount must be R).
    /// </summary>
    public static void March(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid, MarchSettings settings,
        ref Rng rng, RaySamples output)
    {
        int rays = CheckRays(origins, directions, output);
        var jitter = TrainingJitter(rays, ref rng);
        Run(origins, directions, grid, settings, jitter, skipEmpty: true, output);
    }

    /// <summary>The training march's per-ray offsets: ray r takes draw r of <paramref name="rng"/>, which moves past R draws.</summary>
    static float[] TrainingJitter(int rays, ref Rng rng)
    {
        var jitter = new float[rays];
        var start = rng;
        CpuParallel.ForTiles(rays, RayTile, (s, e) =>
        {
            var r = start.Advanced(s);
            for (int i = s; i < e; i++) jitter[i] = r.NextFloat();
        });
        rng.Advance(rays);
        return jitter;
    }

    /// <summary>Inference march: no jitter, the first lattice point half a step past tNear. Otherwise as <see cref="March(ReadOnlySpan{float}, ReadOnlySpan{float}, OccupancyGrid, MarchSettings, ref Rng, RaySamples)"/>.</summary>
    public static void MarchInference(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid, MarchSettings settings,
        RaySamples output)
    {
        int rays = CheckRays(origins, directions, output);
        var jitter = new float[rays];
        Array.Fill(jitter, 0.5f);
        Run(origins, directions, grid, settings, jitter, skipEmpty: true, output);
    }

    /// <summary>Reference march that visits every lattice point (no skipping); same samples as the skipping march, slower.</summary>
    internal static void MarchWithoutSkipping(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, float[] jitter, RaySamples output)
    {
        CheckRays(origins, directions, output);
        Run(origins, directions, grid, settings, jitter, skipEmpty: false, output);
    }

    /// <summary>Marches with given per-ray offsets u (in steps) — the core both public variants share.</summary>
    internal static void MarchWithOffsets(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, float[] jitter, RaySamples output)
    {
        CheckRays(origins, directions, output);
        Run(origins, directions, grid, settings, jitter, skipEmpty: true, output);
    }

    static int CheckRays(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (origins.Length % 3 != 0 || origins.Length != directions.Length)
            throw new ArgumentException($"march: origins ({origins.Length}) and directions ({directions.Length}) must both be [R, 3]");
        int rays = origins.Length / 3;
        if (output.RayCount != rays) throw new ArgumentException($"march: output holds {output.RayCount} rays, input has {rays}");
        for (int r = 0; r < rays; r++)
        {
            float x = directions[3 * r], y = directions[3 * r + 1], z = directions[3 * r + 2];
            float len2 = x * x + y * y + z * z;
            if (!(MathF.Abs(len2 - 1f) < 2e-3f))
                throw new ArgumentException($"march: direction of ray {r} ({x}, {y}, {z}) is not of unit length");
            if (!float.IsFinite(origins[3 * r] + origins[3 * r + 1] + origins[3 * r + 2]))
                throw new ArgumentException($"march: origin of ray {r} is not finite");
        }
        return rays;
    }

    static void Run(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid, MarchSettings settings,
        float[] jitter, bool skipEmpty, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var ctx = new Context(grid, settings, origins.ToArray(), directions.ToArray(), jitter, skipEmpty);
        int rays = jitter.Length;
        var counts = output.RayCounts;
        CpuParallel.ForTiles(rays, RayTile, (s, e) =>
        {
            for (int r = s; r < e; r++) counts[r] = MarchRay(ctx, r, null, 0);
        });
        long total = 0;
        for (int r = 0; r < rays; r++)
        {
            output.RayOffsets[r] = (int)total;
            total += counts[r];
        }
        if (total > int.MaxValue) throw new InvalidOperationException($"march: {total} samples do not fit one batch");
        output.EnsureCapacity((int)total);
        output.Count = (int)total;
        CpuParallel.ForTiles(rays, RayTile, (s, e) =>
        {
            for (int r = s; r < e; r++) MarchRay(ctx, r, output, output.RayOffsets[r]);
        });
    }

    sealed class Context(OccupancyGrid grid, MarchSettings s, float[] origins, float[] directions, float[] jitter, bool skipEmpty)
    {
        public readonly OccupancyGrid Grid = grid;
        public readonly ConeStepping Stepping = new(s.ConeAngle, s.MinStepSize ?? grid.MinStepSize, s.MaxStepSize ?? grid.MaxStepSize);
        public readonly int MaxSamples = s.MaxSamplesPerRay;
        public readonly float Near = s.NearDistance;
        public readonly float[] Origins = origins, Directions = directions, Jitter = jitter;
        public readonly bool SkipEmpty = skipEmpty;
    }

    /// <summary>One ray: returns its sample count; writes the samples from <paramref name="first"/> when output is given.</summary>
    static int MarchRay(Context ctx, int ray, RaySamples? output, int first)
    {
        var grid = ctx.Grid;
        var o = new Vector3(ctx.Origins[3 * ray], ctx.Origins[3 * ray + 1], ctx.Origins[3 * ray + 2]);
        var d = new Vector3(ctx.Directions[3 * ray], ctx.Directions[3 * ray + 1], ctx.Directions[3 * ray + 2]);
        var box = grid.RenderBox;
        if (!box.Intersect(o, d, out float tNear, out _)) return 0;
        tNear = MathF.Max(tNear, ctx.Near);
        var du = d / grid.BaseSize;
        var stepping = ctx.Stepping;
        float n0 = stepping.ToSteppingSpace(tNear) + ctx.Jitter[ray];

        int count = 0;
        long k = 0;
        while (count < ctx.MaxSamples)
        {
            float n = n0 + k;
            float t = stepping.FromSteppingSpace(n);
            var p = o + t * d;
            if (!box.Contains(p)) break;
            float tNext = stepping.FromSteppingSpace(n + 1f);
            var u = grid.ToGrid(p);
            int level = grid.SampleLevel(u, tNext - t);
            if (grid.IsOccupiedGrid(u, level))
            {
                if (output != null)
                {
                    int idx = first + count;
                    output.RayIndices[idx] = ray;
                    output.TStarts[idx] = t;
                    output.TEnds[idx] = tNext;
                }
                count++;
                k++;
            }
            else k = ctx.SkipEmpty ? NextCandidate(ctx, o, d, du, n0, k, t, u, level) : k + 1;
        }
        return count;
    }

    /// <summary>
    /// Lattice index to test after the empty point k: past the cell of the coarsest empty level around it (instant-ngp's
    /// mip escalation + advance_to_next_voxel), but never past a point plain stepping would sample — the last skipped
    /// point must lie in that same empty cell and be tested at a level no coarser; else one step.
    /// </summary>
    static long NextCandidate(Context ctx, Vector3 o, Vector3 d, Vector3 du, float n0, long k, float t, Vector3 u, int level)
    {
        var grid = ctx.Grid;
        var stepping = ctx.Stepping;
        int mip = level;
        while (mip < grid.MipLevels - 1 && !grid.IsOccupiedGrid(u, mip + 1)) mip++;
        float tTarget = t + grid.DistanceToNextVoxel(u, du, mip);
        float n = n0 + k;
        float advance = MathF.Ceiling(MathF.Max(stepping.ToSteppingSpace(tTarget) - n, 0.5f));
        if (!(advance <= 16777216f)) advance = 16777216f; // inf/NaN guard; the box test ends the ray anyway
        long next = k + (long)advance;
        if (next > k + 1)
        {
            float tLast = stepping.FromSteppingSpace(n0 + (next - 1));
            var uLast = grid.ToGrid(o + tLast * d);
            float dtLast = stepping.FromSteppingSpace(n0 + next) - tLast;
            if (grid.CellIndex(uLast, mip) != grid.CellIndex(u, mip) || grid.SampleLevel(uLast, dtLast) > mip) next = k + 1;
        }
        return next;
    }
}
