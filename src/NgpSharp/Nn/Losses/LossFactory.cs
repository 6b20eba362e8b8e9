using System.Numerics;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>Creates losses from tiny-cuda-nn style JSON (<c>{"otype": "RelativeL2"}</c>); names match case-insensitively.</summary>
public static class LossFactory
{
    delegate Loss<T> Factory<T>(JsonConfig config) where T : unmanaged, IFloatingPointIeee754<T>;

    static class Registry<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly Dictionary<string, Factory<T>> Factories = new(StringComparer.OrdinalIgnoreCase)
        {
            ["L1"] = L1Loss<T>.FromJson,
            ["L2"] = L2Loss<T>.FromJson,
            ["RelativeL1"] = RelativeL1Loss<T>.FromJson,
            ["RelativeL2"] = RelativeL2Loss<T>.FromJson,
            ["MAPE"] = MapeLoss<T>.FromJson,
            ["SMAPE"] = SmapeLoss<T>.FromJson,
            ["Huber"] = HuberLoss<T>.FromJson,
            ["LogL1"] = LogL1Loss<T>.FromJson,
        };
    }

    /// <summary>The otype names <see cref="Create{T}"/> accepts.</summary>
    public static IReadOnlyCollection<string> KnownOtypes => Registry<float>.Factories.Keys;

    /// <summary>The loss named by <c>config.otype</c>; <see cref="ConfigException"/> for an unknown one, listing the known.</summary>
    public static Loss<T> Create<T>(JsonConfig config) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!Registry<T>.Factories.TryGetValue(config.Otype, out var factory)) throw config.UnknownOtype("loss", Registry<T>.Factories.Keys);
        return factory(config);
    }
}
