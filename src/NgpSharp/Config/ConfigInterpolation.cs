using System.Globalization;
using System.Text;

namespace NgpSharp.Config;

/// <summary>
/// OmegaConf-style interpolation: <c>${a.b.c}</c> (absolute), <c>${.sibling}</c> / <c>${..uncle}</c> (relative),
/// <c>${a.list.0}</c>, nested <c>${a.${b}}</c>, and instant-nsr-pl's resolvers <c>${add:1,2}</c>, <c>sub</c>,
/// <c>mul</c>, <c>div</c>, <c>idiv</c>, <c>calc_exp_lr_decay_rate</c>, <c>basename</c>, <c>oc.env</c>.
/// A value that is exactly one interpolation keeps the referenced node's type (int, list, mapping...); text around
/// it makes a string. <c>\${</c> is a literal "${". Cycles and missing keys are errors naming the keys.
/// </summary>
public sealed class ConfigInterpolation
{
    readonly ConfigMapping _root;
    readonly Dictionary<string, ConfigNode> _resolved = [];
    readonly HashSet<ConfigNode> _resolvedNodes = new(ReferenceEqualityComparer.Instance);
    readonly List<string> _stack = [];

    ConfigInterpolation(ConfigMapping root) => _root = root;

    /// <summary>A new tree with every interpolation replaced by its value (the input is not changed).</summary>
    public static ConfigMapping Resolve(ConfigMapping root) =>
        (ConfigMapping)new ConfigInterpolation(root).ResolveAt([], "")!;

    ConfigNode? ResolveAt(string[] segments, string path)
    {
        if (_resolved.TryGetValue(path, out var done)) return done;
        int onStack = _stack.IndexOf(path);
        if (onStack >= 0)
        {
            var chain = _stack.Skip(onStack).Where(p => p.Length > 0).Append(path);
            throw new ConfigException($"{FindRaw(segments).Node?.Mark}: interpolation cycle: {string.Join(" -> ", chain)}");
        }
        var (raw, alreadyResolved) = FindRaw(segments);
        if (raw is null) return null;
        if (alreadyResolved) return raw;
        _stack.Add(path);
        ConfigNode result;
        switch (raw)
        {
            case ConfigMapping m:
                var nm = new ConfigMapping { Mark = m.Mark };
                foreach (var (k, _) in m.Entries) nm[k] = ResolveAt([.. segments, k], ConfigPath.Join(path, k))!;
                result = nm;
                break;
            case ConfigSequence s:
                var ns = new ConfigSequence { Mark = s.Mark };
                for (int i = 0; i < s.Items.Count; i++)
                {
                    string idx = i.ToString(CultureInfo.InvariantCulture);
                    ns.Items.Add(ResolveAt([.. segments, idx], ConfigPath.Join(path, idx))!);
                }
                result = ns;
                break;
            case ConfigScalar { Kind: ScalarKind.String } sc when sc.Text.Contains("${", StringComparison.Ordinal):
                result = Evaluate(sc, segments, path);
                break;
            default:
                result = raw.DeepClone();
                break;
        }
        _stack.RemoveAt(_stack.Count - 1);
        MarkResolved(result);
        _resolved[path] = result;
        return result;
    }

    void MarkResolved(ConfigNode node)
    {
        if (!_resolvedNodes.Add(node)) return;
        if (node is ConfigMapping m) foreach (var (_, v) in m.Entries) MarkResolved(v);
        else if (node is ConfigSequence s) foreach (var v in s.Items) MarkResolved(v);
    }

    // The node at a path in the input tree, going through interpolated intermediate nodes ("a.b" where a: ${x}).
    (ConfigNode? Node, bool AlreadyResolved) FindRaw(string[] segments)
    {
        ConfigNode node = _root;
        for (int i = 0; i < segments.Length; i++)
        {
            if (node is ConfigScalar { Kind: ScalarKind.String } s && s.Text.Contains("${", StringComparison.Ordinal) && !_resolvedNodes.Contains(node))
                node = ResolveAt(segments[..i], string.Join('.', segments[..i]))!;
            var child = ConfigPath.Child(node, segments[i]);
            if (child is null) return (null, false);
            node = child;
        }
        return (node, _resolvedNodes.Contains(node));
    }

    ConfigNode Evaluate(ConfigScalar scalar, string[] segments, string path)
    {
        List<Part> parts;
        try { int i = 0; parts = ParseTemplate(scalar.Text, ref i, ""); }
        catch (FormatException e) { throw new ConfigException($"{scalar.Mark}: {path}: bad interpolation \"{scalar.Text}\": {e.Message}"); }
        var ctx = new Context(scalar, segments, path);
        return EvaluateTemplate(parts, ctx, keepType: true);
    }

    readonly record struct Context(ConfigScalar Holder, string[] Segments, string Path);

    abstract record Part;
    sealed record Literal(string Text) : Part;
    sealed record Reference(List<Part> Key, string Source) : Part;
    sealed record ResolverCall(string Name, List<List<Part>> Args, string Source) : Part;

    // Parses text up to (not including) an unnested character in stopChars.
    static List<Part> ParseTemplate(string s, ref int i, string stopChars)
    {
        var parts = new List<Part>();
        var text = new StringBuilder();
        while (i < s.Length && stopChars.IndexOf(s[i]) < 0)
        {
            if (s[i] == '\\' && i + 2 < s.Length && s[i + 1] == '$' && s[i + 2] == '{') { text.Append("${"); i += 3; continue; }
            if (s[i] == '$' && i + 1 < s.Length && s[i + 1] == '{')
            {
                if (text.Length > 0) { parts.Add(new Literal(text.ToString())); text.Clear(); }
                parts.Add(ParseInterpolation(s, ref i));
                continue;
            }
            text.Append(s[i++]);
        }
        if (text.Length > 0) parts.Add(new Literal(text.ToString()));
        return parts;
    }

    static Part ParseInterpolation(string s, ref int i)
    {
        int start = i;
        i += 2;
        var head = ParseTemplate(s, ref i, ":}");
        if (i >= s.Length) throw new FormatException($"unclosed \"${{\" at position {start}");
        if (s[i] == '}') { i++; return new Reference(head, s[start..i]); }
        if (head.Count != 1 || head[0] is not Literal name) throw new FormatException("a resolver name must be plain text");
        i++; // ':'
        var args = new List<List<Part>>();
        while (true)
        {
            args.Add(ParseTemplate(s, ref i, ",}"));
            if (i >= s.Length) throw new FormatException($"unclosed \"${{\" at position {start}");
            if (s[i++] == '}') break;
        }
        return new ResolverCall(name.Text.Trim(), args, s[start..i]);
    }

    ConfigNode EvaluateTemplate(List<Part> parts, Context ctx, bool keepType)
    {
        if (parts.Count == 1 && parts[0] is not Literal) return EvaluatePart(parts[0], ctx);
        if (!keepType && parts.All(p => p is Literal)) return ConfigScalar.Plain(string.Concat(parts.Select(p => ((Literal)p).Text)).Trim(), ctx.Holder.Mark);
        var sb = new StringBuilder();
        foreach (var part in parts)
        {
            if (part is Literal l) { sb.Append(l.Text); continue; }
            var value = EvaluatePart(part, ctx);
            if (value is not ConfigScalar sv)
                throw new ConfigException($"{ctx.Holder.Mark}: {ctx.Path}: {Source(part)} is a {(value is ConfigMapping ? "mapping" : "list")} and cannot be part of a string");
            sb.Append(sv.Kind == ScalarKind.Null ? "null" : sv.Text);
        }
        return ConfigScalar.String(sb.ToString(), ctx.Holder.Mark);
    }

    static string Source(Part p) => p switch { Reference r => r.Source, ResolverCall c => c.Source, Literal l => l.Text, _ => "" };

    ConfigNode EvaluatePart(Part part, Context ctx)
    {
        if (part is ResolverCall call)
        {
            var args = call.Args.Select(a => EvaluateTemplate(a, ctx, keepType: false)).ToArray();
            return ConfigResolvers.Invoke(call.Name, args, ctx.Holder.Mark, ctx.Path, call.Source);
        }
        var reference = (Reference)part;
        var keyNode = EvaluateTemplate(reference.Key, ctx, keepType: false);
        if (keyNode is not ConfigScalar k)
            throw new ConfigException($"{ctx.Holder.Mark}: {ctx.Path}: the key in {reference.Source} is {ConfigResolvers.Describe(keyNode)}, not text");
        string key = (k.Kind == ScalarKind.Null ? "" : k.Text).Trim();
        string[] target;
        if (key.StartsWith('.'))
        {
            int dots = key.TakeWhile(c => c == '.').Count();
            int up = ctx.Segments.Length - dots; // one dot: the holder's own container
            if (up < 0) throw new ConfigException($"{ctx.Holder.Mark}: {ctx.Path}: {reference.Source} goes above the top of the config");
            target = [.. ctx.Segments[..up], .. key.Length > dots ? ConfigPath.Split(key[dots..]) : []];
        }
        else
        {
            if (key.Length == 0) throw new ConfigException($"{ctx.Holder.Mark}: {ctx.Path}: empty interpolation {reference.Source}");
            target = ConfigPath.Split(key);
        }
        string targetPath = string.Join('.', target);
        var node = ResolveAt(target, targetPath)
            ?? throw new ConfigException($"{ctx.Holder.Mark}: {ctx.Path}: interpolation {reference.Source} refers to a missing key {targetPath}");
        return node.DeepClone();
    }
}
