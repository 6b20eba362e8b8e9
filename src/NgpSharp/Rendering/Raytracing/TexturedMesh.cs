using System.Numerics;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// A triangle mesh with per-corner shading attributes, for the ray tracer. <c>Positions</c>: [V];
/// <c>Indices</c>: [T·3] into Positions; <c>CornerNormals</c>: [T·3] unit shading normals (from the file, or
/// smoothed within <see cref="CreaseAngleDegrees"/> when it had none); <c>CornerUvs</c>: [T·3] (NaN where the face
/// had none); <c>TriangleMaterials</c>: [T] into <c>Materials</c>.
/// </summary>
public sealed class TexturedMesh
{
    /// <summary>Face normals further apart than this are not averaged into a smooth shading normal (hard edges stay hard).</summary>
    public const float CreaseAngleDegrees = 60f;

    public TexturedMesh(Vector3[] positions, int[] indices, Vector3[] cornerNormals, Vector2[] cornerUvs,
        int[] triangleMaterials, Material[] materials)
    {
        if (indices.Length % 3 != 0) throw new ArgumentException($"indices holds {indices.Length} values, not [T, 3]");
        int t = indices.Length / 3;
        if (cornerNormals.Length != 3 * t || cornerUvs.Length != 3 * t || triangleMaterials.Length != t)
            throw new ArgumentException($"per-corner arrays need {3 * t} entries and triangleMaterials {t}");
        foreach (int i in indices)
            if ((uint)i >= (uint)positions.Length) throw new ArgumentException($"index {i} is out of range for {positions.Length} positions");
        foreach (int m in triangleMaterials)
            if ((uint)m >= (uint)materials.Length) throw new ArgumentException($"material {m} is out of range for {materials.Length} materials");
        (Positions, Indices, CornerNormals, CornerUvs, TriangleMaterials, Materials) =
            (positions, indices, cornerNormals, cornerUvs, triangleMaterials, materials);
    }

    public Vector3[] Positions { get; }
    public int[] Indices { get; }
    public Vector3[] CornerNormals { get; }
    public Vector2[] CornerUvs { get; }
    public int[] TriangleMaterials { get; }
    public Material[] Materials { get; }

    public int TriangleCount => Indices.Length / 3;

    /// <summary>The corner positions of triangle <paramref name="t"/>.</summary>
    public (Vector3 A, Vector3 B, Vector3 C) Triangle(int t) =>
        (Positions[Indices[3 * t]], Positions[Indices[3 * t + 1]], Positions[Indices[3 * t + 2]]);

    /// <summary>
    /// The mesh moved by the similarity p ↦ scale·R·(p − centre) (R a rotation: normals are rotated, not scaled).
    /// </summary>
    public TexturedMesh Transformed(in SceneNormalization n)
    {
        var positions = new Vector3[Positions.Length];
        for (int i = 0; i < positions.Length; i++) positions[i] = n.Apply(Positions[i]);
        var normals = new Vector3[CornerNormals.Length];
        for (int i = 0; i < normals.Length; i++) normals[i] = n.Rotate(CornerNormals[i]);
        return new TexturedMesh(positions, Indices, normals, CornerUvs, TriangleMaterials, Materials);
    }

    /// <summary>
    /// Per-corner smooth normals: for each corner, the area-weighted sum of the face normals around its vertex that
    /// lie within <see cref="CreaseAngleDegrees"/> of the corner's own face. Degenerate faces get (0, 0, 1).
    /// indices: [T·3]; result: [T·3].
    /// </summary>
    public static Vector3[] SmoothNormals(Vector3[] positions, int[] indices)
    {
        int t = indices.Length / 3;
        var faceNormals = new Vector3[t]; // length = 2·area
        for (int f = 0; f < t; f++)
        {
            var (a, b, c) = (positions[indices[3 * f]], positions[indices[3 * f + 1]], positions[indices[3 * f + 2]]);
            faceNormals[f] = Vector3.Cross(b - a, c - a);
        }
        // Faces around each vertex (CSR).
        var start = new int[positions.Length + 1];
        foreach (int v in indices) start[v + 1]++;
        for (int v = 0; v < positions.Length; v++) start[v + 1] += start[v];
        var fill = (int[])start.Clone();
        var faces = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++) faces[fill[indices[i]]++] = i / 3;

        float cosCrease = MathF.Cos(CreaseAngleDegrees * MathF.PI / 180f);
        var result = new Vector3[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            int f = i / 3, v = indices[i];
            var own = faceNormals[f];
            float ownLength = own.Length();
            if (!(ownLength > 0)) { result[i] = Vector3.UnitZ; continue; }
            var ownUnit = own / ownLength;
            var sum = Vector3.Zero;
            for (int k = start[v]; k < start[v + 1]; k++)
            {
                var other = faceNormals[faces[k]];
                float length = other.Length();
                if (length > 0 && Vector3.Dot(other, ownUnit) >= cosCrease * length) sum += other;
            }
            result[i] = Vector3.Normalize(sum);
        }
        return result;
    }
}
