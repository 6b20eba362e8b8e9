using System.Numerics;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>One MTL material as written: Kd (linear RGB, 0.8 grey when absent) and the map_Kd file path (resolved
/// against the MTL's folder), or null.</summary>
public sealed record MtlMaterial(string Name, Vector3 Diffuse, string? DiffuseMapPath);

/// <summary>
/// Wavefront MTL: newmtl, Kd and map_Kd (its options -s/-o/-t/-bm/... are skipped; the rest of the line is the file
/// name, spaces allowed, '\' read as '/'). Other statements (Ka, Ks, Ns, d, illum, bump, ...) are ignored.
/// </summary>
public static class MtlReader
{
    /// <summary>map_Kd options and how many values follow each (the -o/-s/-t vectors take 1–3; extra numbers are skipped).</summary>
    static readonly Dictionary<string, int> OptionArity = new(StringComparer.Ordinal)
    {
        ["-blendu"] = 1, ["-blendv"] = 1, ["-bm"] = 1, ["-boost"] = 1, ["-cc"] = 1, ["-clamp"] = 1,
        ["-imfchan"] = 1, ["-mm"] = 2, ["-o"] = 3, ["-s"] = 3, ["-t"] = 3, ["-texres"] = 1, ["-type"] = 1,
    };

    public static IReadOnlyList<MtlMaterial> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: material library not found", path);
        using var reader = new StreamReader(path);
        return Parse(reader, path, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
    }

    /// <summary>Parses MTL text; texture paths are resolved against <paramref name="folder"/>.</summary>
    public static IReadOnlyList<MtlMaterial> Parse(TextReader reader, string source, string folder)
    {
        var result = new List<MtlMaterial>();
        string? name = null;
        Vector3 diffuse = new(0.8f);
        string? map = null;
        void Flush()
        {
            if (name is not null) result.Add(new MtlMaterial(name, diffuse, map));
            (diffuse, map) = (new Vector3(0.8f), null);
        }

        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            int hash = line.IndexOf('#');
            string text = (hash >= 0 ? line[..hash] : line).Trim();
            if (text.Length == 0) continue;
            string[] tokens = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            string where = $"{source}:{lineNumber}";
            switch (tokens[0])
            {
                case "newmtl":
                    if (tokens.Length < 2) throw new InvalidDataException($"{where}: 'newmtl' needs a name");
                    Flush();
                    name = text[tokens[0].Length..].Trim();
                    break;
                case "Kd":
                    RequireMaterial(name, where, "Kd");
                    if (tokens.Length < 2) throw new InvalidDataException($"{where}: 'Kd' needs r g b values");
                    if (tokens[1] is "spectral" or "xyz") throw new InvalidDataException($"{where}: 'Kd {tokens[1]}' is not supported (only r g b)");
                    float r = ObjParser.Number(tokens[1], () => where);
                    // "Kd r" alone means r = g = b.
                    float g = tokens.Length > 2 ? ObjParser.Number(tokens[2], () => where) : r;
                    float b = tokens.Length > 3 ? ObjParser.Number(tokens[3], () => where) : r;
                    diffuse = new Vector3(r, g, b);
                    break;
                case "map_Kd":
                    RequireMaterial(name, where, "map_Kd");
                    map = Path.GetFullPath(Path.Combine(folder, MapFileName(tokens, where)));
                    break;
            }
        }
        Flush();
        return result;
    }

    static void RequireMaterial(string? name, string where, string keyword)
    {
        if (name is null) throw new InvalidDataException($"{where}: '{keyword}' before any 'newmtl'");
    }

    static string MapFileName(string[] tokens, string where)
    {
        int i = 1;
        while (i < tokens.Length && OptionArity.TryGetValue(tokens[i], out int arity))
        {
            i++;
            for (int k = 0; k < arity && i < tokens.Length - 1; k++)
            {
                // Vectors (-o/-s/-t) take 1–3 numbers: stop at the first word that is not one.
                if (k > 0 && !float.TryParse(tokens[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _)) break;
                i++;
            }
        }
        if (i >= tokens.Length) throw new InvalidDataException($"{where}: 'map_Kd' needs a file name");
        string file = string.Join(' ', tokens[i..]).Replace('\\', '/');
        if (file.IndexOfAny(InvalidPathChars) >= 0) throw new InvalidDataException($"{where}: 'map_Kd' file name has a character no path can hold (NUL)");
        return file;
    }

    static readonly char[] InvalidPathChars = Path.GetInvalidPathChars();
}
