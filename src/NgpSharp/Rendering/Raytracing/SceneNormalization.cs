using System.Numerics;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>Which model axis points up. OBJ files are conventionally Y-up; the dataset's world is Z-up like Blender.</summary>
public enum UpAxis { Y, Z }

/// <summary>
/// The similarity from model to dataset world: world = Scale·R·(p − Centre). R is the identity for Z-up models and
/// (x, y, z) ↦ (x, −z, y) for Y-up ones (Blender's OBJ import: model +Y becomes world +Z, model +Z becomes world −Y).
/// </summary>
public readonly record struct SceneNormalization(Vector3 Centre, float Scale, UpAxis Up)
{
    /// <summary>
    /// Centres the bounding box at the origin and scales so that the farthest vertex from its centre lies at
    /// <paramref name="radius"/>: the shared bunny's gt_mesh.obj is meshes/bunny.obj under exactly this map with
    /// radius 1.2 and Y up (checked to 1e-6).
    /// </summary>
    public static SceneNormalization FitSphere(ReadOnlySpan<Vector3> positions, float radius, UpAxis up)
    {
        if (positions.IsEmpty) throw new ArgumentException("the mesh has no vertices");
        if (!(radius > 0) || !float.IsFinite(radius)) throw new ArgumentOutOfRangeException(nameof(radius), radius, "radius must be positive");
        Vector3 min = positions[0], max = positions[0];
        foreach (var p in positions) { min = Vector3.Min(min, p); max = Vector3.Max(max, p); }
        var centre = (min + max) * 0.5f;
        double farthest = 0;
        foreach (var p in positions) farthest = Math.Max(farthest, Vector3.Distance(p, centre));
        if (!(farthest > 0)) throw new ArgumentException("the mesh has no extent (all vertices coincide)");
        return new SceneNormalization(centre, (float)(radius / farthest), up);
    }

    public Vector3 Apply(Vector3 p) => Rotate(p - Centre) * Scale;

    public Vector3 Rotate(Vector3 v) => Up == UpAxis.Y ? new Vector3(v.X, -v.Z, v.Y) : v;

    /// <summary>The map as a row-major 4×4 matrix (world = M·[p, 1]).</summary>
    public double[,] WorldFromModel()
    {
        var m = new double[4, 4];
        var columns = new[] { Rotate(Vector3.UnitX), Rotate(Vector3.UnitY), Rotate(Vector3.UnitZ) };
        var t = -Rotate(Centre) * Scale;
        for (int c = 0; c < 3; c++)
        {
            m[0, c] = columns[c].X * (double)Scale;
            m[1, c] = columns[c].Y * (double)Scale;
            m[2, c] = columns[c].Z * (double)Scale;
        }
        (m[0, 3], m[1, 3], m[2, 3], m[3, 3]) = (t.X, t.Y, t.Z, 1);
        return m;
    }
}
