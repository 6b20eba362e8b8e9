using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;

namespace NgpSharp.Config;

/// <summary>
/// Binds a resolved config tree to settings records/classes by key (snake_case ↔ PascalCase, case- and
/// underscore-insensitive), validating as it goes: unknown keys (with a "did you mean" from the schema), wrong
/// types, missing required keys, <see cref="RangeAttribute"/> ranges. Defaults come from the record definitions:
/// a nested record given in part starts from the parent's default value (cloned), then the given keys replace.
/// Supported: settable or init-only properties; nested records; arrays, List/IList/IReadOnlyList; string-keyed
/// dictionaries; enums (case-insensitive, snake_case accepted); all integer and float types; bool; string;
/// nullable types; <see cref="JsonObject"/>/<see cref="JsonNode"/> (tiny-cuda-nn sections passed on as JSON);
/// <see cref="ConfigNode"/> (raw).
/// </summary>
public static class ConfigBinder
{
    public static T Bind<T>(ConfigMapping tree) where T : class => (T)Bind(typeof(T), tree)!;

    public static object? Bind(Type type, ConfigNode node) => BindValue(type, node, "", current: null, nullable: false);

    static object BindObject(Type type, ConfigMapping map, string path, object? current)
    {
        object instance = current is not null && CloneRecord(current) is { } clone ? clone : Create(type, map, path);
        var props = ConfigSchema.For(type);
        var given = new HashSet<ConfigProperty>();
        foreach (var (key, value) in map.Entries)
        {
            string keyPath = ConfigPath.Join(path, key);
            string norm = ConfigNaming.Normalize(key);
            var prop = props.FirstOrDefault(p => p.NormalizedNames.Contains(norm));
            if (prop is null) throw UnknownKey(value.Mark, path, key, props);
            if (!given.Add(prop)) throw new ConfigException($"{value.Mark}: {keyPath}: given twice (as {prop.Key} and as {key})");
            if (value is ConfigScalar { IsMissingMarker: true })
                throw new ConfigException($"{value.Mark}: {keyPath}: mandatory value missing (???); set it, for example with {keyPath}=...");
            object? cur = prop.Info.GetValue(instance);
            object? v = BindValue(prop.Info.PropertyType, value, keyPath, cur, prop.NullableReference);
            CheckRange(prop, v, keyPath, value.Mark);
            prop.Info.SetValue(instance, v);
        }
        foreach (var prop in props)
        {
            if (given.Contains(prop)) continue;
            string keyPath = ConfigPath.Join(path, prop.Key);
            object? v = prop.Info.GetValue(instance);
            // A nested section left out entirely is still validated (its own required keys and ranges).
            if (v is not null && ConfigSchema.IsSettingsObject(prop.Info.PropertyType) && !prop.Required)
            {
                v = BindObject(prop.Info.PropertyType, new ConfigMapping { Mark = map.Mark }, keyPath, v);
                prop.Info.SetValue(instance, v);
            }
            if (prop.Required || (v is null && !prop.NullableReference && !IsNullableValue(prop.Info.PropertyType)))
                throw new ConfigException($"{map.Mark}: {keyPath}: missing required key ({Expected(prop.Info.PropertyType)})");
            CheckRange(prop, v, keyPath, map.Mark);
        }
        return instance;
    }

    static object Create(Type type, ConfigNode node, string path)
    {
        if (type.IsAbstract || type.IsInterface) throw new ConfigException($"{node.Mark}: {path}: cannot create abstract type {type.Name}");
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new InvalidOperationException($"{type.Name} (config {(path.Length == 0 ? "root" : path)}) needs a public parameterless constructor; put defaults in property initialisers");
        return Activator.CreateInstance(type)!;
    }

    static object? CloneRecord(object value) =>
        value.GetType().GetMethod("<Clone>$", BindingFlags.Public | BindingFlags.Instance, Type.EmptyTypes)?.Invoke(value, null);

    static ConfigException UnknownKey(ConfigMark mark, string path, string key, IReadOnlyList<ConfigProperty> props)
    {
        string keyPath = ConfigPath.Join(path, key);
        var suggestion = ConfigNaming.ClosestMatch(key, props.Select(p => p.Key));
        string hint = suggestion is not null
            ? $"did you mean {ConfigPath.Join(path, suggestion)}?"
            : props.Count == 0 ? "this section has no keys" : $"valid keys: {string.Join(", ", props.Select(p => p.Key))}";
        return new ConfigException($"{mark}: {keyPath}: unknown key ({hint})");
    }

    static bool IsNullableValue(Type t) => Nullable.GetUnderlyingType(t) is not null;

    static void CheckRange(ConfigProperty prop, object? value, string path, ConfigMark mark)
    {
        if (prop.Range is not { } r || value is null) return;
        IEnumerable<object?> values = value is IEnumerable e and not string ? e.Cast<object?>() : [value];
        foreach (var v in values)
        {
            if (v is null) continue;
            double d = System.Convert.ToDouble(v, CultureInfo.InvariantCulture);
            if (!(d >= r.Min && d <= r.Max))
                throw new ConfigException($"{mark}: {path}: {ConfigWriter.FormatDouble(d)} is out of range [{ConfigWriter.FormatDouble(r.Min)}, {ConfigWriter.FormatDouble(r.Max)}]");
        }
    }

    static object? BindValue(Type type, ConfigNode node, string path, object? current, bool nullable)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (node is ConfigScalar { Kind: ScalarKind.Null })
        {
            if (underlying is not null || nullable || type == typeof(ConfigNode)) return type == typeof(ConfigNode) ? node.DeepClone() : null;
            throw WrongType(node, path, type);
        }
        if (underlying is not null) type = underlying;
        if (typeof(ConfigNode).IsAssignableFrom(type))
            return type.IsInstanceOfType(node) ? node.DeepClone() : throw WrongType(node, path, type);
        if (typeof(JsonNode).IsAssignableFrom(type))
        {
            var json = ToJson(node);
            return type.IsInstanceOfType(json) ? json : throw WrongType(node, path, type);
        }
        if (node is ConfigScalar s) return BindScalar(type, s, path);
        if (type.IsArray || IsListType(type)) return BindList(type, node, path);
        if (IsDictionaryType(type, out var valueType)) return BindDictionary(type, valueType!, node, path);
        if (ConfigSchema.IsSettingsObject(type) && node is ConfigMapping map) return BindObject(type, map, path, current);
        throw WrongType(node, path, type);
    }

    static object BindScalar(Type type, ConfigScalar s, string path)
    {
        if (type == typeof(string) || type == typeof(object)) return s.Text;
        if (type == typeof(bool))
            return s.Kind == ScalarKind.Bool ? s.Text.Equals("true", StringComparison.OrdinalIgnoreCase) : throw WrongType(s, path, type);
        if (type.IsEnum) return BindEnum(type, s, path);
        switch (Type.GetTypeCode(type))
        {
            case TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64:
            {
                decimal value;
                if (s.TryGetInt64(out long l)) value = l;
                else if (s.Kind == ScalarKind.Int && decimal.TryParse(s.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big)) value = big;
                else if (s.Kind == ScalarKind.Float && s.TryGetDouble(out double d) && double.IsFinite(d) && d == Math.Floor(d) && Math.Abs(d) < 7.9e28) value = (decimal)d;
                else throw WrongType(s, path, type);
                try { return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture); }
                catch (OverflowException) { throw new ConfigException($"{s.Mark}: {path}: {s.Text} does not fit {type.Name} ({Expected(type)})"); }
            }
            case TypeCode.Single or TypeCode.Double or TypeCode.Decimal:
            {
                if (!s.TryGetDouble(out double d)) throw WrongType(s, path, type);
                if (type == typeof(float)) return s.Kind == ScalarKind.Float ? float.Parse(NumberText(s), CultureInfo.InvariantCulture) : (float)d;
                if (type == typeof(decimal)) return (decimal)d;
                return d;
            }
        }
        throw WrongType(s, path, type);
    }

    // float.Parse of the text itself (not via double) so "0.1" gives the nearest float, not the double rounded again.
    static string NumberText(ConfigScalar s) => s.Text.TrimStart('+').ToLowerInvariant() switch
    {
        ".inf" => "Infinity", "-.inf" => "-Infinity", ".nan" => "NaN", var t => t,
    };

    static object BindEnum(Type type, ConfigScalar s, string path)
    {
        string norm = ConfigNaming.Normalize(s.Text);
        foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var names = new[] { f.Name, f.GetCustomAttribute<ConfigKeyAttribute>()?.Name ?? "" }
                .Concat(f.GetCustomAttribute<ConfigAliasAttribute>()?.Names ?? []);
            if (names.Any(n => n.Length > 0 && ConfigNaming.Normalize(n) == norm)) return f.GetValue(null)!;
        }
        throw WrongType(s, path, type);
    }

    static bool IsListType(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() is var g
        && (g == typeof(List<>) || g == typeof(IList<>) || g == typeof(IReadOnlyList<>) || g == typeof(ICollection<>) || g == typeof(IReadOnlyCollection<>) || g == typeof(IEnumerable<>));

    static bool IsDictionaryType(Type t, out Type? valueType)
    {
        valueType = null;
        if (!t.IsGenericType) return false;
        var g = t.GetGenericTypeDefinition();
        if (g != typeof(Dictionary<,>) && g != typeof(IDictionary<,>) && g != typeof(IReadOnlyDictionary<,>)) return false;
        var args = t.GetGenericArguments();
        if (args[0] != typeof(string)) return false;
        valueType = args[1];
        return true;
    }

    static object BindList(Type type, ConfigNode node, string path)
    {
        if (node is not ConfigSequence seq) throw WrongType(node, path, type);
        var elementType = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
        bool elementNullable = !elementType.IsValueType; // element nullability is not in reflection metadata; allow null for reference elements
        var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(elementType))!;
        for (int i = 0; i < seq.Items.Count; i++)
            list.Add(BindValue(elementType, seq.Items[i], $"{path}[{i}]", null, elementNullable));
        if (!type.IsArray) return list;
        var array = Array.CreateInstance(elementType, list.Count);
        list.CopyTo(array, 0);
        return array;
    }

    static object BindDictionary(Type type, Type valueType, ConfigNode node, string path)
    {
        if (node is not ConfigMapping map) throw WrongType(node, path, type);
        var dict = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(typeof(string), valueType))!;
        foreach (var (k, v) in map.Entries) dict[k] = BindValue(valueType, v, ConfigPath.Join(path, k), null, !valueType.IsValueType);
        return dict;
    }

    /// <summary>The tree as JSON (numbers, bools and null typed as in YAML).</summary>
    public static JsonNode? ToJson(ConfigNode node) => node switch
    {
        ConfigMapping m => new JsonObject(m.Entries.Select(e => KeyValuePair.Create(e.Key, ToJson(e.Value)))),
        ConfigSequence s => new JsonArray([.. s.Items.Select(ToJson)]),
        ConfigScalar { Kind: ScalarKind.Null } => null,
        ConfigScalar { Kind: ScalarKind.Bool } b => JsonValue.Create(b.Text.Equals("true", StringComparison.OrdinalIgnoreCase)),
        // Numbers go through the JSON parser so readers can take them as any numeric type (int, float, ...).
        ConfigScalar { Kind: ScalarKind.Int } i when i.TryGetInt64(out long l) => JsonNode.Parse(l.ToString(CultureInfo.InvariantCulture)),
        ConfigScalar { Kind: ScalarKind.Int or ScalarKind.Float } f when f.TryGetDouble(out double d) && double.IsFinite(d) => JsonNode.Parse(d.ToString("R", CultureInfo.InvariantCulture)),
        ConfigScalar sc => JsonValue.Create(sc.Text),
        _ => null,
    };

    static ConfigException WrongType(ConfigNode node, string path, Type type) =>
        new($"{node.Mark}: {(path.Length == 0 ? "config" : path)}: expected {Expected(type)}, got {ConfigResolvers.Describe(node)}");

    /// <summary>"an integer (Int32)", "a number (Single)", "true or false", "one of a, b", "a list of ...".</summary>
    public static string Expected(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } u) return Expected(u) + " or null";
        if (type == typeof(string)) return "a string";
        if (type == typeof(bool)) return "true or false";
        if (type.IsEnum) return "one of " + string.Join(", ", Enum.GetNames(type).Select(ConfigNaming.ToSnakeCase));
        switch (Type.GetTypeCode(type))
        {
            case TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 or TypeCode.UInt32 or TypeCode.Int64 or TypeCode.UInt64:
                return $"an integer ({type.Name})";
            case TypeCode.Single or TypeCode.Double or TypeCode.Decimal:
                return $"a number ({type.Name})";
        }
        if (type.IsArray) return $"a list of {Expected(type.GetElementType()!)}";
        if (IsListType(type)) return $"a list of {Expected(type.GetGenericArguments()[0])}";
        if (IsDictionaryType(type, out var v)) return $"a mapping of {Expected(v!)}";
        return $"a mapping ({type.Name})";
    }
}
