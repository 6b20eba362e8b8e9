using System.Globalization;
using System.Numerics;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// One corner of an OBJ face: 0-based indices into <see cref="ObjData.Positions"/>, <see cref="ObjData.TexCoords"/>
/// and <see cref="ObjData.Normals"/>; −1 where the face gave no texture coordinate or normal.
/// </summary>
public readonly record struct ObjCorner(int Position, int TexCoord, int Normal);

/// <summary>
/// The statements of an OBJ file as read by <see cref="ObjParser"/>. Polygons are fan-triangulated:
/// <c>Corners</c>: [T·3], <c>TriangleMaterials</c>: [T] (index into <c>MaterialNames</c>, −1 before any usemtl).
/// <c>MaterialLibraries</c> are the mtllib file names as written (relative to the OBJ's folder).
/// </summary>
public sealed class ObjData
{
    public List<Vector3> Positions { get; } = [];
    public List<Vector2> TexCoords { get; } = [];
    public List<Vector3> Normals { get; } = [];
    public List<ObjCorner> Corners { get; } = [];
    public List<int> TriangleMaterials { get; } = [];
    public List<string> MaterialNames { get; } = [];
    public List<string> MaterialLibraries { get; } = [];

    public int TriangleCount => TriangleMaterials.Count;
}

/// <summary>
/// Wavefront OBJ text → <see cref="ObjData"/>: v, vt, vn, f (v, v/vt, v//vn, v/vt/vn; negative indices count back
/// from the latest element; polygons fan-triangulated), mtllib and usemtl. Other statements (o, g, s, l, p,
/// vp, curves) are skipped. Numbers use the invariant culture. Errors name the file and line.
/// </summary>
public static class ObjParser
{
    /// <summary>Parses the OBJ file at <paramref name="path"/>.</summary>
    public static ObjData Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: OBJ file not found", path);
        using var reader = new StreamReader(path);
        return Parse(reader, path);
    }

    /// <summary>Parses OBJ text; <paramref name="source"/> names it in errors.</summary>
    public static ObjData Parse(TextReader reader, string source)
    {
        var data = new ObjData();
        var materialIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        int currentMaterial = -1;
        var face = new List<ObjCorner>(8);
        Span<Range> tokens = stackalloc Range[64];
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            var text = StripComment(line.AsSpan()).Trim();
            if (text.IsEmpty) continue;
            int count = text.SplitAny(tokens, " \t", StringSplitOptions.RemoveEmptyEntries);
            var keyword = text[tokens[0]];
            string Where() => $"{source}:{lineNumber}";
            switch (keyword)
            {
                case "v":
                    data.Positions.Add(ReadVector3(text, tokens, count, Where));
                    break;
                case "vn":
                    data.Normals.Add(ReadVector3(text, tokens, count, Where));
                    break;
                case "vt":
                    if (count < 2) throw new InvalidDataException($"{Where()}: 'vt' needs at least a u coordinate");
                    data.TexCoords.Add(new Vector2(Number(text[tokens[1]], Where), count > 2 ? Number(text[tokens[2]], Where) : 0f));
                    break;
                case "f":
                    if (count < 4) throw new InvalidDataException($"{Where()}: a face needs at least 3 vertices, got {count - 1}");
                    if (count == tokens.Length) throw new InvalidDataException($"{Where()}: a face with more than {tokens.Length - 2} vertices is not supported");
                    face.Clear();
                    for (int i = 1; i < count; i++) face.Add(ReadCorner(text[tokens[i]], data, Where));
                    for (int i = 1; i + 1 < face.Count; i++)
                    {
                        data.Corners.Add(face[0]);
                        data.Corners.Add(face[i]);
                        data.Corners.Add(face[i + 1]);
                        data.TriangleMaterials.Add(currentMaterial);
                    }
                    break;
                case "usemtl":
                {
                    if (count < 2) throw new InvalidDataException($"{Where()}: 'usemtl' needs a material name");
                    string name = text[tokens[1].Start.Value..].ToString();
                    if (!materialIndex.TryGetValue(name, out currentMaterial))
                    {
                        currentMaterial = data.MaterialNames.Count;
                        materialIndex[name] = currentMaterial;
                        data.MaterialNames.Add(name);
                    }
                    break;
                }
                case "mtllib":
                    // A name may contain spaces; most exporters write one library per statement.
                    if (count < 2) throw new InvalidDataException($"{Where()}: 'mtllib' needs a file name");
                    data.MaterialLibraries.Add(text[tokens[1].Start.Value..].ToString());
                    break;
            }
        }
        return data;
    }

    static ReadOnlySpan<char> StripComment(ReadOnlySpan<char> line)
    {
        int hash = line.IndexOf('#');
        return hash >= 0 ? line[..hash] : line;
    }

    static Vector3 ReadVector3(ReadOnlySpan<char> text, Span<Range> tokens, int count, Func<string> where)
    {
        if (count < 4) throw new InvalidDataException($"{where()}: '{text[tokens[0]]}' needs 3 coordinates, got {count - 1}");
        var v = new Vector3(Number(text[tokens[1]], where), Number(text[tokens[2]], where), Number(text[tokens[3]], where));
        return v;
    }

    /// <summary>A finite invariant-culture number.</summary>
    internal static float Number(ReadOnlySpan<char> s, Func<string> where)
    {
        if (!float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
            throw new InvalidDataException($"{where()}: '{s}' is not a number");
        if (!float.IsFinite(v)) throw new InvalidDataException($"{where()}: '{s}' is not a finite number");
        return v;
    }

    /// <summary>"v", "v/vt", "v//vn" or "v/vt/vn", 1-based or negative (relative) indices.</summary>
    static ObjCorner ReadCorner(ReadOnlySpan<char> s, ObjData data, Func<string> where)
    {
        Span<Range> parts = stackalloc Range[4];
        int n = s.Split(parts, '/');
        if (n > 3) throw new InvalidDataException($"{where()}: face vertex '{s}' has more than 3 '/'-separated indices");
        int v = Index(s[parts[0]], data.Positions.Count, "vertex", s, where);
        int vt = n > 1 && !s[parts[1]].IsEmpty ? Index(s[parts[1]], data.TexCoords.Count, "texture coordinate", s, where) : -1;
        int vn = n > 2 && !s[parts[2]].IsEmpty ? Index(s[parts[2]], data.Normals.Count, "normal", s, where) : -1;
        return new ObjCorner(v, vt, vn);
    }

    static string Plural(string what) => what == "vertex" ? "vertices" : what + "s";

    static int Index(ReadOnlySpan<char> s, int defined, string what, ReadOnlySpan<char> corner, Func<string> where)
    {
        if (!int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int i) || i == 0)
            throw new InvalidDataException($"{where()}: face vertex '{corner}': '{s}' is not a valid {what} index (1-based, or negative to count back)");
        int resolved = i > 0 ? i - 1 : defined + i;
        if (resolved < 0 || resolved >= defined)
            throw new InvalidDataException($"{where()}: face vertex '{corner}' refers to {what} {i}, but only {defined} {(defined == 1 ? what : Plural(what))} {(defined == 1 ? "is" : "are")} defined before this line");
        return resolved;
    }
}
