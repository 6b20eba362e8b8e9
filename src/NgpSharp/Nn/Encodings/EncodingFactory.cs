using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// Creates encodings from tiny-cuda-nn style JSON (<c>{"otype": "HashGrid", ...}</c>). otype names are
/// tiny-cuda-nn's and match case-insensitively; aliases map to the same factory.
/// </summary>
public static class EncodingFactory
{
    delegate Encoding<T> Factory<T>(Backend backend, int inputDims, JsonConfig config) where T : unmanaged, IFloatingPointIeee754<T>;

    /// <summary>The registry for one element type (name → factory, case-insensitive).</summary>
    static class Registry<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static readonly Dictionary<string, Factory<T>> Factories = new(StringComparer.OrdinalIgnoreCase)
        {
            ["Identity"] = Identity<T>.FromJson,
            ["Frequency"] = Frequency<T>.FromJson,
            ["SphericalHarmonics"] = SphericalHarmonics<T>.FromJson,
            ["OneBlob"] = OneBlob<T>.FromJson,
            ["TriangleWave"] = TriangleWave<T>.FromJson,
            ["Composite"] = Composite<T>.FromJson,
            ["OneBlobFrequency"] = NeuralRadianceCache<T>,
            ["NRC"] = NeuralRadianceCache<T>,
            ["Grid"] = HashGrid<T>.FromJson,
            ["HashGrid"] = HashGrid<T>.FromJson,
            ["DenseGrid"] = HashGrid<T>.FromJson,
            ["TiledGrid"] = HashGrid<T>.FromJson,
        };
    }

    /// <summary>The otype names (and aliases) <see cref="Create{T}"/> accepts.</summary>
    public static IReadOnlyCollection<string> KnownOtypes => Registry<float>.Factories.Keys;

    /// <summary>
    /// The encoding named by <c>config.otype</c> for <paramref name="inputDims"/> input dims.
    /// Throws <see cref="ConfigException"/> (naming the key) for an unknown otype or bad settings.
    /// </summary>
    public static Encoding<T> Create<T>(Backend backend, int inputDims, JsonConfig config) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (inputDims < 1) throw new ConfigException($"{Where(config)}: an encoding needs at least one input dimension, got {inputDims}");
        if (!Registry<T>.Factories.TryGetValue(config.Otype, out var factory))
            throw config.UnknownOtype("encoding", Registry<T>.Factories.Keys);
        return factory(backend, inputDims, config);
    }

    /// <summary>
    /// tiny-cuda-nn's "OneBlobFrequency" / "NRC" preset (neural radiance caching): TriangleWave (n_frequencies,
    /// default 12) on the first 3 dims, OneBlob (n_bins, default 4) on the next 5, Identity on the rest.
    /// </summary>
    static Encoding<T> NeuralRadianceCache<T>(Backend backend, int inputDims, JsonConfig config) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var composite = new JsonObject
        {
            ["otype"] = "Composite",
            ["nested"] = new JsonArray
            {
                new JsonObject { ["n_dims_to_encode"] = 3, ["otype"] = "TriangleWave", ["n_frequencies"] = config.Int("n_frequencies", 12) },
                new JsonObject { ["n_dims_to_encode"] = 5, ["otype"] = "OneBlob", ["n_bins"] = config.Int("n_bins", 4) },
                new JsonObject { ["otype"] = "Identity" },
            },
        };
        return Composite<T>.FromJson(backend, inputDims, JsonConfig.From(composite, config.Path));
    }

    static string Where(JsonConfig config) => config.Path.Length == 0 ? "encoding" : config.Path;
}
