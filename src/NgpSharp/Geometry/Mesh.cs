using System.Numerics;

namespace NgpSharp.Geometry;

/// <summary>
/// An indexed triangle mesh: <c>Positions: [V]</c>, <c>Triangles: [T, 3]</c> flattened (vertex indices, counter-
/// clockwise seen from outside), optional per-vertex <c>Colors: [V]</c> (linear 0–1 RGB) and unit
/// <c>Normals: [V]</c>. The arrays are owned by the mesh; the constructor checks their shapes and indices.
/// </summary>
public sealed class Mesh
{
    public Mesh(Vector3[] positions, int[] triangles, Vector3[]? colors = null, Vector3[]? normals = null)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ArgumentNullException.ThrowIfNull(triangles);
        if (triangles.Length % 3 != 0) throw new ArgumentException($"Mesh: triangles has {triangles.Length} indices, not a multiple of 3");
        if (colors is not null && colors.Length != positions.Length)
            throw new ArgumentException($"Mesh: {colors.Length} colours for {positions.Length} vertices");
        if (normals is not null && normals.Length != positions.Length)
            throw new ArgumentException($"Mesh: {normals.Length} normals for {positions.Length} vertices");
        for (int i = 0; i < triangles.Length; i++)
            if ((uint)triangles[i] >= (uint)positions.Length)
                throw new ArgumentException($"Mesh: triangle {i / 3} refers to vertex {triangles[i]}, but there are {positions.Length}");
        Positions = positions;
        Triangles = triangles;
        Colors = colors;
        Normals = normals;
    }

    /// <summary>An empty mesh (what marching cubes returns when the level set misses the grid).</summary>
    public static Mesh Empty => new([], []);

    public Vector3[] Positions { get; }

    /// <summary>[T, 3] vertex indices, flattened.</summary>
    public int[] Triangles { get; }

    public Vector3[]? Colors { get; }
    public Vector3[]? Normals { get; }

    public int VertexCount => Positions.Length;
    public int TriangleCount => Triangles.Length / 3;

    /// <summary>The three corners of triangle <paramref name="t"/>.</summary>
    public (Vector3 a, Vector3 b, Vector3 c) Triangle(int t) =>
        (Positions[Triangles[3 * t]], Positions[Triangles[3 * t + 1]], Positions[Triangles[3 * t + 2]]);

    /// <summary>The box around all vertices (also unreferenced ones). Throws on an empty mesh.</summary>
    public Aabb Bounds
    {
        get
        {
            if (Positions.Length == 0) throw new InvalidOperationException("Mesh.Bounds: the mesh has no vertices");
            Vector3 lo = new(float.PositiveInfinity), hi = new(float.NegativeInfinity);
            foreach (var p in Positions) { lo = Vector3.Min(lo, p); hi = Vector3.Max(hi, p); }
            return new Aabb(lo, hi);
        }
    }

    /// <summary>Area of triangle <paramref name="t"/> (in double, exact enough for sampling weights).</summary>
    public double TriangleArea(int t)
    {
        var (a, b, c) = Triangle(t);
        return 0.5 * Vector3.Cross(b - a, c - a).Length();
    }

    /// <summary>Total surface area.</summary>
    public double Area()
    {
        double sum = 0;
        for (int t = 0; t < TriangleCount; t++) sum += TriangleArea(t);
        return sum;
    }

    /// <summary>
    /// The mesh with every position mapped by <paramref name="m"/> (System.Numerics row-vector convention:
    /// p' = p·M, translation in M41..M43). Normals go through the inverse transpose and are renormalised; a
    /// mirroring transform (negative determinant) reverses the triangles' winding so they stay outward.
    /// </summary>
    public Mesh Transformed(Matrix4x4 m)
    {
        var positions = new Vector3[Positions.Length];
        for (int i = 0; i < positions.Length; i++) positions[i] = Vector3.Transform(Positions[i], m);
        var linear = new Matrix4x4(m.M11, m.M12, m.M13, 0, m.M21, m.M22, m.M23, 0, m.M31, m.M32, m.M33, 0, 0, 0, 0, 1);
        float det = linear.GetDeterminant();
        Vector3[]? normals = null;
        if (Normals is not null)
        {
            if (!Matrix4x4.Invert(linear, out var inverse)) throw new ArgumentException("Mesh.Transformed: the matrix is singular, normals cannot be transformed");
            var normalMatrix = Matrix4x4.Transpose(inverse);
            normals = new Vector3[Normals.Length];
            for (int i = 0; i < normals.Length; i++)
            {
                var n = Vector3.TransformNormal(Normals[i], normalMatrix);
                float len = n.Length();
                normals[i] = len > 0 ? n / len : n;
            }
        }
        var triangles = (int[])Triangles.Clone();
        if (det < 0)
            for (int t = 0; t < triangles.Length; t += 3) (triangles[t + 1], triangles[t + 2]) = (triangles[t + 2], triangles[t + 1]);
        return new Mesh(positions, triangles, Colors is null ? null : (Vector3[])Colors.Clone(), normals);
    }

    /// <summary>Area-weighted per-vertex normals from the triangles (unit length; zero for isolated vertices).</summary>
    public Vector3[] ComputeVertexNormals()
    {
        var normals = new Vector3[Positions.Length];
        for (int t = 0; t < TriangleCount; t++)
        {
            var (a, b, c) = Triangle(t);
            var n = Vector3.Cross(b - a, c - a); // length = 2·area: area weighting for free
            normals[Triangles[3 * t]] += n;
            normals[Triangles[3 * t + 1]] += n;
            normals[Triangles[3 * t + 2]] += n;
        }
        for (int i = 0; i < normals.Length; i++)
        {
            float len = normals[i].Length();
            if (len > 0) normals[i] /= len;
        }
        return normals;
    }

    /// <summary>The same mesh with other colours (or none).</summary>
    public Mesh WithColors(Vector3[]? colors) => new(Positions, Triangles, colors, Normals);

    /// <summary>The same mesh with other normals (or none).</summary>
    public Mesh WithNormals(Vector3[]? normals) => new(Positions, Triangles, Colors, normals);

    public override string ToString() => $"Mesh({VertexCount} vertices, {TriangleCount} triangles{(Colors is null ? "" : ", colours")}{(Normals is null ? "" : ", normals")})";
}
