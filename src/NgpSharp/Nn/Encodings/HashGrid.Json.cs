using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

public sealed partial class HashGrid<T>
{
    /// <summary>The otype names (case-insensitive) and the grid type each implies when "type" is absent.</summary>
    static readonly (string Otype, GridType DefaultType)[] Otypes =
        [("Grid", GridType.Hash), ("HashGrid", GridType.Hash), ("DenseGrid", GridType.Dense), ("TiledGrid", GridType.Tiled)];

    /// <summary>Whether <paramref name="otype"/> names a grid encoding ("Grid", "HashGrid", "DenseGrid", "TiledGrid").</summary>
    public static bool IsGridOtype(string otype) => Otypes.Any(o => string.Equals(o.Otype, otype, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// A grid encoding from tiny-cuda-nn's JSON: otype "Grid" (with "type": "Hash" | "Dense" | "Tiled"), "HashGrid",
    /// "DenseGrid" or "TiledGrid"; n_levels (16) or n_features (= n_levels·F), n_features_per_level (2),
    /// log2_hashmap_size (19), base_resolution (16), per_level_scale (2.0), interpolation ("Linear" | "Nearest" |
    /// "Smoothstep"). Invalid values raise a <see cref="ConfigException"/> naming the key.
    /// </summary>
    public static HashGrid<T> FromJson(Backend backend, int inputDims, JsonConfig config)
    {
        string otype = config.String("otype", "Grid");
        var match = Otypes.FirstOrDefault(o => string.Equals(o.Otype, otype, StringComparison.OrdinalIgnoreCase));
        if (match.Otype is null) throw config.UnknownOtype("grid encoding", Otypes.Select(o => o.Otype));

        GridType type = match.DefaultType;
        if (config.Has("type"))
        {
            string name = config.RequireString("type");
            type = name.ToLowerInvariant() switch
            {
                "hash" => GridType.Hash,
                "dense" => GridType.Dense,
                "tiled" or "tile" => GridType.Tiled,
                _ => throw config.Error("type", $"unknown grid type \"{name}\" (known: Hash, Dense, Tiled)"),
            };
        }

        int features = config.Int("n_features_per_level", 2);
        int nLevels;
        if (config.Has("n_features"))
        {
            if (config.Has("n_levels")) throw config.Error("n_features", "may not be given together with n_levels (one determines the other)");
            int total = config.RequireInt("n_features");
            if (features is not (1 or 2 or 4 or 8)) throw config.Error("n_features_per_level", $"must be 1, 2, 4 or 8, got {features}");
            if (total < 1 || total % features != 0)
                throw config.Error("n_features", $"must be a positive multiple of n_features_per_level ({features}), got {total}");
            nLevels = total / features;
        }
        else nLevels = config.Int("n_levels", 16);

        string interpolationName = config.String("interpolation", "Linear");
        GridInterpolation interpolation = interpolationName.ToLowerInvariant() switch
        {
            "nearest" => GridInterpolation.Nearest,
            "linear" => GridInterpolation.Linear,
            "smoothstep" => GridInterpolation.Smoothstep,
            _ => throw config.Error("interpolation", $"unknown interpolation \"{interpolationName}\" (known: Nearest, Linear, Smoothstep)"),
        };
        if (config.Bool("stochastic_interpolation", false))
            throw config.Error("stochastic_interpolation", "stochastic interpolation is not supported; use false");

        int log2Size = config.Int("log2_hashmap_size", 19);
        int baseResolution = config.Int("base_resolution", 16);
        double perLevelScale = config.Double("per_level_scale", 2.0);
        Validate(inputDims, nLevels, features, log2Size, baseResolution, perLevelScale, type, (key, problem) => key == "n_input_dims"
            ? config.Error("otype", $"{otype}: {problem}")
            : config.Error(key, problem));
        return new HashGrid<T>(backend, inputDims, nLevels, features, log2Size, baseResolution, perLevelScale, type, interpolation);
    }

    /// <summary>The configuration in tiny-cuda-nn's JSON form (FromJson of it gives an equal grid).</summary>
    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = "Grid",
        ["type"] = Type.ToString(),
        ["n_levels"] = NLevels,
        ["n_features_per_level"] = FeaturesPerLevel,
        ["log2_hashmap_size"] = Log2HashmapSize,
        ["base_resolution"] = BaseResolution,
        ["per_level_scale"] = PerLevelScale,
        ["interpolation"] = Interpolation.ToString(),
    };
}
