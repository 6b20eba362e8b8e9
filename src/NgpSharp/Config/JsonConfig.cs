using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NgpSharp.Config;

/// <summary>A configuration problem: names the file or key and what is wrong.</summary>
public sealed class ConfigException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Read access to one object of a tiny-cuda-nn style JSON config, with errors that name the key path
/// ("network.n_neurons: expected an integer, got \"64a\""). Key lookup is case-insensitive.
/// </summary>
public readonly struct JsonConfig
{
    public JsonConfig(JsonObject node, string path = "")
    {
        Node = node ?? throw new ArgumentNullException(nameof(node));
        Path = path;
    }

    /// <summary>The underlying JSON object.</summary>
    public JsonObject Node { get; }

    /// <summary>Where this object sits ("", "encoding", "optimizer.nested").</summary>
    public string Path { get; }

    static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = true };
    static readonly JsonDocumentOptions DocOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    /// <summary>Parses JSON text; <paramref name="source"/> (a file name) goes into error messages.</summary>
    public static JsonConfig Parse(string json, string source)
    {
        JsonNode? node;
        try
        {
            using (var doc = JsonDocument.Parse(json, DocOptions)) CheckUniqueKeys(doc.RootElement, source, "");
            node = JsonNode.Parse(json, NodeOptions, DocOptions);
        }
        catch (JsonException e) { throw new ConfigException($"{source}: invalid JSON at line {e.LineNumber + 1}: {e.Message}", e); }
        if (node is not JsonObject obj) throw new ConfigException($"{source}: expected a JSON object at the top level");
        return new JsonConfig(obj);
    }

    /// <summary>
    /// Keys are case-insensitive, so "otype" and "OType" in one object are the same key twice: an error naming it
    /// (JsonObject would otherwise throw a bare ArgumentException on first use).
    /// </summary>
    static void CheckUniqueKeys(JsonElement e, string source, string path)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in e.EnumerateArray()) CheckUniqueKeys(item, source, $"{path}[{i++}]");
        }
        if (e.ValueKind != JsonValueKind.Object) return;
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in e.EnumerateObject())
        {
            string key = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
            if (!seen.Add(p.Name)) throw new ConfigException($"{source}: duplicate key \"{key}\" (keys are case-insensitive)");
            CheckUniqueKeys(p.Value, source, key);
        }
    }

    /// <summary>Reads and parses a JSON file.</summary>
    public static JsonConfig Load(string file)
    {
        if (!File.Exists(file)) throw new ConfigException($"{file}: config file not found");
        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>Wraps a JSON object (copying a node that already has a parent) with case-insensitive keys.</summary>
    public static JsonConfig From(JsonObject node, string path = "") =>
        new((JsonObject)JsonNode.Parse(node.ToJsonString(), NodeOptions)!, path);

    public string KeyPath(string key) => Path.Length == 0 ? key : $"{Path}.{key}";

    public bool Has(string key) => Node.ContainsKey(key) && Node[key] is not null;

    /// <summary>The required "otype" of this object.</summary>
    public string Otype => RequireString("otype");

    public string RequireString(string key) => Has(key) ? AsString(key) : throw Missing(key);

    public string String(string key, string defaultValue) => Has(key) ? AsString(key) : defaultValue;

    public int RequireInt(string key) => Has(key) ? AsInt(key) : throw Missing(key);

    public int Int(string key, int defaultValue) => Has(key) ? AsInt(key) : defaultValue;

    public long Long(string key, long defaultValue) => Has(key) ? (long)AsDouble(key, integer: true) : defaultValue;

    public double RequireDouble(string key) => Has(key) ? AsDouble(key, integer: false) : throw Missing(key);

    public double Double(string key, double defaultValue) => Has(key) ? AsDouble(key, integer: false) : defaultValue;

    public float Float(string key, float defaultValue) => Has(key) ? (float)AsDouble(key, integer: false) : defaultValue;

    public bool Bool(string key, bool defaultValue)
    {
        if (!Has(key)) return defaultValue;
        var v = (JsonValue)Node[key]!;
        if (v.TryGetValue(out bool b)) return b;
        if (v.TryGetValue(out string? s) && bool.TryParse(s, out b)) return b;
        throw Invalid(key, "a boolean");
    }

    /// <summary>A required nested object.</summary>
    public JsonConfig Object(string key) => OptionalObject(key) ?? throw Missing(key);

    /// <summary>A nested object, or null when the key is absent.</summary>
    public JsonConfig? OptionalObject(string key)
    {
        if (!Has(key)) return null;
        return Node[key] is JsonObject o ? new JsonConfig(o, KeyPath(key)) : throw Invalid(key, "an object");
    }

    /// <summary>A required array of objects.</summary>
    public IReadOnlyList<JsonConfig> ObjectArray(string key)
    {
        if (!Has(key)) throw Missing(key);
        if (Node[key] is not JsonArray arr) throw Invalid(key, "an array");
        var list = new List<JsonConfig>(arr.Count);
        for (int i = 0; i < arr.Count; i++)
            list.Add(arr[i] is JsonObject o ? new JsonConfig(o, $"{KeyPath(key)}[{i}]") : throw new ConfigException($"{KeyPath(key)}[{i}]: expected an object"));
        return list;
    }

    /// <summary>A required array of numbers.</summary>
    public double[] DoubleArray(string key)
    {
        if (!Has(key)) throw Missing(key);
        if (Node[key] is not JsonArray arr) throw Invalid(key, "an array of numbers");
        var result = new double[arr.Count];
        for (int i = 0; i < arr.Count; i++)
            result[i] = arr[i] is JsonValue v && v.TryGetValue(out double d) ? d : throw new ConfigException($"{KeyPath(key)}[{i}]: expected a number");
        return result;
    }

    /// <summary>An error for an unknown otype, listing the known ones.</summary>
    public ConfigException UnknownOtype(string kind, IEnumerable<string> known) =>
        new($"{KeyPath("otype")}: unknown {kind} \"{Otype}\" (known: {string.Join(", ", known)})");

    /// <summary>An error about the value of <paramref name="key"/>.</summary>
    public ConfigException Error(string key, string problem) => new($"{KeyPath(key)}: {problem}");

    ConfigException Missing(string key) => new($"{KeyPath(key)}: required key is missing");

    ConfigException Invalid(string key, string expected) =>
        new($"{KeyPath(key)}: expected {expected}, got {Node[key]?.ToJsonString() ?? "null"}");

    /// <summary>A number from parsed JSON, from a value built in code (int, long, float, decimal), or from a numeric string.</summary>
    static bool TryGetNumber(JsonValue v, out double d)
    {
        if (v.TryGetValue(out d)) return true;
        if (v.TryGetValue(out long l)) { d = l; return true; }
        if (v.TryGetValue(out int i)) { d = i; return true; }
        if (v.TryGetValue(out float f)) { d = f; return true; }
        if (v.TryGetValue(out decimal m)) { d = (double)m; return true; }
        return v.TryGetValue(out string? s) && double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out d);
    }

    string AsString(string key)
    {
        var v = Node[key] as JsonValue;
        return v is not null && v.TryGetValue(out string? s) ? s : throw Invalid(key, "a string");
    }

    int AsInt(string key)
    {
        double d = AsDouble(key, integer: true);
        return d is >= int.MinValue and <= int.MaxValue ? (int)d : throw Invalid(key, "an integer in range");
    }

    double AsDouble(string key, bool integer)
    {
        var v = Node[key] as JsonValue;
        double d;
        if (v is null) throw Invalid(key, integer ? "an integer" : "a number");
        if (!TryGetNumber(v, out d)) throw Invalid(key, integer ? "an integer" : "a number");
        if (!double.IsFinite(d)) throw Invalid(key, "a finite number");
        if (integer && d != Math.Floor(d)) throw Invalid(key, "an integer");
        return d;
    }
}
