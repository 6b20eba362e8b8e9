using System.Globalization;
using NgpSharp.Config;

namespace NgpSharp.Cli;

/// <summary>A command line after the verb: positional words, --options with values, --flags and key=value overrides.</summary>
public sealed class CommandLine
{
    readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <param name="args">The words after the verb.</param>
    /// <param name="flags">Options without a value.</param>
    /// <param name="optionalValues">Options whose value may be left out (e.g. <c>--resume</c>): they take the next word
    /// only when it is neither an option nor a key=value override; left out, their value is "".</param>
    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> flags, IReadOnlySet<string>? optionalValues = null)
    {
        var list = args.ToList();
        for (int i = 0; i < list.Count; i++)
        {
            var a = list[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                var name = a[2..];
                string? value = null;
                int eq = name.IndexOf('=');
                if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
                else if (optionalValues is not null && optionalValues.Contains(name))
                {
                    bool next = i + 1 < list.Count && !list[i + 1].StartsWith('-') && !list[i + 1].Contains('=');
                    value = next ? list[++i] : "";
                }
                else if (!flags.Contains(name))
                {
                    if (i + 1 >= list.Count) throw new UsageException($"--{name} needs a value");
                    value = list[++i];
                }
                _options[name] = value;
            }
            else if (a.Contains('=') && !a.StartsWith('-')) Overrides.Add(a);
            else Positional.Add(a);
        }
    }

    public List<string> Positional { get; } = [];

    /// <summary>dotted.key=value words.</summary>
    public List<string> Overrides { get; } = [];

    public bool Flag(string name) { _used.Add(name); return _options.ContainsKey(name); }

    public string? String(string name) { _used.Add(name); return _options.TryGetValue(name, out var v) ? v : null; }

    public string String(string name, string defaultValue) => String(name) ?? defaultValue;

    public int Int(string name, int defaultValue, int min = int.MinValue)
    {
        var s = String(name);
        if (s is null) return defaultValue;
        if (!TryParseInt(s, out int v) || v < min) throw new UsageException($"--{name}: expected an integer ≥ {min}, got \"{s}\"");
        return v;
    }

    public ulong ULong(string name, ulong defaultValue)
    {
        var s = String(name);
        if (s is null) return defaultValue;
        return ulong.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--{name}: expected a non-negative integer, got \"{s}\"");
    }

    /// <summary>Fails on options that no command read (typos such as --step for --steps).</summary>
    public void RejectUnknown(string verb)
    {
        foreach (var name in _options.Keys)
            if (!_used.Contains(name))
            {
                var close = _used.OrderBy(u => ConfigNaming.EditDistance(u, name)).FirstOrDefault();
                throw new UsageException($"ngp {verb}: unknown option --{name}" + (close is not null && ConfigNaming.EditDistance(close, name) <= 3 ? $" (did you mean --{close}?)" : ""));
            }
    }

    /// <summary>Integers with an optional power-of-two form: 65536, 2^16, 1&lt;&lt;16.</summary>
    static bool TryParseInt(string s, out int value)
    {
        value = 0;
        foreach (var sep in new[] { "^", "<<" })
        {
            int at = s.IndexOf(sep, StringComparison.Ordinal);
            if (at < 0) continue;
            if (!int.TryParse(s[..at], NumberStyles.Integer, CultureInfo.InvariantCulture, out int a) ||
                !int.TryParse(s[(at + sep.Length)..], NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) || b is < 0 or > 30) return false;
            long r = sep == "^" ? (long)Math.Pow(a, b) : (long)a << b;
            if (r > int.MaxValue) return false;
            value = (int)r;
            return true;
        }
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>A mistake on the command line; printed with the usage hint, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
