using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace NgpSharp.Geometry.MeshIo;

/// <summary>
/// Stanford PLY: reads ascii, binary_little_endian and binary_big_endian with properties in any order and of
/// any type; <c>vertex</c> needs x, y, z and may have nx, ny, nz and red, green, blue (integer types scaled by
/// their maximum: uchar/255; floats taken as 0–1); <c>face</c> needs a list <c>vertex_indices</c> (or
/// <c>vertex_index</c>) of any integer types, polygons fan-triangulated; other elements and properties are
/// skipped. Writes binary_little_endian with float positions (and normals) and uchar colours.
/// </summary>
public static class PlyFormat
{
    public static Mesh Read(Stream stream, string name)
    {
        var data = ReadAll(stream, name);
        var header = PlyHeader.Parse(data, name);
        var vertexElement = header.Elements.Find(e => e.Name == "vertex")
            ?? throw new MeshFormatException($"{name}: PLY header has no \"vertex\" element");
        var reader = PlyDataReader.Create(header, data, name);
        Vector3[]? positions = null, colors = null, normals = null;
        var triangles = new List<int>();
        foreach (var element in header.Elements)
        {
            CheckCount(element, reader, name);
            if (element == vertexElement) (positions, colors, normals) = ReadVertices(element, reader, name);
            else if (element.Name == "face") ReadFaces(element, reader, vertexElement.Count, triangles, name);
            else for (long i = 0; i < element.Count; i++) SkipRecord(element, reader, $"{element.Name} {i}", name);
        }
        return new Mesh(positions!, [.. triangles], colors, normals);
    }

    /// <summary>Binary little-endian PLY: float x y z [nx ny nz] [uchar red green blue], faces as list uchar int.</summary>
    public static void Write(Stream stream, Mesh mesh)
    {
        var header = new StringBuilder();
        header.Append("ply\nformat binary_little_endian 1.0\ncomment NgpSharp\n");
        header.Append($"element vertex {mesh.VertexCount}\nproperty float x\nproperty float y\nproperty float z\n");
        if (mesh.Normals is not null) header.Append("property float nx\nproperty float ny\nproperty float nz\n");
        if (mesh.Colors is not null) header.Append("property uchar red\nproperty uchar green\nproperty uchar blue\n");
        header.Append($"element face {mesh.TriangleCount}\nproperty list uchar int vertex_indices\nend_header\n");
        stream.Write(Encoding.ASCII.GetBytes(header.ToString()));

        int vertexSize = 12 + (mesh.Normals is null ? 0 : 12) + (mesh.Colors is null ? 0 : 3);
        var buffer = new byte[Math.Max(vertexSize, 13) * 4096];
        int used = 0;
        void Flush() { stream.Write(buffer, 0, used); used = 0; }
        void Float(float v) { BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(used), v); used += 4; }
        for (int i = 0; i < mesh.VertexCount; i++)
        {
            if (used + vertexSize > buffer.Length) Flush();
            var p = mesh.Positions[i];
            Float(p.X); Float(p.Y); Float(p.Z);
            if (mesh.Normals is { } n) { Float(n[i].X); Float(n[i].Y); Float(n[i].Z); }
            if (mesh.Colors is { } c)
            {
                buffer[used++] = ToByte(c[i].X);
                buffer[used++] = ToByte(c[i].Y);
                buffer[used++] = ToByte(c[i].Z);
            }
        }
        var t = mesh.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            if (used + 13 > buffer.Length) Flush();
            buffer[used++] = 3;
            for (int k = 0; k < 3; k++) { BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(used), t[i + k]); used += 4; }
        }
        Flush();
    }

    static byte ToByte(float c) => (byte)Math.Clamp(MathF.Round(c * 255f), 0f, 255f);

    internal static byte[] ReadAll(Stream stream, string name)
    {
        if (stream.CanSeek && stream.Length - stream.Position > Array.MaxLength)
            throw new MeshFormatException($"{name}: file of {stream.Length} bytes is too large (at most {Array.MaxLength})");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    static void CheckCount(PlyElement element, PlyDataReader reader, string name)
    {
        long minRecord = element.Properties.Sum(p => reader.MinBytes(p.IsList ? p.CountType : p.Type));
        if (element.Count > int.MaxValue / 3 || (minRecord > 0 && element.Count > reader.RemainingBytes / minRecord))
            throw new MeshFormatException($"{name}: element \"{element.Name}\": header says {element.Count} records (at least {minRecord} bytes each) but only {reader.RemainingBytes} bytes of data remain (truncated or corrupt)");
    }

    static (Vector3[] positions, Vector3[]? colors, Vector3[]? normals) ReadVertices(PlyElement element, PlyDataReader reader, string name)
    {
        int x = element.IndexOf("x"), y = element.IndexOf("y"), z = element.IndexOf("z");
        if (x < 0 || y < 0 || z < 0) throw new MeshFormatException($"{name}: element \"vertex\" needs properties x, y and z");
        int nx = element.IndexOf("nx"), ny = element.IndexOf("ny"), nz = element.IndexOf("nz");
        int r = element.IndexOf("red", "r", "diffuse_red"), g = element.IndexOf("green", "g", "diffuse_green"), b = element.IndexOf("blue", "b", "diffuse_blue");
        bool hasNormals = nx >= 0 && ny >= 0 && nz >= 0, hasColors = r >= 0 && g >= 0 && b >= 0;
        foreach (int i in (ReadOnlySpan<int>)[x, y, z])
            if (element.Properties[i].IsList) throw new MeshFormatException($"{name}: vertex property {element.Properties[i].Name} is a list");
        int n = (int)element.Count;
        var positions = new Vector3[n];
        var colors = hasColors ? new Vector3[n] : null;
        var normals = hasNormals ? new Vector3[n] : null;
        var values = new double[element.Properties.Count];
        for (int v = 0; v < n; v++)
        {
            string context = $"vertex {v}";
            for (int p = 0; p < values.Length; p++)
            {
                var prop = element.Properties[p];
                if (prop.IsList) { SkipList(prop, reader, context, name); continue; }
                values[p] = reader.Read(prop.Type, context);
            }
            var pos = new Vector3((float)values[x], (float)values[y], (float)values[z]);
            if (!float.IsFinite(pos.X) || !float.IsFinite(pos.Y) || !float.IsFinite(pos.Z))
                throw new MeshFormatException($"{name}: {context}: position {pos} is not finite");
            positions[v] = pos;
            if (normals is not null) normals[v] = new Vector3((float)values[nx], (float)values[ny], (float)values[nz]);
            if (colors is not null)
                colors[v] = new Vector3(Color(values[r], element.Properties[r].Type), Color(values[g], element.Properties[g].Type), Color(values[b], element.Properties[b].Type));
        }
        return (positions, colors, normals);
    }

    static float Color(double value, PlyType type) => (float)(value / PlyTypes.ColorScale(type));

    static void ReadFaces(PlyElement element, PlyDataReader reader, long vertexCount, List<int> triangles, string name)
    {
        int listIndex = element.IndexOf("vertex_indices", "vertex_index");
        if (listIndex < 0 || !element.Properties[listIndex].IsList)
            throw new MeshFormatException($"{name}: element \"face\" needs a list property vertex_indices");
        if (!PlyTypes.IsInteger(element.Properties[listIndex].Type))
            throw new MeshFormatException($"{name}: face vertex_indices must be of an integer type, got {element.Properties[listIndex].Type}");
        var corners = new List<int>();
        for (long f = 0; f < element.Count; f++)
        {
            string context = $"face {f}";
            for (int p = 0; p < element.Properties.Count; p++)
            {
                var prop = element.Properties[p];
                if (p != listIndex) { if (prop.IsList) SkipList(prop, reader, context, name); else reader.Read(prop.Type, context); continue; }
                long count = ListCount(prop, reader, context, name);
                if (count < 3) throw new MeshFormatException($"{name}: {context}: a face needs at least 3 vertices, got {count}");
                corners.Clear();
                for (long k = 0; k < count; k++)
                {
                    double index = reader.Read(prop.Type, context);
                    if (index < 0 || index >= vertexCount)
                        throw new MeshFormatException($"{name}: {context}: vertex index {index} out of range ({vertexCount} vertices)");
                    corners.Add((int)index);
                }
                for (int k = 1; k + 1 < corners.Count; k++) { triangles.Add(corners[0]); triangles.Add(corners[k]); triangles.Add(corners[k + 1]); }
            }
        }
    }

    static void SkipRecord(PlyElement element, PlyDataReader reader, string context, string name)
    {
        foreach (var prop in element.Properties)
            if (prop.IsList) SkipList(prop, reader, context, name);
            else reader.Read(prop.Type, context);
    }

    static void SkipList(PlyProperty prop, PlyDataReader reader, string context, string name)
    {
        long count = ListCount(prop, reader, context, name);
        for (long k = 0; k < count; k++) reader.Read(prop.Type, context);
    }

    /// <summary>A list's length, refused when negative or longer than the data left could hold.</summary>
    static long ListCount(PlyProperty prop, PlyDataReader reader, string context, string name)
    {
        double count = reader.Read(prop.CountType, context);
        if (count < 0 || count > reader.RemainingBytes / reader.MinBytes(prop.Type))
            throw new MeshFormatException($"{name}: {context}: list {prop.Name} claims {count} items, more than the {reader.RemainingBytes} bytes left can hold (truncated or corrupt)");
        return (long)count;
    }
}
