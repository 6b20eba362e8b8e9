using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace NgpSharp.Geometry.MeshIo;

/// <summary>
/// STL, ascii and binary (told apart by the binary size rule 84 + 50·n, then by a leading "solid"). STL stores
/// each triangle's corners separately; the reader welds vertices with exactly equal positions (−0 = +0) so that
/// the mesh is indexed. Facet normals are ignored on reading and recomputed on writing (binary only).
/// </summary>
public static class StlFormat
{
    public static Mesh Read(Stream stream, string name)
    {
        var data = PlyFormat.ReadAll(stream, name);
        if (data.Length >= 84)
        {
            long count = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(80));
            if (84 + 50 * count == data.Length) return ReadBinary(data, (int)count, name);
        }
        if (StartsWithSolid(data)) return ReadAscii(data, name);
        if (data.Length < 84) throw new MeshFormatException($"{name}: file truncated: {data.Length} bytes, shorter than a binary STL header (84 bytes) and not ascii STL");
        long n = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(80));
        throw new MeshFormatException($"{name}: binary STL header says {n} triangles ({84 + 50 * n} bytes) but the file has {data.Length} bytes (truncated or corrupt)");
    }

    /// <summary>Binary STL: 80-byte header, triangle count, then per triangle its unit normal, 3 corners and a zero attribute word.</summary>
    public static void Write(Stream stream, Mesh mesh)
    {
        var header = new byte[84];
        Encoding.ASCII.GetBytes("binary STL written by NgpSharp").CopyTo(header, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(80), (uint)mesh.TriangleCount);
        stream.Write(header);
        var buffer = new byte[50 * 1024];
        int used = 0;
        for (int t = 0; t < mesh.TriangleCount; t++)
        {
            if (used + 50 > buffer.Length) { stream.Write(buffer, 0, used); used = 0; }
            var (a, b, c) = mesh.Triangle(t);
            var n = Vector3.Cross(b - a, c - a);
            float len = n.Length();
            n = len > 0 ? n / len : Vector3.Zero;
            foreach (var v in (ReadOnlySpan<Vector3>)[n, a, b, c])
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used), v.X);
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used + 4), v.Y);
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used + 8), v.Z);
                used += 12;
            }
            buffer[used++] = 0;
            buffer[used++] = 0;
        }
        stream.Write(buffer, 0, used);
    }

    static bool StartsWithSolid(byte[] data)
    {
        int i = 0;
        while (i < data.Length && data[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') i++;
        return data.Length - i >= 5 && Encoding.ASCII.GetString(data, i, 5) == "solid";
    }

    static Mesh ReadBinary(byte[] data, int count, string name)
    {
        var welder = new Welder(count);
        for (int t = 0; t < count; t++)
        {
            int at = 84 + 50 * t + 12;
            for (int k = 0; k < 3; k++, at += 12)
            {
                var p = new Vector3(BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(at)),
                    BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(at + 4)), BinaryPrimitives.ReadSingleLittleEndian(data.AsSpan(at + 8)));
                welder.Add(p, () => $"{name}: triangle {t}: corner {p} is not finite");
            }
        }
        return welder.ToMesh();
    }

    static Mesh ReadAscii(byte[] data, string name)
    {
        var welder = new Welder(Math.Min(data.Length / 200, 1 << 20));
        var text = Encoding.ASCII.GetString(data);
        int line = 0, corners = 0, facets = 0;
        bool ended = false;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            var words = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            string where = $"{name}: line {line}";
            switch (words[0])
            {
                case "solid": case "outer": case "endloop": break;
                case "facet":
                    if (corners % 3 != 0) throw new MeshFormatException($"{where}: facet starts after a facet with {corners % 3} vertices");
                    facets++;
                    break;
                case "endfacet":
                    if (corners != 3 * facets) throw new MeshFormatException($"{where}: facet {facets - 1} has {corners - 3 * (facets - 1)} vertices, not 3");
                    break;
                case "vertex":
                    if (words.Length != 4) throw new MeshFormatException($"{where}: \"vertex\" needs 3 numbers");
                    var p = new Vector3(Number(words[1], where), Number(words[2], where), Number(words[3], where));
                    welder.Add(p, () => $"{where}: vertex {p} is not finite");
                    corners++;
                    break;
                case "endsolid": ended = true; break;
                default: throw new MeshFormatException($"{where}: unexpected \"{words[0]}\" in ascii STL");
            }
            if (ended) break;
        }
        if (!ended) throw new MeshFormatException($"{name}: ascii STL truncated (no \"endsolid\" after line {line})");
        if (corners != 3 * facets) throw new MeshFormatException($"{name}: ascii STL truncated: {facets} facets but {corners} vertices");
        return welder.ToMesh();
    }

    static float Number(string token, string where) =>
        float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) ? v
            : throw new MeshFormatException($"{where}: \"{token}\" is not a number");

    /// <summary>Gives each distinct position one vertex index.</summary>
    sealed class Welder(int triangleHint)
    {
        readonly Dictionary<Vector3, int> _index = new(triangleHint);
        readonly List<Vector3> _positions = new(triangleHint);
        readonly List<int> _triangles = new(3 * triangleHint);

        public void Add(Vector3 p, Func<string> describeError)
        {
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || !float.IsFinite(p.Z)) throw new MeshFormatException(describeError());
            p += Vector3.Zero; // −0 + 0 = +0: one key for both zeros
            if (!_index.TryGetValue(p, out int i))
            {
                i = _positions.Count;
                _index.Add(p, i);
                _positions.Add(p);
            }
            _triangles.Add(i);
        }

        public Mesh ToMesh() => new([.. _positions], [.. _triangles]);
    }
}
