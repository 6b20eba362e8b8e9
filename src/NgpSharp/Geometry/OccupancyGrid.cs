using System.Numerics;

namespace NgpSharp.Geometry;

/// <summary>Evaluates σ at points: positions [N, 3] (world space, row-major) → densities [N].</summary>
public delegate void DensityFunction(ReadOnlySpan<float> positions, Span<float> densities);

/// <summary>When <see cref="OccupancyGrid.Update(int, DensityFunction, ref NgpSharp.Compute.Rng)"/> refreshes the grid.</summary>
public enum OccupancyUpdateSchedule
{
    /// <summary>DESIGN.md: every step before <see cref="OccupancyGrid.WarmupSteps"/>, then every <see cref="OccupancyGrid.UpdateInterval"/> steps.</summary>
    EveryStepThenInterval,
    /// <summary>instant-ngp's testbed.cu: when step % clamp(step / 16, 1, 16) == 0 (every step up to 31, then ever sparser, every 16 from 256).</summary>
    InstantNgp,
    /// <summary>
    /// nerfacc's every_n_step (what instant-nsr-pl uses): only when step % <see cref="OccupancyGrid.UpdateInterval"/> == 0;
    /// every cell before <see cref="OccupancyGrid.WarmupSteps"/>, then the uniform + occupied sample.
    /// </summary>
    Nerfacc,
}

/// <summary>
/// instant-ngp's cascaded occupancy ("density") grid. Cascade c covers the base box scaled by 2^c about its centre
/// with Resolution³ cells in Morton order; each cell keeps a float density estimate (optical thickness of the
/// smallest step, −1 for cells no training camera sees). A bitfield with <see cref="MipLevels"/> levels drives
/// empty-space skipping: level m is cascade m's own occupancy (for m &lt; Cascades) OR'ed with the 2×2×2 max-pool of
/// level m−1, which lands in the central half of level m's grid (instant-ngp's grid_to_bitfield + bitfield_max_pool).
/// Layout: <see cref="Densities"/> [Cascades × N], <see cref="Bitfield"/> [MipLevels × N/8] bytes, bit (i mod 8) of
/// byte i/8 for Morton index i; N = Resolution³.
/// </summary>
public sealed partial class OccupancyGrid
{
    public const int DefaultResolution = 128;
    public const int MaxCascades = 8;
    /// <summary>instant-ngp's NERF_MIN_OPTICAL_THICKNESS: the occupancy threshold is min(this, mean density of cascade 0).</summary>
    public const float MinOpticalThickness = 0.01f;
    /// <summary>instant-ngp's STEPSIZE = √3 / NERF_STEPS (1024), per unit of the cascade-0 box edge.</summary>
    public const float UnitStepSize = 1.73205080757f / 1024f;

    public OccupancyGrid(Aabb baseBox, int cascades, int resolution = DefaultResolution, Aabb? renderBox = null)
    {
        if (cascades < 1 || cascades > MaxCascades)
            throw new ArgumentOutOfRangeException(nameof(cascades), cascades, $"occupancy grid: cascades must be in [1, {MaxCascades}]");
        if (resolution < 4 || resolution > 1 << Morton.MaxBits || (resolution & (resolution - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "occupancy grid: resolution must be a power of two in [4, 1024]");
        var size = baseBox.Size;
        if (!(size.X > 0 && size.Y > 0 && size.Z > 0) || !float.IsFinite(size.X + size.Y + size.Z))
            throw new ArgumentException($"occupancy grid: base box {baseBox} must have a positive, finite size", nameof(baseBox));

        BaseBox = baseBox;
        Centre = baseBox.Centre;
        BaseSize = size;
        StepUnit = MathF.Max(size.X, MathF.Max(size.Y, size.Z));
        Resolution = resolution;
        Log2Resolution = BitOperations.Log2((uint)resolution);
        Cascades = cascades;
        MipLevels = Math.Max(cascades, Log2Resolution + 1);
        CellsPerCascade = resolution * resolution * resolution;
        RenderBox = renderBox ?? baseBox.Scaled(1 << (cascades - 1));
        Densities = new float[(long)cascades * CellsPerCascade];
        Bitfield = new byte[(long)MipLevels * CellsPerCascade / 8];
        // Until the first update every cell counts as occupied, so marching before it samples everything.
        Array.Fill(Bitfield, (byte)0xFF);
    }

    /// <summary>
    /// The grid instant-ngp builds for a scene: cascades = ceil(log2 aabbScale) + 1 (≤ 8); rays are marched in the
    /// base box scaled by min(aabbScale, 2^(cascades−1)) (instant-ngp's m_aabb).
    /// </summary>
    public static OccupancyGrid ForScene(Aabb baseBox, float aabbScale, int resolution = DefaultResolution)
    {
        int cascades = CascadesForAabbScale(aabbScale);
        return new OccupancyGrid(baseBox, cascades, resolution, baseBox.Scaled(MathF.Min(aabbScale, 1 << (cascades - 1))));
    }

    /// <summary>ceil(log2 aabbScale) + 1, capped at 8 (instant-ngp's max_cascade + 1).</summary>
    public static int CascadesForAabbScale(float aabbScale)
    {
        if (!(aabbScale >= 1f) || !float.IsFinite(aabbScale))
            throw new ArgumentOutOfRangeException(nameof(aabbScale), aabbScale, "aabb_scale must be a finite number ≥ 1");
        int maxCascade = 0;
        while (maxCascade < MaxCascades - 1 && (1 << maxCascade) < aabbScale) maxCascade++;
        return maxCascade + 1;
    }

    /// <summary>Cascade 0's box (the unit cube of instant-ngp).</summary>
    public Aabb BaseBox { get; }
    public Vector3 Centre { get; }
    /// <summary>Edge lengths of cascade 0's box.</summary>
    public Vector3 BaseSize { get; }
    /// <summary>The longest edge of cascade 0's box: instant-ngp's length unit, in which its step sizes are given.</summary>
    public float StepUnit { get; }
    /// <summary>The box rays are marched in.</summary>
    public Aabb RenderBox { get; }
    public int Resolution { get; }
    public int Log2Resolution { get; }
    public int Cascades { get; }
    /// <summary>Bitfield levels: max(cascades, log2(resolution) + 1) (8 for 128³, as instant-ngp's NERF_CASCADES).</summary>
    public int MipLevels { get; }
    public int CellsPerCascade { get; }

    /// <summary>[Cascades × N]: density estimate per cell (Morton order per cascade); −1 marks unseen cells.</summary>
    public float[] Densities { get; }

    /// <summary>[MipLevels × N / 8]: occupancy bits per level.</summary>
    public byte[] Bitfield { get; }

    /// <summary>The threshold of the last <see cref="RebuildBitfield()"/>: min(0.01, mean of max(density, 0) over cascade 0).</summary>
    public float Threshold { get; private set; } = float.NaN;

    /// <summary>The smallest step (instant-ngp's MIN_CONE_STEPSIZE): √3/1024 × <see cref="StepUnit"/>.</summary>
    public float MinStepSize => UnitStepSize * StepUnit;

    /// <summary>The largest cone step: √3 × the coarsest cascade's cell width (instant-ngp's MAX_CONE_STEPSIZE with its 8 cascades replaced by ours).</summary>
    public float MaxStepSize => MinStepSize * (1 << (Cascades - 1)) * 1024f / Resolution;

    /// <summary>The box of cascade <paramref name="cascade"/>: the base box scaled by 2^cascade about the centre.</summary>
    public Aabb CascadeBox(int cascade) => Aabb.FromCentre(Centre, BaseSize * (0.5f * (1 << cascade)));

    /// <summary>Width of a cell of bitfield level (or cascade) <paramref name="mip"/> along each axis.</summary>
    public Vector3 CellSize(int mip) => BaseSize * (MathF.ScaleB(1f, mip) / Resolution);

    /// <summary>Grid-relative coordinates: cascade 0 spans [−0.5, 0.5) on each axis.</summary>
    public Vector3 ToGrid(Vector3 p) => (p - Centre) / BaseSize;

    /// <summary>Morton index of the cell of level <paramref name="mip"/> containing grid-relative point u, or −1 outside that level's grid.</summary>
    public int CellIndex(Vector3 u, int mip)
    {
        float s = MathF.ScaleB(Resolution, -mip), half = 0.5f * Resolution;
        float fx = MathF.Floor(u.X * s + half), fy = MathF.Floor(u.Y * s + half), fz = MathF.Floor(u.Z * s + half);
        float r = Resolution;
        if (!(fx >= 0f && fx < r && fy >= 0f && fy < r && fz >= 0f && fz < r)) return -1;
        return (int)Morton.Encode((uint)fx, (uint)fy, (uint)fz);
    }

    /// <summary>The smallest cascade whose grid contains grid-relative u (the last cascade when none does); instant-ngp's mip_from_pos.</summary>
    public int CascadeAtGrid(Vector3 u)
    {
        float r = MathF.Max(MathF.Abs(u.X), MathF.Max(MathF.Abs(u.Y), MathF.Abs(u.Z)));
        // r in [2^e, 2^(e+1)) lies outside cascades < e+1 (half-size 2^(c-1)); start there and confirm against the grid.
        int e = r > 0f ? MathF.ILogB(r) : int.MinValue / 2;
        int c = Math.Clamp(e + 1, 0, Cascades - 1);
        while (c < Cascades - 1 && CellIndex(u, c) < 0) c++;
        return c;
    }

    /// <summary>The smallest cascade containing world point p.</summary>
    public int CascadeAt(Vector3 p) => CascadeAtGrid(ToGrid(p));

    /// <summary>
    /// The level a sample of step <paramref name="dt"/> at u is checked against (instant-ngp's mip_from_dt): the cascade
    /// of u, raised so that a cell is at least about twice the step, capped at the last cascade.
    /// </summary>
    public int SampleLevel(Vector3 u, float dt)
    {
        int mip = CascadeAtGrid(u);
        float x = dt / StepUnit * (2f * Resolution);
        if (!(x >= 1f)) return mip;
        int exponent = MathF.ILogB(x) + 1; // frexp's exponent
        return Math.Min(Math.Max(mip, exponent), Cascades - 1);
    }

    /// <summary>
    /// Ray parameter distance from grid-relative u to the next cell boundary of level <paramref name="mip"/> along the
    /// grid-space direction du (instant-ngp's distance_to_next_voxel); ≥ 0.
    /// </summary>
    public float DistanceToNextVoxel(Vector3 u, Vector3 du, int mip)
    {
        float res = MathF.ScaleB(Resolution, -mip);
        float t = MathF.Min(AxisDistance(u.X * res, du.X * res), MathF.Min(AxisDistance(u.Y * res, du.Y * res), AxisDistance(u.Z * res, du.Z * res)));
        return MathF.Max(t, 0f);
    }

    /// <summary>Cell boundaries lie at integer q (the resolution is even); distance to the next one along dq.</summary>
    static float AxisDistance(float q, float dq)
    {
        if (dq == 0f) return float.PositiveInfinity;
        float boundary = MathF.Floor(q + 0.5f + 0.5f * MathF.Sign(dq));
        return (boundary - q) / dq;
    }

    /// <summary>The bit of level <paramref name="mip"/> at grid-relative u (false outside that level's grid).</summary>
    public bool IsOccupiedGrid(Vector3 u, int mip)
    {
        int idx = CellIndex(u, mip);
        return idx >= 0 && GetBit(mip, idx);
    }

    /// <summary>The occupancy bit a sample at world point p (step dt) is tested against.</summary>
    public bool IsOccupied(Vector3 p, float dt)
    {
        var u = ToGrid(p);
        return IsOccupiedGrid(u, SampleLevel(u, dt));
    }

    public bool GetBit(int mip, int mortonIndex)
    {
        long i = (long)mip * CellsPerCascade + mortonIndex;
        return (Bitfield[i >> 3] & (1 << (int)(i & 7))) != 0;
    }

    void SetBit(int mip, int mortonIndex)
    {
        long i = (long)mip * CellsPerCascade + mortonIndex;
        Bitfield[i >> 3] |= (byte)(1 << (int)(i & 7));
    }

    /// <summary>Density of cell (x, y, z) of a cascade.</summary>
    public ref float Density(int cascade, int x, int y, int z) =>
        ref Densities[(long)cascade * CellsPerCascade + Morton.Encode((uint)x, (uint)y, (uint)z)];

    /// <summary>World position of the corner + offset (in cells) of the cell with Morton index <paramref name="morton"/> of a cascade.</summary>
    public Vector3 CellPoint(int cascade, int morton, Vector3 offsetInCells)
    {
        Morton.Decode((uint)morton, out uint x, out uint y, out uint z);
        var g = (new Vector3(x, y, z) + offsetInCells) / Resolution - new Vector3(0.5f);
        return Centre + BaseSize * g * MathF.ScaleB(1f, cascade);
    }

    /// <summary>
    /// Recomputes <see cref="Threshold"/> and every bitfield level from <see cref="Densities"/>: a cell of cascade c is
    /// occupied iff its density &gt; min(0.01, mean of max(density, 0) over all cells of cascade 0); level m ≥ 1 also ORs
    /// in the 2×2×2 max-pool of level m−1 at the centre of its grid.
    /// </summary>
    public void RebuildBitfield()
    {
        int n = CellsPerCascade;
        double sum = 0;
        for (int i = 0; i < n; i++) sum += MathF.Max(Densities[i], 0f);
        Threshold = MathF.Min(MinOpticalThickness, (float)(sum / n));

        Array.Clear(Bitfield);
        for (int c = 0; c < Cascades; c++)
        {
            long baseIdx = (long)c * n;
            for (int i = 0; i < n; i++)
                if (Densities[baseIdx + i] > Threshold) SetBit(c, i);
        }
        for (int m = 1; m < MipLevels; m++) MaxPoolInto(m);
    }

    /// <summary>Level m |= max-pool(level m−1): byte b of level m−1 is a 2×2×2 block whose parent sits at block coords + res/4.</summary>
    void MaxPoolInto(int mip)
    {
        int bytesPerLevel = CellsPerCascade / 8;
        int offset = Resolution / 4;
        int fine = (mip - 1) * bytesPerLevel;
        for (int b = 0; b < bytesPerLevel; b++)
        {
            if (Bitfield[fine + b] == 0) continue;
            uint x = Morton.CompactBits((uint)b) + (uint)offset;
            uint y = Morton.CompactBits((uint)b >> 1) + (uint)offset;
            uint z = Morton.CompactBits((uint)b >> 2) + (uint)offset;
            SetBit(mip, (int)Morton.Encode(x, y, z));
        }
    }

    /// <summary>Number of cells of a cascade whose own density is above <see cref="Threshold"/>.</summary>
    public int CountOccupied(int cascade)
    {
        int count = 0;
        long baseIdx = (long)cascade * CellsPerCascade;
        for (int i = 0; i < CellsPerCascade; i++) if (Densities[baseIdx + i] > Threshold) count++;
        return count;
    }
}
