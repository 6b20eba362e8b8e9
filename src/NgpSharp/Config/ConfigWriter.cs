using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NgpSharp.Compute;

namespace NgpSharp.Config;

/// <summary>
/// Writes typed settings back to YAML (<c>config/parsed.yaml</c>): every bindable property in declaration order
/// under its snake_case key, enums in snake_case, numbers in the invariant culture with round-trip precision,
/// strings quoted where YAML would read them as something else. Loading the text again gives equal settings.
/// </summary>
public static class ConfigWriter
{
    /// <summary>The settings as YAML text.</summary>
    public static string ToYaml(object settings) => ToYaml(ToTree(settings));

    /// <summary>Writes the settings as YAML, atomically.</summary>
    public static void Write(string path, object settings) => AtomicFile.WriteAllText(path, ToYaml(settings));

    /// <summary>A settings object (or list, dictionary, scalar) as a config tree.</summary>
    public static ConfigNode ToTree(object? value)
    {
        switch (value)
        {
            case null: return ConfigScalar.Null();
            case ConfigNode n: return n.DeepClone();
            case JsonNode j: return FromJson(j);
            case string s: return ConfigScalar.String(s);
            case bool b: return new ConfigScalar(b ? "true" : "false", ScalarKind.Bool);
            case Enum e: return ConfigScalar.String(EnumKey(e));
            case float f: return new ConfigScalar(FormatFloat(f), ScalarKind.Float);
            case double d: return new ConfigScalar(FormatDouble(d), ScalarKind.Float);
            case decimal m: return new ConfigScalar(FormatDouble((double)m), ScalarKind.Float);
            case sbyte or byte or short or ushort or int or uint or long or ulong:
                return new ConfigScalar(System.Convert.ToString(value, CultureInfo.InvariantCulture)!, ScalarKind.Int);
            case IDictionary dict:
                var dm = new ConfigMapping();
                foreach (DictionaryEntry e in dict) dm[(string)e.Key] = ToTree(e.Value);
                return dm;
            case IEnumerable list:
                var seq = new ConfigSequence();
                foreach (var item in list) seq.Items.Add(ToTree(item));
                return seq;
        }
        var map = new ConfigMapping();
        foreach (var p in ConfigSchema.For(value.GetType())) map[p.Key] = ToTree(p.Info.GetValue(value));
        return map;
    }

    static string EnumKey(Enum e)
    {
        var field = e.GetType().GetField(e.ToString());
        return field?.GetCustomAttribute<ConfigKeyAttribute>()?.Name ?? ConfigNaming.ToSnakeCase(e.ToString());
    }

    static ConfigNode FromJson(JsonNode? j) => j switch
    {
        null => ConfigScalar.Null(),
        JsonObject o => o.Aggregate(new ConfigMapping(), (m, kv) => { m[kv.Key] = FromJson(kv.Value); return m; }),
        JsonArray a => a.Aggregate(new ConfigSequence(), (s, item) => { s.Items.Add(FromJson(item)); return s; }),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.True => new ConfigScalar("true", ScalarKind.Bool),
            JsonValueKind.False => new ConfigScalar("false", ScalarKind.Bool),
            JsonValueKind.Number => ConfigScalar.Plain(v.ToJsonString()),
            JsonValueKind.String => ConfigScalar.String(v.GetValue<string>()),
            _ => ConfigScalar.Null(),
        },
        _ => ConfigScalar.Null(),
    };

    /// <summary>Shortest round-trip text that YAML (and PyYAML) reads as a float: "1.0", "0.1", "1.0e-15", ".inf", ".nan".</summary>
    public static string FormatDouble(double d) => FloatText(d.ToString("R", CultureInfo.InvariantCulture), double.IsNaN(d), double.IsInfinity(d), d < 0);

    public static string FormatFloat(float f) => FloatText(f.ToString("R", CultureInfo.InvariantCulture), float.IsNaN(f), float.IsInfinity(f), f < 0);

    static string FloatText(string r, bool nan, bool inf, bool negative)
    {
        if (nan) return ".nan";
        if (inf) return negative ? "-.inf" : ".inf";
        int e = r.IndexOfAny(['E', 'e']);
        string mantissa = e < 0 ? r : r[..e];
        string exponent = e < 0 ? "" : "e" + r[(e + 1)..];
        if (!mantissa.Contains('.')) mantissa += ".0";
        return mantissa + exponent;
    }

    /// <summary>Block-style YAML for a tree; lists of scalars are written in flow style ([0.9, 0.99]).</summary>
    public static string ToYaml(ConfigNode node)
    {
        var sb = new StringBuilder();
        if (node is ConfigMapping { Count: 0 }) return "{}\n";
        WriteNode(sb, node, 0);
        return sb.ToString();
    }

    static void WriteNode(StringBuilder sb, ConfigNode node, int indent)
    {
        string pad = new(' ', indent);
        switch (node)
        {
            case ConfigMapping m:
                foreach (var (k, v) in m.Entries)
                {
                    sb.Append(pad).Append(Quote(k, ScalarKind.String)).Append(':');
                    WriteChild(sb, v, indent);
                }
                break;
            case ConfigSequence s:
                foreach (var item in s.Items)
                {
                    sb.Append(pad).Append('-');
                    WriteChild(sb, item, indent);
                }
                break;
            default:
                sb.Append(pad).Append(Scalar((ConfigScalar)node)).Append('\n');
                break;
        }
    }

    static void WriteChild(StringBuilder sb, ConfigNode v, int indent)
    {
        switch (v)
        {
            case ConfigMapping { Count: 0 }: sb.Append(" {}\n"); break;
            case ConfigSequence { Items.Count: 0 }: sb.Append(" []\n"); break;
            case ConfigSequence q when q.Items.All(i => i is ConfigScalar):
                sb.Append(" [").AppendJoin(", ", q.Items.Select(i => Scalar((ConfigScalar)i))).Append("]\n");
                break;
            case ConfigMapping or ConfigSequence: sb.Append('\n'); WriteNode(sb, v, indent + 2); break;
            default: sb.Append(' ').Append(Scalar((ConfigScalar)v)).Append('\n'); break;
        }
    }

    static string Scalar(ConfigScalar s) => s.Kind == ScalarKind.Null ? "null" : Quote(s.Text, s.Kind);

    // Strings are plain only when plain YAML reads them back as the same string; "${" is escaped so it stays literal.
    static string Quote(string text, ScalarKind kind)
    {
        if (kind != ScalarKind.String) return text;
        bool plainOk = text.Length > 0 && ConfigScalar.Classify(text) == ScalarKind.String && text != "???"
            && (char.IsAsciiLetterOrDigit(text[0]) || text[0] is '_' or '/' or '.')
            && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or '/' or '@' or '+')
            && !text.Contains("${", StringComparison.Ordinal);
        if (plainOk) return text;
        var sb = new StringBuilder("\"");
        foreach (char c in text.Replace("${", "\\${", StringComparison.Ordinal))
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
