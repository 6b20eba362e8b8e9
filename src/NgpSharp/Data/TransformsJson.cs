using System.Numerics;
using System.Text;
using System.Text.Json;

namespace NgpSharp.Data;

/// <summary>
/// Shared reading of NeRF transforms files (nerf_synthetic's and instant-ngp's): JSON with comments, trailing
/// commas and Python's bare NaN/Infinity tolerated (so a non-finite pose is reported for its frame rather than as
/// a syntax error), numbers and camera-to-world matrices checked with errors that say where.
/// </summary>
internal static class TransformsJson
{
    static readonly JsonDocumentOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Parses the file at <paramref name="path"/>; its top level must be an object.</summary>
    public static JsonDocument Read(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: transforms file not found");
        string text;
        try { text = File.ReadAllText(path); }
        catch (IOException e) { throw new DatasetException($"{path}: cannot read: {e.Message}", e); }
        JsonDocument doc;
        try { doc = JsonDocument.Parse(QuoteNonFiniteLiterals(text), Options); }
        catch (JsonException e) { throw new DatasetException($"{path}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e); }
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new DatasetException($"{path}: expected a JSON object at the top level");
        }
        return doc;
    }

    /// <summary>Turns bare NaN, Infinity and -Infinity tokens (outside strings) into strings that
    /// <see cref="TryNumber"/> reads back as non-finite values.</summary>
    internal static string QuoteNonFiniteLiterals(string text)
    {
        if (!text.Contains("NaN", StringComparison.Ordinal) && !text.Contains("Infinity", StringComparison.Ordinal)) return text;
        var sb = new StringBuilder(text.Length + 16);
        bool inString = false;
        for (int i = 0; i < text.Length; i++)
        {
            char ch = text[i];
            if (inString)
            {
                sb.Append(ch);
                if (ch == '\\' && i + 1 < text.Length) sb.Append(text[++i]);
                else if (ch == '"') inString = false;
                continue;
            }
            if (ch == '"') { inString = true; sb.Append(ch); continue; }
            string? token = null;
            foreach (var t in (ReadOnlySpan<string>)["NaN", "Infinity", "-Infinity"])
                if (string.CompareOrdinal(text, i, t, 0, t.Length) == 0) { token = t; break; }
            if (token is null) { sb.Append(ch); continue; }
            sb.Append('"').Append(token).Append('"');
            i += token.Length - 1;
        }
        return sb.ToString();
    }

    /// <summary>Reads a JSON number (or a quoted NaN/Infinity from <see cref="QuoteNonFiniteLiterals"/>).</summary>
    public static bool TryNumber(JsonElement e, out double value)
    {
        value = double.NaN;
        if (e.ValueKind == JsonValueKind.Number)
        {
            if (!e.TryGetDouble(out value)) value = double.PositiveInfinity; // out of range, e.g. 1e999
            return true;
        }
        if (e.ValueKind == JsonValueKind.String)
        {
            switch (e.GetString())
            {
                case "NaN": value = double.NaN; return true;
                case "Infinity": value = double.PositiveInfinity; return true;
                case "-Infinity": value = double.NegativeInfinity; return true;
            }
        }
        return false;
    }

    /// <summary>The finite number under <paramref name="key"/>, or null when the key is absent.</summary>
    public static double? OptionalNumber(JsonElement obj, string key, string where)
    {
        if (!obj.TryGetProperty(key, out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (!TryNumber(e, out double v)) throw new DatasetException($"{where}: {key} must be a number, got {Describe(e)}");
        if (!double.IsFinite(v)) throw new DatasetException($"{where}: {key} is {v}, not a finite number");
        return v;
    }

    /// <summary>The string under <paramref name="key"/>; missing or not a string is an error.</summary>
    public static string RequiredString(JsonElement obj, string key, string where)
    {
        if (!obj.TryGetProperty(key, out var e)) throw new DatasetException($"{where}: missing \"{key}\"");
        if (e.ValueKind != JsonValueKind.String) throw new DatasetException($"{where}: {key} must be a string, got {Describe(e)}");
        return e.GetString()!;
    }

    /// <summary>The non-empty "frames" array of a transforms file.</summary>
    public static JsonElement Frames(JsonElement root, string file)
    {
        if (!root.TryGetProperty("frames", out var frames)) throw new DatasetException($"{file}: missing \"frames\"");
        if (frames.ValueKind != JsonValueKind.Array) throw new DatasetException($"{file}: \"frames\" must be an array, got {Describe(frames)}");
        if (frames.GetArrayLength() == 0) throw new DatasetException($"{file}: \"frames\" is empty (no images in this split)");
        return frames;
    }

    /// <summary>"file: frame i (file_path)": how errors name a frame.</summary>
    public static string FrameName(string file, int index, string? filePath) =>
        filePath is null ? $"{file}: frame {index}" : $"{file}: frame {index} ({filePath})";

    /// <summary>
    /// Reads a 4×4 camera-to-world <c>transform_matrix</c> and checks it: finite, last row (0, 0, 0, 1), rotation
    /// part s·R with R a proper rotation (orthonormal within 1e-3, det &gt; 0) and s &gt; 0. A uniform scale s is
    /// accepted and removed (instant-ngp normalises ray directions, so it has no effect there either); shear,
    /// non-uniform scale and reflections are errors. R is re-orthonormalised (Gram–Schmidt on x, y; z = x × y).
    /// </summary>
    public static (Vector3 X, Vector3 Y, Vector3 Z, Vector3 T) ReadPose(JsonElement frame, string where, string key = "transform_matrix")
    {
        if (!frame.TryGetProperty(key, out var m)) throw new DatasetException($"{where}: missing \"{key}\"");
        var a = new double[4, 4];
        if (m.ValueKind != JsonValueKind.Array || m.GetArrayLength() != 4)
            throw new DatasetException($"{where}: {key} must be a 4×4 array of numbers, got {Describe(m)}");
        for (int r = 0; r < 4; r++)
        {
            var row = m[r];
            if (row.ValueKind != JsonValueKind.Array || row.GetArrayLength() != 4)
                throw new DatasetException($"{where}: {key} must be 4×4; row {r} is {Describe(row)}");
            for (int c = 0; c < 4; c++)
                if (!TryNumber(row[c], out a[r, c]))
                    throw new DatasetException($"{where}: {key}[{r}][{c}] is {Describe(row[c])}, not a number");
        }
        for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++)
            if (!double.IsFinite(a[r, c])) throw new DatasetException($"{where}: {key} contains {a[r, c]} at [{r}][{c}]");
        for (int c = 0; c < 4; c++)
            if (Math.Abs(a[3, c] - (c == 3 ? 1 : 0)) > 1e-4)
                throw new DatasetException($"{where}: {key} last row must be [0, 0, 0, 1], got [{a[3, 0]}, {a[3, 1]}, {a[3, 2]}, {a[3, 3]}]");

        var c0 = new Vector3D(a[0, 0], a[1, 0], a[2, 0]);
        var c1 = new Vector3D(a[0, 1], a[1, 1], a[2, 1]);
        var c2 = new Vector3D(a[0, 2], a[1, 2], a[2, 2]);
        double det = c0.Dot(c1.Cross(c2));
        if (!(det > 1e-12))
            throw new DatasetException($"{where}: {key} rotation has determinant {det:G4}; a camera pose needs a proper rotation (det > 0, no mirroring)");
        double s = Math.Cbrt(det);
        var (x, y, z) = (c0 / s, c1 / s, c2 / s);
        double err = Math.Max(Math.Max(Math.Abs(x.Dot(x) - 1), Math.Abs(y.Dot(y) - 1)),
            Math.Max(Math.Abs(z.Dot(z) - 1), Math.Max(Math.Abs(x.Dot(y)), Math.Max(Math.Abs(x.Dot(z)), Math.Abs(y.Dot(z))))));
        if (err > 1e-3)
            throw new DatasetException($"{where}: {key} rotation is not orthonormal (error {err:G3} > 1e-3 after removing a uniform scale {s:G6}): shear or non-uniform scale");
        x = x.Normalized();
        y = (y - x * x.Dot(y)).Normalized();
        z = x.Cross(y);
        return (x.ToVector3(), y.ToVector3(), z.ToVector3(), new Vector3((float)a[0, 3], (float)a[1, 3], (float)a[2, 3]));
    }

    /// <summary>A short description of a JSON value for error messages.</summary>
    public static string Describe(JsonElement e)
    {
        string raw = e.GetRawText();
        if (raw.Length > 60) raw = raw[..57] + "...";
        return e.ValueKind switch
        {
            JsonValueKind.Array => $"an array of {e.GetArrayLength()} ({raw})",
            JsonValueKind.Object => $"an object ({raw})",
            _ => raw,
        };
    }

    readonly record struct Vector3D(double X, double Y, double Z)
    {
        public double Dot(Vector3D o) => X * o.X + Y * o.Y + Z * o.Z;
        public Vector3D Cross(Vector3D o) => new(Y * o.Z - Z * o.Y, Z * o.X - X * o.Z, X * o.Y - Y * o.X);
        public Vector3D Normalized() => this / Math.Sqrt(Dot(this));
        public Vector3 ToVector3() => new((float)X, (float)Y, (float)Z);
        public static Vector3D operator /(Vector3D v, double s) => new(v.X / s, v.Y / s, v.Z / s);
        public static Vector3D operator *(Vector3D v, double s) => new(v.X * s, v.Y * s, v.Z * s);
        public static Vector3D operator -(Vector3D a, Vector3D b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);
    }
}
