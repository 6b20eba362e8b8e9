using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn.Encodings;
using NgpSharp.Nn.Networks;

namespace NgpSharp.Nn;

public sealed partial class NerfNetwork<T>
{
    /// <summary>Finest grid resolution over the unit cube for aabb_scale 1 (instant-ngp's desired_resolution).</summary>
    public const double FinestResolutionPerAabbScale = 2048;

    /// <summary>Defaults of the "encoding" block: the paper's NeRF grid (L=16, F=2, log2T=19, N_min=16).</summary>
    static JsonObject DefaultEncoding() => new()
    {
        ["otype"] = "HashGrid", ["n_levels"] = 16, ["n_features_per_level"] = 2, ["log2_hashmap_size"] = 19, ["base_resolution"] = 16,
    };

    /// <summary>Defaults of the "network" block (density MLP): 64 neurons, 1 hidden layer, 16 outputs.</summary>
    static JsonObject DefaultDensityNetwork() => new()
    {
        ["otype"] = "FullyFusedMLP", ["activation"] = "ReLU", ["output_activation"] = "None", ["n_neurons"] = 64, ["n_hidden_layers"] = 1, ["n_output_dims"] = 16,
    };

    /// <summary>Defaults of the "dir_encoding" block: spherical harmonics of degree 4 (16 outputs).</summary>
    static JsonObject DefaultDirectionEncoding() => new() { ["otype"] = "SphericalHarmonics", ["degree"] = 4 };

    /// <summary>Defaults of the "rgb_network" block (colour MLP): 64 neurons, 2 hidden layers, 3 outputs.</summary>
    static JsonObject DefaultColourNetwork() => new()
    {
        ["otype"] = "FullyFusedMLP", ["activation"] = "ReLU", ["output_activation"] = "None", ["n_neurons"] = 64, ["n_hidden_layers"] = 2,
    };

    /// <summary>
    /// instant-ngp's per-level growth for a NeRF grid: b = exp(ln(2048·aabbScale / N_min) / (L − 1)), so the finest
    /// level has 2048·aabbScale cells across the box. 1 for a single level.
    /// </summary>
    public static double PerLevelScaleFor(int aabbScale, int baseResolution, int nLevels)
    {
        if (aabbScale < 1) throw new ArgumentOutOfRangeException(nameof(aabbScale), aabbScale, "aabb_scale must be ≥ 1");
        if (baseResolution < 1) throw new ArgumentOutOfRangeException(nameof(baseResolution), baseResolution, "base_resolution must be ≥ 1");
        if (nLevels < 1) throw new ArgumentOutOfRangeException(nameof(nLevels), nLevels, "n_levels must be ≥ 1");
        return nLevels == 1 ? 1.0 : Math.Exp(Math.Log(FinestResolutionPerAabbScale * aabbScale / baseResolution) / (nLevels - 1));
    }

    /// <summary>
    /// A NeRF network from instant-ngp's config blocks (configs/nerf/base.json): "encoding" (position; grid keys,
    /// default HashGrid L=16, F=2, log2_hashmap_size=19, base_resolution=16, per_level_scale from
    /// <see cref="PerLevelScaleFor"/> when absent or ≤ 0, as instant-ngp), "network" (density MLP; default
    /// FullyFusedMLP, 64 neurons, 1 hidden layer, ReLU, n_output_dims 16), "dir_encoding" (default
    /// SphericalHarmonics degree 4; instant-ngp's Composite [SH, Identity] works too), "rgb_network" (colour MLP;
    /// default FullyFusedMLP, 64 neurons, 2 hidden layers, ReLU). Keys missing from a given block take these
    /// defaults; other top-level keys (loss, optimizer, ...) are ignored. Both MLPs' output_activation must be None:
    /// the volume renderer applies exp and sigmoid.
    /// </summary>
    /// <param name="backend">Where the parts live (CPU, or CUDA with T = float).</param>
    /// <param name="aabbScale">The scene's aabb_scale (≥ 1): the finest grid level gets 2048·aabbScale cells.</param>
    /// <param name="config">The blocks above (null: all defaults).</param>
    /// <exception cref="ConfigException">A key has a bad value; the message names it.</exception>
    public static NerfNetwork<T> FromJson(Backend backend, int aabbScale, JsonConfig? config = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (aabbScale < 1) throw new ArgumentOutOfRangeException(nameof(aabbScale), aabbScale, "aabb_scale must be ≥ 1");
        var root = config ?? JsonConfig.From(new JsonObject());

        var densityConfig = WithDefaults(root, "network", DefaultDensityNetwork());
        var colourConfig = WithDefaults(root, "rgb_network", DefaultColourNetwork());
        int densityOutputs = densityConfig.Int("n_output_dims", 16);
        if (densityOutputs < 1) throw densityConfig.Error("n_output_dims", $"must be ≥ 1 (output 0 is the density), got {densityOutputs}");
        if (colourConfig.Has("n_output_dims") && colourConfig.Int("n_output_dims", 3) != 3)
            throw colourConfig.Error("n_output_dims", "the colour network has 3 outputs (rgb)");
        RequireNoOutputActivation(densityConfig, "exp");
        RequireNoOutputActivation(colourConfig, "sigmoid");

        var positionEncoding = CreatePositionEncoding(backend, aabbScale, WithDefaults(root, "encoding", DefaultEncoding()));
        positionEncoding.SetAlignment(Mlp<T>.InputAlignmentFor(densityConfig));
        var densityNetwork = Mlp<T>.FromJson(backend, positionEncoding.OutputWidth, densityOutputs, densityConfig);

        var directionConfig = root.OptionalObject("dir_encoding") ?? JsonConfig.From(DefaultDirectionEncoding(), root.KeyPath("dir_encoding"));
        var directionEncoding = EncodingFactory.Create<T>(backend, 3, directionConfig);
        int colourAlignment = Mlp<T>.InputAlignmentFor(colourConfig);
        directionEncoding.SetAlignment(colourAlignment);
        int colourInput = ColourInputWidth(densityOutputs, directionEncoding.OutputWidth, colourAlignment);
        var colourNetwork = Mlp<T>.FromJson(backend, colourInput, 3, colourConfig);
        return new NerfNetwork<T>(positionEncoding, densityNetwork, directionEncoding, colourNetwork);
    }

    /// <summary>
    /// The position encoding: for grid otypes, instant-ngp's per_level_scale when it is absent or ≤ 0 (its
    /// "automatically determine" rule); other encodings (e.g. Frequency) as configured.
    /// </summary>
    static Encoding<T> CreatePositionEncoding(Backend backend, int aabbScale, JsonConfig config)
    {
        if (!HashGrid<T>.IsGridOtype(config.String("otype", "HashGrid"))) return EncodingFactory.Create<T>(backend, 3, config);
        var node = (JsonObject)config.Node.DeepClone();
        bool automatic = !config.Has("per_level_scale") || config.Double("per_level_scale", 0) <= 0;
        if (automatic) node.Remove("per_level_scale");
        var grid = HashGrid<T>.FromJson(backend, 3, JsonConfig.From(node, config.Path)); // validates every key
        if (!automatic || grid.NLevels == 1) return grid;
        node["per_level_scale"] = PerLevelScaleFor(aabbScale, grid.BaseResolution, grid.NLevels);
        grid.Dispose();
        return HashGrid<T>.FromJson(backend, 3, JsonConfig.From(node, config.Path));
    }

    /// <summary>The block <paramref name="key"/> of <paramref name="root"/> with missing keys taken from <paramref name="defaults"/>.</summary>
    static JsonConfig WithDefaults(JsonConfig root, string key, JsonObject defaults)
    {
        if (root.OptionalObject(key) is { } given)
            foreach (var (name, value) in given.Node) defaults[name] = value?.DeepClone();
        return JsonConfig.From(defaults, root.KeyPath(key));
    }

    static void RequireNoOutputActivation(JsonConfig config, string rendererActivation)
    {
        var activation = Activations.Read(config, "output_activation", Activation.None);
        if (activation != Activation.None)
            throw config.Error("output_activation", $"must be None: the network outputs raw values and the volume renderer applies {rendererActivation} (got {activation})");
    }

    /// <summary>instant-ngp's four blocks, complete (FromJson of them rebuilds an equal network for any aabb_scale).</summary>
    public override JsonObject Hyperparams()
    {
        var density = DensityNetwork.Hyperparams();
        density["n_output_dims"] = DensityNetwork.OutputWidth;
        return new JsonObject
        {
            ["otype"] = "NerfNetwork",
            ["encoding"] = PositionEncoding.Hyperparams(),
            ["network"] = density,
            ["dir_encoding"] = DirectionEncoding.Hyperparams(),
            ["rgb_network"] = ColourNetwork.Hyperparams(),
        };
    }
}
