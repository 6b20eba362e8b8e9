using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// Builds an optimizer from a tiny-cuda-nn style JSON object ("otype" plus its keys; wrappers take "nested"), e.g.
/// instant-ngp's {"otype": "Ema", "decay": 0.95, "nested": {"otype": "ExponentialDecay", ..., "nested": {"otype":
/// "Adam", ...}}}. otype is case-insensitive and defaults to "Adam" when absent, as in tiny-cuda-nn.
/// </summary>
public static class OptimizerFactory
{
    /// <summary>The otypes this factory knows (case-insensitive).</summary>
    public static IReadOnlyList<string> KnownOtypes { get; } = ["Adam", "SGD", "EMA", "ExponentialDecay"];

    public static Optimizer<T> Create<T>(Backend backend, JsonConfig config) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(backend);
        string otype = config.String("otype", "Adam");
        switch (otype.ToLowerInvariant())
        {
            case "adam": return new Adam<T>(backend, config);
            case "sgd": return new Sgd<T>(backend, config);
            case "ema": return WithNested<T>(backend, config, nested => new Ema<T>(backend, nested, config));
            case "exponentialdecay": return WithNested<T>(backend, config, nested => new ExponentialDecay<T>(backend, nested, config));
            default: throw config.UnknownOtype("optimizer", KnownOtypes);
        }
    }

    /// <summary>Parses JSON text (source names it in errors) and builds the optimizer.</summary>
    public static Optimizer<T> Create<T>(Backend backend, string json, string source) where T : unmanaged, IFloatingPointIeee754<T> =>
        Create<T>(backend, JsonConfig.Parse(json, source));

    static Optimizer<T> WithNested<T>(Backend backend, JsonConfig config, Func<Optimizer<T>, Optimizer<T>> wrap)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var nested = Create<T>(backend, config.Object("nested"));
        try { return wrap(nested); }
        catch { nested.Dispose(); throw; }
    }
}
