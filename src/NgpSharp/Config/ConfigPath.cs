namespace NgpSharp.Config;

/// <summary>Dotted key paths ("model.geometry.radius", "dataset.img_wh.0", "dataset.img_wh[0]").</summary>
public static class ConfigPath
{
    /// <summary>Splits a dotted path into segments; "a[0].b" and "a.0.b" both give ["a", "0", "b"].</summary>
    public static string[] Split(string path)
    {
        var parts = new List<string>();
        foreach (var dotted in path.Split('.'))
        {
            string rest = dotted;
            int bracket = rest.IndexOf('[');
            string head = bracket < 0 ? rest : rest[..bracket];
            if (head.Length > 0 || bracket < 0) parts.Add(head);
            while (bracket >= 0)
            {
                int close = rest.IndexOf(']', bracket);
                if (close < 0) throw new ConfigException($"{path}: unclosed '[' in key path");
                parts.Add(rest[(bracket + 1)..close]);
                rest = rest[(close + 1)..];
                bracket = rest.IndexOf('[');
                if (bracket != 0 && rest.Length > 0) throw new ConfigException($"{path}: unexpected text after ']' in key path");
            }
        }
        if (parts.Any(p => p.Length == 0)) throw new ConfigException($"\"{path}\": empty segment in key path");
        return [.. parts];
    }

    /// <summary>Joins a parent path and a key ("" + "a" = "a", "a" + "b" = "a.b").</summary>
    public static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    /// <summary>The child of a mapping (by key) or sequence (by index), or null.</summary>
    public static ConfigNode? Child(ConfigNode node, string segment) => node switch
    {
        ConfigMapping m => m[segment],
        ConfigSequence s when int.TryParse(segment, out int i) && i >= 0 && i < s.Items.Count => s.Items[i],
        _ => null,
    };
}
