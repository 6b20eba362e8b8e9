using System.Numerics;
using NgpSharp.Geometry;

namespace NgpSharp.Tests.Geometry;

/// <summary>Small meshes built in code for the geometry tests.</summary>
static class TestMeshes
{
    /// <summary>A subdivided icosahedron projected onto a sphere (outward winding).</summary>
    public static Mesh Icosphere(int subdivisions, float radius = 1f, Vector3 centre = default)
    {
        float t = (1 + MathF.Sqrt(5)) / 2;
        var positions = new List<Vector3>
        {
            new(-1, t, 0), new(1, t, 0), new(-1, -t, 0), new(1, -t, 0), new(0, -1, t), new(0, 1, t),
            new(0, -1, -t), new(0, 1, -t), new(t, 0, -1), new(t, 0, 1), new(-t, 0, -1), new(-t, 0, 1),
        };
        var faces = new List<int>
        {
            0, 11, 5, 0, 5, 1, 0, 1, 7, 0, 7, 10, 0, 10, 11, 1, 5, 9, 5, 11, 4, 11, 10, 2, 10, 7, 6, 7, 1, 8,
            3, 9, 4, 3, 4, 2, 3, 2, 6, 3, 6, 8, 3, 8, 9, 4, 9, 5, 2, 4, 11, 6, 2, 10, 8, 6, 7, 9, 8, 1,
        };
        for (int i = 0; i < positions.Count; i++) positions[i] = Vector3.Normalize(positions[i]);
        for (int s = 0; s < subdivisions; s++)
        {
            var midpoints = new Dictionary<(int, int), int>();
            int Mid(int a, int b)
            {
                var key = a < b ? (a, b) : (b, a);
                if (!midpoints.TryGetValue(key, out int m))
                {
                    m = positions.Count;
                    positions.Add(Vector3.Normalize(positions[a] + positions[b]));
                    midpoints[key] = m;
                }
                return m;
            }
            var next = new List<int>();
            for (int f = 0; f < faces.Count; f += 3)
            {
                int a = faces[f], b = faces[f + 1], c = faces[f + 2];
                int ab = Mid(a, b), bc = Mid(b, c), ca = Mid(c, a);
                next.AddRange([a, ab, ca, b, bc, ab, c, ca, bc, ab, bc, ca]);
            }
            faces = next;
        }
        return new Mesh([.. positions.Select(p => centre + radius * p)], [.. faces]);
    }

    /// <summary>The unit square in the z = 0 plane, two triangles facing +z.</summary>
    public static Mesh Square() => new([new(0, 0, 0), new(1, 0, 0), new(1, 1, 0), new(0, 1, 0)], [0, 1, 2, 0, 2, 3]);

    /// <summary>(V − E + F, every undirected edge used by exactly two triangles, every directed edge exactly once).</summary>
    public static (int euler, bool watertight, bool oriented) Topology(Mesh mesh)
    {
        var directed = new Dictionary<(int, int), int>();
        var undirected = new Dictionary<(int, int), int>();
        var t = mesh.Triangles;
        for (int i = 0; i < t.Length; i += 3)
            for (int k = 0; k < 3; k++)
            {
                int a = t[i + k], b = t[i + (k + 1) % 3];
                directed[(a, b)] = directed.GetValueOrDefault((a, b)) + 1;
                var key = a < b ? (a, b) : (b, a);
                undirected[key] = undirected.GetValueOrDefault(key) + 1;
            }
        int euler = mesh.VertexCount - undirected.Count + mesh.TriangleCount;
        return (euler, undirected.Values.All(c => c == 2), directed.Values.All(c => c == 1));
    }

    /// <summary>Signed volume enclosed (positive for outward winding).</summary>
    public static double SignedVolume(Mesh mesh)
    {
        double v = 0;
        for (int i = 0; i < mesh.TriangleCount; i++)
        {
            var (a, b, c) = mesh.Triangle(i);
            v += Vector3.Dot(a, Vector3.Cross(b, c)) / 6.0;
        }
        return v;
    }
}
