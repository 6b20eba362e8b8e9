namespace NgpSharp.Config;

/// <summary>The key must be present in the config (also implied by C#'s <c>required</c> modifier).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RequiredAttribute : Attribute;

/// <summary>An inclusive numeric range for a config value (for lists: every element).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class RangeAttribute(double min, double max) : Attribute
{
    public double Min { get; } = min;
    public double Max { get; } = max;
}

/// <summary>The config key of a property or enum member when it is not the snake_case of its name.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ConfigKeyAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Other keys accepted for a property or enum member (for example instant-nsr-pl's names); never written.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ConfigAliasAttribute(params string[] names) : Attribute
{
    public string[] Names { get; } = names;
}

/// <summary>The property is not part of the config (neither read nor written).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ConfigIgnoreAttribute : Attribute;
