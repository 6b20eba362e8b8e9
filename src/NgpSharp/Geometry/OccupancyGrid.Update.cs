using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Geometry;

public sealed partial class OccupancyGrid
{
    /// <summary>Random numbers reserved per update sample (≤ 10 cell draws + 3 for the jitter), as instant-ngp's N_MAX_RANDOM_SAMPLES_PER_RAY.</summary>
    const int DrawsPerSample = 16;
    /// <summary>Candidate cells tried per uniform sample to find a seen one (instant-ngp tries 10).</summary>
    const int UniformTries = 10;
    const int TileSize = 4096;

    /// <summary>Per-update decay of every cell (instant-ngp's density_grid_decay).</summary>
    public float Decay { get; init; } = 0.95f;

    /// <summary>Steps during which every seen cell is sampled (and, with the default schedule, updated every step).</summary>
    public int WarmupSteps { get; init; } = 256;

    /// <summary>Steps between updates after the warm-up.</summary>
    public int UpdateInterval { get; init; } = 16;

    public OccupancyUpdateSchedule Schedule { get; init; } = OccupancyUpdateSchedule.EveryStepThenInterval;

    /// <summary>Points handed to the density function per call.</summary>
    public int EvaluationBatchSize { get; init; } = 1 << 18;

    /// <summary>Updates done so far (instant-ngp's density_grid_ema_step).</summary>
    public int UpdateCount { get; private set; }

    /// <summary>Points evaluated by the last update.</summary>
    public int LastSampleCount { get; private set; }

    float[]? _splat;

    /// <summary>Whether <see cref="Update(int, DensityFunction, ref Rng)"/> refreshes the grid at this training step.</summary>
    public bool IsUpdateStep(int step) => Schedule switch
    {
        OccupancyUpdateSchedule.InstantNgp => step % Math.Clamp(step / 16, 1, 16) == 0,
        OccupancyUpdateSchedule.Nerfacc => step % UpdateInterval == 0,
        _ => step < WarmupSteps || step % UpdateInterval == 0,
    };

    /// <summary>
    /// The grid update of training step <paramref name="step"/> (returns false when this step has none).
    /// Chooses cells — before <see cref="WarmupSteps"/> every seen cell of every cascade; afterwards per cascade N/4
    /// uniformly random seen cells plus N/4 drawn from the cells above the threshold (all of them when fewer) — and
    /// evaluates σ at one jittered point per chosen cell. Then, as instant-ngp's splat_grid_samples_nerf_max_nearest_neighbor
    /// + ema_grid_samples_nerf: new = max over the cell's samples of σ·<see cref="MinStepSize"/> (0 if none),
    /// every seen cell becomes max(old·decay, new), unseen cells (−1) stay; finally <see cref="RebuildBitfield()"/>.
    /// Deterministic for a given rng state; <paramref name="rng"/> moves past the draws used.
    /// </summary>
    public bool Update(int step, DensityFunction density, ref Rng rng)
    {
        ArgumentNullException.ThrowIfNull(density);
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "training step must be ≥ 0");
        if (!IsUpdateStep(step)) return false;

        var plan = step < WarmupSteps ? PlanAllSeenCells() : PlanUniformAndOccupied();
        var splat = _splat ??= new float[Densities.Length];
        Array.Clear(splat);
        EvaluateSamples(plan, density, rng, (cells, sigma, count) =>
        {
            // Max-splat: order independent, hence deterministic.
            float opticalStep = MinStepSize;
            for (int k = 0; k < count; k++)
            {
                float thickness = sigma[k] * opticalStep;
                if (thickness > splat[cells[k]]) splat[cells[k]] = thickness;
            }
        });
        rng.Advance((long)plan.SampleCount * DrawsPerSample);

        float decay = Decay;
        var dens = Densities;
        CpuParallel.ForTiles(dens.Length, 1 << 16, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                float old = dens[i];
                if (old >= 0f) dens[i] = MathF.Max(old * decay, splat[i]);
            }
        });
        RebuildBitfield();
        UpdateCount++;
        LastSampleCount = plan.SampleCount;
        return true;
    }

    /// <summary>
    /// Which cell each update sample uses. Sample i &lt; Fixed.Length takes cell Fixed[i] (global index); the next
    /// UniformPerCascade × Cascades samples draw a uniform cell of their cascade; the rest draw from (or, when the
    /// list fits, take in order) the occupied cells of their cascade.
    /// </summary>
    sealed class UpdatePlan
    {
        public int[] Fixed = [];
        public int UniformPerCascade;
        public int[][] Occupied = [];
        public int[] OccupiedSamples = [];
        public int SampleCount;
    }

    UpdatePlan PlanAllSeenCells()
    {
        int count = 0;
        foreach (float d in Densities) if (d >= 0f) count++;
        var cells = new int[count];
        int k = 0;
        for (int i = 0; i < Densities.Length; i++) if (Densities[i] >= 0f) cells[k++] = i;
        return new UpdatePlan { Fixed = cells, Occupied = new int[Cascades][], OccupiedSamples = new int[Cascades], SampleCount = count };
    }

    UpdatePlan PlanUniformAndOccupied()
    {
        int quarter = CellsPerCascade / 4;
        var plan = new UpdatePlan { UniformPerCascade = quarter, Occupied = new int[Cascades][], OccupiedSamples = new int[Cascades] };
        int total = quarter * Cascades;
        for (int c = 0; c < Cascades; c++)
        {
            var list = new int[CountOccupied(c)];
            long baseIdx = (long)c * CellsPerCascade;
            int k = 0;
            for (int i = 0; i < CellsPerCascade; i++) if (Densities[baseIdx + i] > Threshold) list[k++] = i;
            plan.Occupied[c] = list;
            plan.OccupiedSamples[c] = Math.Min(quarter, list.Length);
            total += plan.OccupiedSamples[c];
        }
        plan.SampleCount = total;
        return plan;
    }

    /// <summary>Cell (global index) of update sample i; draws from r (at most <see cref="UniformTries"/> numbers).</summary>
    int ChooseCell(UpdatePlan plan, int i, ref Rng r)
    {
        if (i < plan.Fixed.Length) return plan.Fixed[i];
        i -= plan.Fixed.Length;
        int n = CellsPerCascade;
        if (i < plan.UniformPerCascade * Cascades)
        {
            int c = i / plan.UniformPerCascade;
            long baseIdx = (long)c * n;
            int cell = 0;
            for (int j = 0; j < UniformTries; j++)
            {
                cell = (int)(((ulong)r.NextUInt() * (uint)n) >> 32);
                if (Densities[baseIdx + cell] >= 0f) break;
            }
            return (int)(baseIdx + cell);
        }
        i -= plan.UniformPerCascade * Cascades;
        for (int c = 0; c < Cascades; c++)
        {
            int m = plan.OccupiedSamples[c];
            if (i >= m) { i -= m; continue; }
            var list = plan.Occupied[c];
            int pick = m == list.Length ? i : (int)(((ulong)r.NextUInt() * (uint)list.Length) >> 32);
            return c * n + list[pick];
        }
        throw new InvalidOperationException("occupancy grid update: sample index past the plan");
    }

    /// <summary>Evaluates σ at every update sample, in batches; hands each batch (cells [count], σ [count], count) to <paramref name="splat"/>.</summary>
    void EvaluateSamples(UpdatePlan plan, DensityFunction density, Rng rng, Action<int[], float[], int> splat)
    {
        int batch = Math.Max(1, EvaluationBatchSize);
        int total = plan.SampleCount;
        var positions = new float[Math.Min(batch, Math.Max(total, 1)) * 3];
        var cells = new int[positions.Length / 3];
        var sigma = new float[cells.Length];
        for (int start = 0; start < total; start += batch)
        {
            int count = Math.Min(batch, total - start);
            CpuParallel.ForTiles(count, TileSize, (s, e) =>
            {
                var r = rng.Advanced((long)(start + s) * DrawsPerSample);
                for (int k = s; k < e; k++)
                {
                    var slot = r;
                    int cell = ChooseCell(plan, start + k, ref slot);
                    var jitter = new Vector3(slot.NextFloat(), slot.NextFloat(), slot.NextFloat());
                    var p = CellPoint(cell / CellsPerCascade, cell % CellsPerCascade, jitter);
                    positions[3 * k] = p.X; positions[3 * k + 1] = p.Y; positions[3 * k + 2] = p.Z;
                    cells[k] = cell;
                    r.Advance(DrawsPerSample);
                }
            });
            density(positions.AsSpan(0, 3 * count), sigma.AsSpan(0, count));
            splat(cells, sigma, count);
        }
    }

    /// <summary>
    /// instant-ngp's mark_untrained_density_grid: a cell is seen when any of its 8 corners is visible from a training
    /// camera (<paramref name="isVisibleFromAnyCamera"/>, called concurrently, must be thread-safe). Unseen cells get
    /// density −1 (never sampled by updates nor the marcher, counted as 0 in the mean); seen cells that were −1 become 0.
    /// Rebuilds the bitfield.
    /// </summary>
    public void MarkUnseenCells(Func<Vector3, bool> isVisibleFromAnyCamera)
    {
        ArgumentNullException.ThrowIfNull(isVisibleFromAnyCamera);
        var dens = Densities;
        int n = CellsPerCascade;
        CpuParallel.ForTiles(dens.Length, TileSize, (s, e) =>
        {
            for (int i = s; i < e; i++)
            {
                int c = i / n, morton = i % n;
                bool seen = false;
                for (int corner = 0; corner < 8 && !seen; corner++)
                {
                    var offset = new Vector3(corner & 1, (corner >> 1) & 1, (corner >> 2) & 1);
                    seen = isVisibleFromAnyCamera(CellPoint(c, morton, offset));
                }
                if (!seen) dens[i] = -1f;
                else if (dens[i] < 0f) dens[i] = 0f;
            }
        });
        RebuildBitfield();
    }
}
