using System.Globalization;

namespace NgpSharp.Config;

/// <summary>The resolvers instant-nsr-pl registers with OmegaConf (<c>${name:arg,...}</c>), plus <c>oc.env</c>.</summary>
static class ConfigResolvers
{
    static readonly string[] Known = ["add", "sub", "mul", "div", "idiv", "mod", "calc_exp_lr_decay_rate", "basename", "oc.env"];

    public static ConfigNode Invoke(string name, ConfigNode[] args, ConfigMark mark, string path, string source)
    {
        ConfigException Error(string what) => new($"{mark}: {path}: {source}: {what}");
        void Arity(int n) { if (args.Length != n) throw Error($"{name} takes {n} arguments, got {args.Length}"); }
        switch (name)
        {
            case "add": return Fold(args, (a, b) => a + b, (a, b) => a + b);
            case "mul": return Fold(args, (a, b) => a * b, (a, b) => a * b);
            case "sub": Arity(2); return Fold(args, (a, b) => a - b, (a, b) => a - b);
            case "div": Arity(2); return Float(Number(args[0]) / Number(args[1]));
            case "idiv": Arity(2); return Int((long)Math.Floor(Number(args[0]) / Number(args[1])));
            case "mod": Arity(2); return Fold(args, (a, b) => a % b, (a, b) => a % b);
            case "calc_exp_lr_decay_rate": Arity(2); return Float(Math.Pow(Number(args[0]), 1.0 / Number(args[1])));
            case "basename": Arity(1); return ConfigScalar.String(Path.GetFileName(Text(args[0]).TrimEnd('/', '\\')), mark);
            case "oc.env":
                if (args.Length is < 1 or > 2) throw Error("oc.env takes a variable name and an optional default");
                string? env = Environment.GetEnvironmentVariable(Text(args[0]));
                if (env is not null) return ConfigScalar.String(env, mark);
                return args.Length == 2 ? args[1] : throw Error($"environment variable {Text(args[0])} is not set and no default is given");
            default:
                throw Error($"unknown resolver \"{name}\" (known: {string.Join(", ", Known)})");
        }

        ConfigNode Fold(ConfigNode[] xs, Func<long, long, long> onInts, Func<double, double, double> onFloats)
        {
            if (xs.Length == 0) throw Error($"{name} needs arguments");
            if (xs.All(x => x is ConfigScalar { Kind: ScalarKind.Int } s && s.TryGetInt64(out _)))
            {
                long acc = Long(xs[0]);
                foreach (var x in xs.Skip(1)) acc = onInts(acc, Long(x));
                return Int(acc);
            }
            double d = Number(xs[0]);
            foreach (var x in xs.Skip(1)) d = onFloats(d, Number(x));
            return Float(d);
        }
        long Long(ConfigNode n) { ((ConfigScalar)n).TryGetInt64(out long v); return v; }
        double Number(ConfigNode n) =>
            n is ConfigScalar s && s.TryGetDouble(out double v) ? v : throw Error($"{name} expects numbers, got {Describe(n)}");
        string Text(ConfigNode n) => n is ConfigScalar { Kind: not ScalarKind.Null } s ? s.Text : throw Error($"{name} expects text, got {Describe(n)}");
        ConfigNode Int(long v) => new ConfigScalar(v.ToString(CultureInfo.InvariantCulture), ScalarKind.Int) { Mark = mark };
        ConfigNode Float(double v) => new ConfigScalar(ConfigWriter.FormatDouble(v), ScalarKind.Float) { Mark = mark };
    }

    internal static string Describe(ConfigNode n) => n switch
    {
        ConfigMapping => "a mapping",
        ConfigSequence => "a list",
        ConfigScalar { Kind: ScalarKind.Null } => "null",
        ConfigScalar s => $"\"{s.Text}\"",
        _ => "?",
    };
}
