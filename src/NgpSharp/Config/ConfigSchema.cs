using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace NgpSharp.Config;

/// <summary>One bindable property of a settings type: its config key, accepted spellings and validation.</summary>
public sealed record ConfigProperty(PropertyInfo Info, string Key, string[] NormalizedNames, bool Required, bool NullableReference, RangeAttribute? Range);

/// <summary>The bindable properties of a settings class or record (public, settable or init-only), in declaration order.</summary>
public static class ConfigSchema
{
    static readonly ConcurrentDictionary<Type, IReadOnlyList<ConfigProperty>> Cache = new();
    static readonly NullabilityInfoContext Nullability = new();
    static readonly Lock NullabilityLock = new();

    public static IReadOnlyList<ConfigProperty> For(Type type) => Cache.GetOrAdd(type, Build);

    static IReadOnlyList<ConfigProperty> Build(Type type)
    {
        var result = new List<ConfigProperty>();
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.MetadataToken))
        {
            if (p.SetMethod is not { IsPublic: true } || p.GetIndexParameters().Length > 0) continue;
            if (p.IsDefined(typeof(ConfigIgnoreAttribute)) || p.Name == "EqualityContract") continue;
            string key = p.GetCustomAttribute<ConfigKeyAttribute>()?.Name ?? ConfigNaming.ToSnakeCase(p.Name);
            var names = new[] { key, p.Name }.Concat(p.GetCustomAttribute<ConfigAliasAttribute>()?.Names ?? [])
                .Select(ConfigNaming.Normalize).Distinct().ToArray();
            bool required = p.IsDefined(typeof(RequiredAttribute)) || p.IsDefined(typeof(RequiredMemberAttribute));
            bool nullableRef = false;
            if (!p.PropertyType.IsValueType)
                lock (NullabilityLock) nullableRef = Nullability.Create(p).WriteState != NullabilityState.NotNull;
            result.Add(new ConfigProperty(p, key, names, required, nullableRef, p.GetCustomAttribute<RangeAttribute>()));
        }
        var clash = result.SelectMany(r => r.NormalizedNames.Select(n => (n, r.Key))).GroupBy(x => x.n).FirstOrDefault(g => g.Select(x => x.Key).Distinct().Count() > 1);
        if (clash is not null) throw new InvalidOperationException($"{type.Name}: config keys {string.Join(" and ", clash.Select(x => x.Key).Distinct())} are the same after normalisation");
        return result;
    }

    /// <summary>Is this type bound as a nested mapping of properties (a settings class or record)?</summary>
    public static bool IsSettingsObject(Type t) =>
        t.IsClass && t != typeof(string) && !t.IsArray && !typeof(System.Collections.IEnumerable).IsAssignableFrom(t)
        && !typeof(ConfigNode).IsAssignableFrom(t) && !typeof(System.Text.Json.Nodes.JsonNode).IsAssignableFrom(t) && t != typeof(object);
}
