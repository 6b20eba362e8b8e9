using System.Numerics;

namespace NgpSharp.Geometry;

/// <summary>
/// Lorensen–Cline marching-cubes tables in DESIGN §4's numbering: corners (x,y,z), (x+1,y,z), (x+1,y+1,z),
/// (x,y+1,z), then the same at z+1; edges 0–3 the bottom ring, 4–7 the top ring, 8–11 vertical. Bit c of a case
/// index is set when corner c is inside (value &gt; iso).
/// <para>
/// The tables are built once from the rule that defines them rather than typed in: on each cube face the
/// crossing points are joined by segments that separate inside from outside corners; on an ambiguous face
/// (inside corners on a diagonal) the inside corners are kept apart — one fixed choice, so that both cubes
/// sharing a face join the same points and the surface has no holes. Segments are directed so that the inside
/// lies to one side; chaining them around the cube gives closed polygons, fan-triangulated, whose triangles
/// wind counter-clockwise seen from outside (normals toward decreasing values). The interior ambiguity (cases 4
/// and 13) is not resolved with the trilinear interpolant (no asymptotic decider), as in the classic method.
/// </para>
/// </summary>
public static class MarchingCubesTables
{
    /// <summary>Corner offsets [8].</summary>
    public static readonly (int X, int Y, int Z)[] Corners =
        [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 0, 1), (1, 0, 1), (1, 1, 1), (0, 1, 1)];

    /// <summary>The two corners of each edge [12] (first corner has the lower grid index).</summary>
    public static readonly (int A, int B)[] EdgeCorners =
        [(0, 1), (1, 2), (3, 2), (0, 3), (4, 5), (5, 6), (7, 6), (4, 7), (0, 4), (1, 5), (2, 6), (3, 7)];

    /// <summary>Bit e set when case <c>index</c> crosses edge e [256].</summary>
    public static readonly ushort[] EdgeMask = new ushort[256];

    /// <summary>Triangles of case i: edge triples <c>TriangleEdges[TriangleStart[i] .. TriangleStart[i + 1]]</c>.</summary>
    public static readonly int[] TriangleStart = new int[257];

    public static readonly sbyte[] TriangleEdges;

    /// <summary>Faces as corner cycles with their outward normals.</summary>
    static readonly (int[] Corners, Vector3 Normal)[] Faces =
    [
        ([0, 1, 2, 3], -Vector3.UnitZ), ([4, 5, 6, 7], Vector3.UnitZ),
        ([0, 1, 5, 4], -Vector3.UnitY), ([2, 3, 7, 6], Vector3.UnitY),
        ([0, 3, 7, 4], -Vector3.UnitX), ([1, 2, 6, 5], Vector3.UnitX),
    ];

    static MarchingCubesTables()
    {
        var edges = new List<sbyte>();
        for (int c = 0; c < 256; c++)
        {
            TriangleStart[c] = edges.Count;
            for (int e = 0; e < 12; e++)
                if (Inside(c, EdgeCorners[e].A) != Inside(c, EdgeCorners[e].B)) EdgeMask[c] |= (ushort)(1 << e);
            foreach (var polygon in Polygons(c))
                for (int k = 1; k + 1 < polygon.Count; k++)
                    edges.AddRange([(sbyte)polygon[0], (sbyte)polygon[k], (sbyte)polygon[k + 1]]);
        }
        TriangleStart[256] = edges.Count;
        TriangleEdges = [.. edges];
    }

    /// <summary>Number of triangles case <paramref name="index"/> emits.</summary>
    public static int TriangleCount(int index) => (TriangleStart[index + 1] - TriangleStart[index]) / 3;

    static bool Inside(int index, int corner) => (index >> corner & 1) != 0;

    static Vector3 CornerPosition(int c) => new(Corners[c].X, Corners[c].Y, Corners[c].Z);

    static Vector3 EdgeMidpoint(int e) => 0.5f * (CornerPosition(EdgeCorners[e].A) + CornerPosition(EdgeCorners[e].B));

    static int EdgeBetween(int a, int b)
    {
        for (int e = 0; e < 12; e++)
            if ((EdgeCorners[e].A == a && EdgeCorners[e].B == b) || (EdgeCorners[e].A == b && EdgeCorners[e].B == a)) return e;
        throw new InvalidOperationException($"corners {a} and {b} share no edge");
    }

    /// <summary>The closed edge cycles of case <paramref name="index"/>, each oriented outward.</summary>
    static List<List<int>> Polygons(int index)
    {
        var next = new int[12];
        Array.Fill(next, -1);
        foreach (var (corners, normal) in Faces)
        {
            var crossed = new List<int>();   // crossing edges in cycle order, each with its inside corner
            var insideCorner = new List<int>();
            for (int k = 0; k < 4; k++)
            {
                int a = corners[k], b = corners[(k + 1) % 4];
                if (Inside(index, a) == Inside(index, b)) continue;
                crossed.Add(EdgeBetween(a, b));
                insideCorner.Add(Inside(index, a) ? a : b);
            }
            if (crossed.Count == 2)
            {
                var inside = corners.Where(c => Inside(index, c)).Select(CornerPosition).Aggregate(Vector3.Zero, (s, p) => s + p);
                inside /= corners.Count(c => Inside(index, c));
                Link(next, crossed[0], crossed[1], normal, inside);
            }
            else if (crossed.Count == 4)
            {
                // Ambiguous face: cut off each inside corner on its own (its two crossings surround it).
                for (int k = 0; k < 4; k++)
                    for (int j = k + 1; j < 4; j++)
                        if (insideCorner[k] == insideCorner[j])
                            Link(next, crossed[k], crossed[j], normal, CornerPosition(insideCorner[k]));
            }
        }
        var polygons = new List<List<int>>();
        var seen = new bool[12];
        for (int start = 0; start < 12; start++)
        {
            if (next[start] < 0 || seen[start]) continue;
            var polygon = new List<int>();
            for (int e = start; !seen[e]; e = next[e])
            {
                seen[e] = true;
                polygon.Add(e);
                if (next[e] < 0) throw new InvalidOperationException($"marching cubes case {index}: open polygon at edge {e}");
            }
            polygons.Add(polygon);
        }
        return polygons;
    }

    /// <summary>Links two crossing points of a face, directed so that (q − p) × faceNormal points to the inside.</summary>
    static void Link(int[] next, int e1, int e2, Vector3 faceNormal, Vector3 inside)
    {
        Vector3 p = EdgeMidpoint(e1), q = EdgeMidpoint(e2);
        bool forward = Vector3.Dot(Vector3.Cross(q - p, faceNormal), inside - 0.5f * (p + q)) > 0;
        var (from, to) = forward ? (e1, e2) : (e2, e1);
        if (next[from] >= 0) throw new InvalidOperationException($"marching cubes tables: edge {from} linked twice");
        next[from] = to;
    }
}
