using System.Numerics;

namespace NgpSharp.Geometry;

/// <summary>
/// Marching cubes (Lorensen–Cline, tables in <see cref="MarchingCubesTables"/>) of the level set
/// <c>value = iso</c> of a field that is larger inside: for an SDF (negative inside) pass −SDF and iso 0, as
/// instant-nsr-pl does. Triangles wind counter-clockwise seen from outside (outward normals); each crossed grid
/// edge has one vertex, shared by the cells around it, so a closed level set inside the grid gives a closed,
/// consistently oriented mesh. The grid has <c>nx·ny·nz</c> points spanning the box corners included
/// (<c>p = min + i·(max − min)/(n − 1)</c>); values are indexed <c>[(x·ny + y)·nz + z]</c> (z fastest, numpy's C
/// order of an [nx, ny, nz] array).
/// </summary>
public static partial class MarchingCubes
{
    /// <summary>Points per field call in the chunked drivers (positions 12 MiB, values 4 MiB).</summary>
    public const int DefaultBatchSize = 1 << 20;

    /// <summary>A caller's field, evaluated on a batch: <c>positions: [N, 3]</c> → <c>values: [N]</c>.</summary>
    public delegate void BatchedField(ReadOnlySpan<float> positions, Span<float> values);

    /// <summary>The level set of a sampled grid: <c>values: [nx, ny, nz]</c> over <paramref name="box"/>.</summary>
    public static Mesh Extract(ReadOnlySpan<float> values, int nx, int ny, int nz, Aabb box, float iso = 0f)
    {
        CheckGrid(nx, ny, nz);
        if (values.Length != (long)nx * ny * nz)
            throw new ArgumentException($"MarchingCubes: values has {values.Length} entries, expected nx·ny·nz = {(long)nx * ny * nz}");
        var marcher = new SlabMarcher(box, nx, ny, nz, iso);
        int plane = ny * nz;
        for (int x = 0; x < nx; x++) marcher.AddPlane(values.Slice(x * plane, plane));
        return marcher.ToMesh();
    }

    /// <summary>
    /// The level set of <paramref name="field"/> on an [nx, ny, nz] grid over <paramref name="box"/>, evaluated
    /// block by block: at most <paramref name="batchSize"/> points per call (whole x-planes when they fit), and
    /// only those values plus two planes are held, so a 512³ extraction never holds 512³ floats.
    /// </summary>
    public static Mesh Extract(BatchedField field, Aabb box, int nx, int ny, int nz, float iso = 0f, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(field);
        CheckGrid(nx, ny, nz);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int plane = ny * nz;
        int planesPerBlock = Math.Clamp(batchSize / plane, 1, nx);
        var values = new float[(long)planesPerBlock * plane];
        var positions = new float[3L * Math.Min(batchSize, values.Length)];
        var marcher = new SlabMarcher(box, nx, ny, nz, iso);
        float[] xs = Axis(box.Min.X, box.Max.X, nx), ys = Axis(box.Min.Y, box.Max.Y, ny), zs = Axis(box.Min.Z, box.Max.Z, nz);
        for (int x0 = 0; x0 < nx; x0 += planesPerBlock)
        {
            int planes = Math.Min(planesPerBlock, nx - x0);
            long count = (long)planes * plane;
            for (long first = 0; first < count; first += positions.Length / 3)
            {
                int n = (int)Math.Min(positions.Length / 3, count - first);
                int x = x0 + (int)(first / plane), rest = (int)(first % plane), y = rest / nz, z = rest % nz;
                for (int k = 0; k < 3 * n; k += 3)
                {
                    positions[k] = xs[x];
                    positions[k + 1] = ys[y];
                    positions[k + 2] = zs[z];
                    if (++z == nz) { z = 0; if (++y == ny) { y = 0; x++; } }
                }
                field(positions.AsSpan(0, 3 * n), values.AsSpan((int)first, n));
            }
            for (int p = 0; p < planes; p++) marcher.AddPlane(values.AsSpan(p * plane, plane));
        }
        return marcher.ToMesh();
    }

    /// <summary>Grid coordinates along one axis, computed as the vertices are (min + i·step in double).</summary>
    static float[] Axis(float min, float max, int n)
    {
        double step = ((double)max - min) / (n - 1);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(min + i * step);
        return a;
    }

    /// <summary>A cubic grid of <paramref name="resolution"/>³ points (see the general overload).</summary>
    public static Mesh Extract(BatchedField field, Aabb box, int resolution, float iso = 0f, int batchSize = DefaultBatchSize) =>
        Extract(field, box, resolution, resolution, resolution, iso, batchSize);

    /// <summary>
    /// instant-nsr-pl's two passes: a coarse grid over <paramref name="box"/>, then a fine grid over the coarse
    /// mesh's bounding box grown by 10% of its size on each side (at least one coarse cell, so that a surface the
    /// coarse grid only just caught is not clipped) and clamped to <paramref name="box"/>. An empty coarse mesh
    /// is returned as it is.
    /// </summary>
    public static Mesh ExtractCoarseToFine(BatchedField field, Aabb box, int coarseResolution, int fineResolution, float iso = 0f, int batchSize = DefaultBatchSize)
    {
        var coarse = Extract(field, box, coarseResolution, iso, batchSize);
        if (coarse.TriangleCount == 0) return coarse;
        var bounds = coarse.Bounds;
        var cell = box.Size / (coarseResolution - 1);
        var pad = Vector3.Max(bounds.Size * 0.1f, cell);
        var fineBox = new Aabb(Vector3.Clamp(bounds.Min - pad, box.Min, box.Max), Vector3.Clamp(bounds.Max + pad, box.Min, box.Max));
        return Extract(field, fineBox, fineResolution, iso, batchSize);
    }

    static void CheckGrid(int nx, int ny, int nz)
    {
        if (nx < 2 || ny < 2 || nz < 2) throw new ArgumentException($"MarchingCubes: the grid needs at least 2 points per axis, got [{nx}, {ny}, {nz}]");
        if ((long)ny * nz > int.MaxValue / 4) throw new ArgumentException($"MarchingCubes: a plane of [{ny}, {nz}] points is too large");
    }
}
