using System.Globalization;

namespace NgpSharp.Config;

/// <summary>Where a config value came from: a file position (1-based line/column) or a command-line override.</summary>
public readonly record struct ConfigMark(string Source, int Line = 0, int Column = 0)
{
    public override string ToString() => Line > 0 ? $"{Source}:{Line}:{Column}" : Source;
}

/// <summary>The YAML type of a scalar, resolved from its text as YAML's core schema does (quoted scalars are strings).</summary>
public enum ScalarKind { Null, Bool, Int, Float, String }

/// <summary>A node of a loaded config tree: <see cref="ConfigMapping"/>, <see cref="ConfigSequence"/> or <see cref="ConfigScalar"/>.</summary>
public abstract class ConfigNode
{
    public ConfigMark Mark { get; init; }

    /// <summary>A deep copy (marks kept).</summary>
    public abstract ConfigNode DeepClone();
}

/// <summary>A scalar: its text and its resolved kind. <see cref="Text"/> is "" for null.</summary>
public sealed class ConfigScalar : ConfigNode
{
    public ConfigScalar(string text, ScalarKind kind) { Text = text; Kind = kind; }

    public string Text { get; }
    public ScalarKind Kind { get; }

    /// <summary>OmegaConf's marker for a mandatory value not given yet.</summary>
    public bool IsMissingMarker => Kind == ScalarKind.String && Text == "???";

    /// <summary>A scalar from unquoted (plain) YAML text: null, bool, int, float or string by the core schema.</summary>
    public static ConfigScalar Plain(string text, ConfigMark mark = default) => new(text, Classify(text)) { Mark = mark };

    public static ConfigScalar String(string text, ConfigMark mark = default) => new(text, ScalarKind.String) { Mark = mark };

    public static ConfigScalar Null(ConfigMark mark = default) => new("", ScalarKind.Null) { Mark = mark };

    public override ConfigNode DeepClone() => new ConfigScalar(Text, Kind) { Mark = Mark };

    public override string ToString() => Kind == ScalarKind.Null ? "null" : Text;

    /// <summary>YAML 1.2 core schema, plus YAML 1.1's "1.e-5" style floats that instant-nsr-pl configs use.</summary>
    public static ScalarKind Classify(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL": return ScalarKind.Null;
            case "true" or "True" or "TRUE" or "false" or "False" or "FALSE": return ScalarKind.Bool;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" or "-.inf" or "-.Inf" or "-.INF" or ".nan" or ".NaN" or ".NAN":
                return ScalarKind.Float;
        }
        if (IsInteger(text)) return ScalarKind.Int;
        if (IsFloat(text)) return ScalarKind.Float;
        return ScalarKind.String;
    }

    static bool IsInteger(string s)
    {
        int i = s.Length > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        if (s.Length > i + 2 && s[i] == '0' && (s[i + 1] is 'x' or 'o'))
        {
            bool hex = s[i + 1] == 'x';
            for (int j = i + 2; j < s.Length; j++)
                if (!(hex ? char.IsAsciiHexDigit(s[j]) : s[j] is >= '0' and <= '7')) return false;
            return true;
        }
        if (i == s.Length) return false;
        for (; i < s.Length; i++) if (!char.IsAsciiDigit(s[i])) return false;
        return true;
    }

    static bool IsFloat(string s)
    {
        int i = s.Length > 0 && (s[0] == '-' || s[0] == '+') ? 1 : 0;
        int digits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; }
        if (i < s.Length && s[i] == '.') { i++; while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; digits++; } }
        if (digits == 0) return false;
        if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
        {
            i++;
            if (i < s.Length && (s[i] == '-' || s[i] == '+')) i++;
            int exp = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; exp++; }
            if (exp == 0) return false;
        }
        return i == s.Length;
    }

    /// <summary>The value of an Int scalar (decimal, 0x hex or 0o octal); false when it does not fit a long.</summary>
    public bool TryGetInt64(out long value)
    {
        value = 0;
        if (Kind != ScalarKind.Int) return false;
        string s = Text;
        bool negative = s[0] == '-';
        string body = s[0] is '-' or '+' ? s[1..] : s;
        if (body.StartsWith("0x", StringComparison.Ordinal) || body.StartsWith("0o", StringComparison.Ordinal))
        {
            try { value = Convert.ToInt64(body[2..], body[1] == 'x' ? 16 : 8); }
            catch (OverflowException) { return false; }
            if (negative) value = -value;
            return true;
        }
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The value of an Int or Float scalar as a double.</summary>
    public bool TryGetDouble(out double value)
    {
        value = 0;
        if (Kind == ScalarKind.Int) { if (TryGetInt64(out long l)) { value = l; return true; } return double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value); }
        if (Kind != ScalarKind.Float) return false;
        string t = Text.TrimStart('+');
        switch (t.ToLowerInvariant())
        {
            case ".inf": value = double.PositiveInfinity; return true;
            case "-.inf": value = double.NegativeInfinity; return true;
            case ".nan": value = double.NaN; return true;
        }
        return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>An ordered mapping from string keys to nodes.</summary>
public sealed class ConfigMapping : ConfigNode
{
    readonly List<KeyValuePair<string, ConfigNode>> _entries = [];

    public IReadOnlyList<KeyValuePair<string, ConfigNode>> Entries => _entries;

    public int Count => _entries.Count;

    public ConfigNode? this[string key]
    {
        get { int i = IndexOf(key); return i < 0 ? null : _entries[i].Value; }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            int i = IndexOf(key);
            if (i < 0) _entries.Add(new(key, value)); else _entries[i] = new(key, value);
        }
    }

    public bool ContainsKey(string key) => IndexOf(key) >= 0;

    public bool Remove(string key) { int i = IndexOf(key); if (i < 0) return false; _entries.RemoveAt(i); return true; }

    int IndexOf(string key)
    {
        for (int i = 0; i < _entries.Count; i++) if (_entries[i].Key == key) return i;
        return -1;
    }

    public override ConfigNode DeepClone()
    {
        var m = new ConfigMapping { Mark = Mark };
        foreach (var (k, v) in _entries) m._entries.Add(new(k, v.DeepClone()));
        return m;
    }
}

/// <summary>An ordered list of nodes.</summary>
public sealed class ConfigSequence : ConfigNode
{
    public List<ConfigNode> Items { get; } = [];

    public override ConfigNode DeepClone()
    {
        var s = new ConfigSequence { Mark = Mark };
        foreach (var item in Items) s.Items.Add(item.DeepClone());
        return s;
    }
}
