using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace NgpSharp.Config;

/// <summary>
/// instant-nsr-pl style configuration: a YAML file → dotted overrides (<c>trainer.max_steps=20000</c>) →
/// <c>${...}</c> interpolation → typed, validated settings (<see cref="ConfigBinder"/>) → <c>parsed.yaml</c>
/// (<see cref="ConfigWriter"/>). Errors name the file, line/column and key path.
/// </summary>
public static class YamlConfig
{
    /// <summary>
    /// The whole pipeline: loads <paramref name="file"/>, applies <paramref name="overrides"/> ("a.b=value"),
    /// resolves interpolations and binds the result to <typeparamref name="T"/>.
    /// </summary>
    public static T Load<T>(string file, IEnumerable<string>? overrides = null) where T : class =>
        ConfigBinder.Bind<T>(LoadTree(file, overrides));

    /// <summary>Loads, overrides and resolves into a plain tree (no binding).</summary>
    public static ConfigMapping LoadTree(string file, IEnumerable<string>? overrides = null)
    {
        var root = LoadFile(file);
        if (overrides is not null) ApplyOverrides(root, overrides);
        return ConfigInterpolation.Resolve(root);
    }

    /// <summary>Reads a YAML file into a tree (interpolations left as written).</summary>
    public static ConfigMapping LoadFile(string file)
    {
        if (!File.Exists(file)) throw new ConfigException($"{file}: config file not found");
        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>Parses YAML text; <paramref name="source"/> (a file name) goes into marks and error messages.</summary>
    public static ConfigMapping Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            CheckDepth(yaml, source);
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e) { throw new ConfigException($"{source}:{e.Start.Line}:{e.Start.Column}: invalid YAML: {InnermostMessage(e)}", e); }
        // YamlDotNet 16 throws this (without a position) for some malformed input, e.g. an unclosed flow list.
        catch (InvalidOperationException e) { throw new ConfigException($"{source}: invalid YAML (an unclosed [ or {{ ?): {e.Message}", e); }
        // ... and this for a stray event, e.g. a document marker inside a mapping ("The current event is of an unsupported type").
        catch (ArgumentException e) { throw new ConfigException($"{source}: invalid YAML: {e.Message}", e); }
        if (stream.Documents.Count == 0) return new ConfigMapping { Mark = new(source, 1, 1) };
        if (stream.Documents.Count > 1) throw new ConfigException($"{source}: expected one YAML document, found {stream.Documents.Count}");
        var root = Convert(stream.Documents[0].RootNode, source, "");
        return root switch
        {
            ConfigMapping m => m,
            ConfigScalar { Kind: ScalarKind.Null } => new ConfigMapping { Mark = root.Mark },
            _ => throw new ConfigException($"{root.Mark}: expected a mapping (key: value) at the top level"),
        };
    }

    /// <summary>Deepest nesting of mappings and sequences accepted (YamlStream loads recursively: deeper input overflows the stack).</summary>
    public const int MaxDepth = 64;

    /// <summary>Walks the parser's events (no recursion) and refuses nesting deeper than <see cref="MaxDepth"/>.</summary>
    static void CheckDepth(string yaml, string source)
    {
        var parser = new Parser(new StringReader(yaml));
        int depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case MappingStart or SequenceStart:
                    if (++depth > MaxDepth)
                        throw new ConfigException($"{source}:{parser.Current.Start.Line}:{parser.Current.Start.Column}: nesting deeper than {MaxDepth} levels");
                    break;
                case MappingEnd or SequenceEnd:
                    depth--;
                    break;
            }
        }
    }

    static string InnermostMessage(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e.Message;
    }

    static ConfigNode Convert(YamlNode node, string source, string path)
    {
        var mark = new ConfigMark(source, (int)node.Start.Line, (int)node.Start.Column);
        switch (node)
        {
            case YamlScalarNode s:
                string text = s.Value ?? "";
                bool isString = s.Style is not ScalarStyle.Plain and not ScalarStyle.Any || (!s.Tag.IsEmpty && s.Tag.Value == "tag:yaml.org,2002:str");
                return isString ? ConfigScalar.String(text, mark) : ConfigScalar.Plain(text, mark);
            case YamlSequenceNode seq:
                var list = new ConfigSequence { Mark = mark };
                int i = 0;
                foreach (var item in seq.Children) list.Items.Add(Convert(item, source, ConfigPath.Join(path, (i++).ToString(CultureInfo.InvariantCulture))));
                return list;
            case YamlMappingNode map:
                var m = new ConfigMapping { Mark = mark };
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key })
                        throw new ConfigException($"{source}:{k.Start.Line}:{k.Start.Column}: {(path.Length == 0 ? "" : path + ": ")}mapping keys must be scalars");
                    if (key == "<<") throw new ConfigException($"{source}:{k.Start.Line}:{k.Start.Column}: {path}: YAML merge keys (<<) are not supported");
                    if (m.ContainsKey(key)) throw new ConfigException($"{source}:{k.Start.Line}:{k.Start.Column}: {ConfigPath.Join(path, key)}: duplicate key");
                    m[key] = Convert(v, source, ConfigPath.Join(path, key));
                }
                return m;
            default:
                throw new ConfigException($"{mark}: {path}: unsupported YAML node {node.NodeType}");
        }
    }

    /// <summary>Applies command-line overrides in order: each is "dotted.key=value" (a leading '+' is allowed).</summary>
    public static void ApplyOverrides(ConfigMapping root, IEnumerable<string> overrides)
    {
        foreach (var o in overrides) ApplyOverride(root, o);
    }

    /// <summary>
    /// Sets <c>key=value</c>; the value is a YAML scalar (int, float, bool, null, string — quotes make a string) or a
    /// flow list/map (<c>[1,2]</c>, <c>{a: 1}</c>); "" when empty. Missing mappings along the path are created
    /// (whether a key may exist at all is checked by the binder against the schema, naming this override).
    /// </summary>
    public static void ApplyOverride(ConfigMapping root, string assignment)
    {
        int eq = assignment.IndexOf('=');
        if (eq <= 0) throw new ConfigException($"override '{assignment}': expected key=value (for example trainer.max_steps=20000)");
        string key = assignment[..eq].Trim().TrimStart('+');
        var mark = new ConfigMark($"override '{assignment}'");
        SetPath(root, key, ParseValue(assignment[(eq + 1)..], mark), mark);
    }

    /// <summary>Parses an override's value text as a YAML value (see <see cref="ApplyOverride"/>).</summary>
    public static ConfigNode ParseValue(string text, ConfigMark mark)
    {
        string t = text.Trim();
        if (t.Length == 0) return ConfigScalar.String("", mark);
        if (t[0] is '[' or '{' or '"' or '\'')
        {
            var stream = new YamlStream();
            try { stream.Load(new StringReader(t)); }
            catch (YamlException e) { throw new ConfigException($"{mark}: invalid value: {InnermostMessage(e)}", e); }
            catch (InvalidOperationException e) { throw new ConfigException($"{mark}: invalid value (an unclosed [ or {{ ?)", e); }
            return Remark(Convert(stream.Documents[0].RootNode, mark.Source, ""), mark);
        }
        return ConfigScalar.Plain(t, mark);
    }

    // Values parsed from an override carry the override as their origin, not "line 1" of a one-line document.
    static ConfigNode Remark(ConfigNode node, ConfigMark mark)
    {
        switch (node)
        {
            case ConfigScalar s: return new ConfigScalar(s.Text, s.Kind) { Mark = mark };
            case ConfigSequence q:
                var nq = new ConfigSequence { Mark = mark };
                foreach (var item in q.Items) nq.Items.Add(Remark(item, mark));
                return nq;
            case ConfigMapping m:
                var nm = new ConfigMapping { Mark = mark };
                foreach (var (k, v) in m.Entries) nm[k] = Remark(v, mark);
                return nm;
            default: return node;
        }
    }

    /// <summary>Sets the node at a dotted path, creating mappings on the way; sequence elements must exist.</summary>
    public static void SetPath(ConfigMapping root, string path, ConfigNode value, ConfigMark origin)
    {
        var segments = ConfigPath.Split(path);
        ConfigNode node = root;
        string done = "";
        for (int i = 0; i < segments.Length; i++)
        {
            string seg = segments[i];
            bool last = i == segments.Length - 1;
            switch (node)
            {
                case ConfigMapping m:
                    if (last) { m[seg] = value; return; }
                    var child = m[seg];
                    if (child is null or ConfigScalar { Kind: ScalarKind.Null }) { child = new ConfigMapping { Mark = origin }; m[seg] = child; }
                    node = child;
                    break;
                case ConfigSequence s:
                    if (!int.TryParse(seg, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= s.Items.Count)
                        throw new ConfigException($"{origin}: {ConfigPath.Join(done, seg)}: {done} is a list of {s.Items.Count} items; '{seg}' is not an index in it");
                    if (last) { s.Items[index] = value; return; }
                    node = s.Items[index];
                    break;
                default:
                    throw new ConfigException($"{origin}: {ConfigPath.Join(done, seg)}: {done} is a value ({node}), not a mapping");
            }
            done = ConfigPath.Join(done, seg);
        }
    }

    /// <summary>The node at a dotted path, or null.</summary>
    public static ConfigNode? GetPath(ConfigNode root, string path)
    {
        ConfigNode? node = root;
        foreach (var seg in ConfigPath.Split(path))
        {
            node = ConfigPath.Child(node, seg);
            if (node is null) return null;
        }
        return node;
    }
}
