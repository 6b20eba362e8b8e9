using System.Globalization;
using System.Numerics;
using System.Text;

namespace NgpSharp.Geometry.MeshIo;

/// <summary>
/// Wavefront OBJ. Reads <c>v x y z [w]</c> and MeshLab's <c>v x y z r g b</c> colours, <c>vt</c>, <c>vn</c>,
/// <c>f</c> with <c>v</c>, <c>v/vt</c>, <c>v//vn</c>, <c>v/vt/vn</c> corners (1-based; negative = relative to
/// the end), polygons fan-triangulated, <c>#</c> comments and <c>\</c> line continuations; other statements
/// (o, g, s, usemtl, mtllib, l, p, ...) are ignored. Texture coordinates are checked but not kept. Normals are
/// kept per vertex (the mean of the normals its corners refer to) when every face has them; colours when every
/// vertex has them.
/// </summary>
public static class ObjFormat
{
    public static Mesh Read(Stream stream, string name)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16, leaveOpen: true);
        var positions = new List<Vector3>();
        var colors = new List<Vector3>();
        var fileNormals = new List<Vector3>();
        int texCoords = 0;
        var triangles = new List<int>();
        var cornerNormals = new List<int>(); // per triangle corner: index into fileNormals, or -1
        bool allFacesHaveNormals = true;
        var corners = new List<(int v, int vn)>();
        int lineNumber = 0;
        var tokens = new List<string>();

        while (ReadLogicalLine(reader, ref lineNumber, out var line, out int firstLine))
        {
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            tokens.Clear();
            foreach (var t in line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)) tokens.Add(t);
            if (tokens.Count == 0) continue;
            string where = $"{name}: line {firstLine}";
            switch (tokens[0])
            {
                case "v":
                    if (tokens.Count is not (4 or 5 or 7 or 8))
                        throw new MeshFormatException($"{where}: \"v\" needs x y z [w] or x y z r g b, got {tokens.Count - 1} numbers");
                    var p = new Vector3(Number(tokens[1], where), Number(tokens[2], where), Number(tokens[3], where));
                    positions.Add(p);
                    if (tokens.Count >= 7) colors.Add(new Vector3(Number(tokens[4], where), Number(tokens[5], where), Number(tokens[6], where)));
                    break;
                case "vn":
                    if (tokens.Count != 4) throw new MeshFormatException($"{where}: \"vn\" needs 3 numbers, got {tokens.Count - 1}");
                    fileNormals.Add(new Vector3(Number(tokens[1], where), Number(tokens[2], where), Number(tokens[3], where)));
                    break;
                case "vt":
                    if (tokens.Count < 2 || tokens.Count > 4) throw new MeshFormatException($"{where}: \"vt\" needs 1 to 3 numbers, got {tokens.Count - 1}");
                    for (int i = 1; i < tokens.Count; i++) Number(tokens[i], where);
                    texCoords++;
                    break;
                case "f":
                    if (tokens.Count < 4) throw new MeshFormatException($"{where}: a face needs at least 3 corners, got {tokens.Count - 1}");
                    corners.Clear();
                    for (int i = 1; i < tokens.Count; i++) corners.Add(Corner(tokens[i], positions.Count, texCoords, fileNormals.Count, where));
                    bool hasNormals = corners.TrueForAll(c => c.vn >= 0);
                    allFacesHaveNormals &= hasNormals;
                    for (int i = 1; i + 1 < corners.Count; i++)
                    {
                        foreach (var c in (ReadOnlySpan<(int v, int vn)>)[corners[0], corners[i], corners[i + 1]])
                        {
                            triangles.Add(c.v);
                            cornerNormals.Add(hasNormals ? c.vn : -1);
                        }
                    }
                    break;
            }
        }

        var normals = allFacesHaveNormals && triangles.Count > 0 ? VertexNormals(positions.Count, triangles, cornerNormals, fileNormals) : null;
        return new Mesh([.. positions], [.. triangles], colors.Count == positions.Count && colors.Count > 0 ? [.. colors] : null, normals);
    }

    /// <summary>Writes <c>v x y z [r g b]</c>, <c>vn</c> when the mesh has normals, and 1-based <c>f</c> lines (round-trip float precision).</summary>
    public static void Write(Stream stream, Mesh mesh)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        var inv = CultureInfo.InvariantCulture;
        w.WriteLine($"# NgpSharp: {mesh.VertexCount} vertices, {mesh.TriangleCount} triangles");
        for (int i = 0; i < mesh.VertexCount; i++)
        {
            var p = mesh.Positions[i];
            w.Write(string.Create(inv, $"v {p.X:R} {p.Y:R} {p.Z:R}"));
            if (mesh.Colors is { } c) w.Write(string.Create(inv, $" {c[i].X:R} {c[i].Y:R} {c[i].Z:R}"));
            w.WriteLine();
        }
        if (mesh.Normals is { } normals)
            foreach (var n in normals) w.WriteLine(string.Create(inv, $"vn {n.X:R} {n.Y:R} {n.Z:R}"));
        var t = mesh.Triangles;
        for (int i = 0; i < t.Length; i += 3)
        {
            int a = t[i] + 1, b = t[i + 1] + 1, c = t[i + 2] + 1;
            w.WriteLine(mesh.Normals is null ? string.Create(inv, $"f {a} {b} {c}") : string.Create(inv, $"f {a}//{a} {b}//{b} {c}//{c}"));
        }
    }

    /// <summary>One physical line, or several joined where a line ends with a backslash.</summary>
    static bool ReadLogicalLine(StreamReader reader, ref int lineNumber, out string line, out int firstLine)
    {
        firstLine = lineNumber + 1;
        var first = reader.ReadLine();
        if (first is null) { line = ""; return false; }
        lineNumber++;
        if (!first.EndsWith('\\')) { line = first; return true; }
        var sb = new StringBuilder(first, 0, first.Length - 1, first.Length * 2);
        while (true)
        {
            var next = reader.ReadLine();
            if (next is null) break;
            lineNumber++;
            sb.Append(' ');
            if (!next.EndsWith('\\')) { sb.Append(next); break; }
            sb.Append(next, 0, next.Length - 1);
        }
        line = sb.ToString();
        return true;
    }

    static float Number(string token, string where)
    {
        if (!float.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
            throw new MeshFormatException($"{where}: \"{token}\" is not a number");
        if (!float.IsFinite(value)) throw new MeshFormatException($"{where}: {token} is not a finite number");
        return value;
    }

    /// <summary>"v", "v/vt", "v//vn" or "v/vt/vn" → 0-based vertex and normal (−1 when absent).</summary>
    static (int v, int vn) Corner(string token, int vertexCount, int texCount, int normalCount, string where)
    {
        var parts = token.Split('/');
        if (parts.Length > 3) throw new MeshFormatException($"{where}: face corner \"{token}\" has more than v/vt/vn");
        int v = Index(parts[0], vertexCount, "vertex", token, where);
        if (parts.Length >= 2 && parts[1].Length > 0) Index(parts[1], texCount, "texture coordinate", token, where);
        int vn = parts.Length == 3 && parts[2].Length > 0 ? Index(parts[2], normalCount, "normal", token, where) : -1;
        return (v, vn);
    }

    static int Index(string text, int count, string what, string token, string where)
    {
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long i) || i == 0)
            throw new MeshFormatException($"{where}: face corner \"{token}\": \"{text}\" is not a {what} index (1-based, or negative from the end)");
        long zeroBased = i > 0 ? i - 1 : count + i;
        if (zeroBased < 0 || zeroBased >= count)
            throw new MeshFormatException($"{where}: face corner \"{token}\": {what} index {i} out of range ({count} {what}s defined so far)");
        return (int)zeroBased;
    }

    static Vector3[] VertexNormals(int vertexCount, List<int> triangles, List<int> cornerNormals, List<Vector3> fileNormals)
    {
        var sum = new Vector3[vertexCount];
        for (int i = 0; i < triangles.Count; i++) sum[triangles[i]] += fileNormals[cornerNormals[i]];
        for (int i = 0; i < sum.Length; i++)
        {
            float len = sum[i].Length();
            if (len > 0) sum[i] /= len;
        }
        return sum;
    }
}
