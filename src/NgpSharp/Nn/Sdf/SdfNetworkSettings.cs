using System.Text.Json.Nodes;
using NgpSharp.Config;

namespace NgpSharp.Nn.Sdf;

/// <summary>How <see cref="SdfNetwork{T}"/> computes ∇ₓsdf (instant-nsr-pl's grad_type).</summary>
public enum SdfGradientType
{
    /// <summary>Exact derivative through the MLP and the grid, in the same pass (double backward for its loss).</summary>
    Analytic,
    /// <summary>Central differences of 6 extra SDF queries; its backward is the ordinary backward of those queries.</summary>
    FiniteDifference,
}

/// <summary>The hidden activation of the SDF MLP.</summary>
public enum SdfActivation
{
    /// <summary>softplus_β(a) = log(1 + e^{βa})/β (instant-nsr-pl's sphere-init networks, β = 100).</summary>
    Softplus,
    /// <summary>max(a, 0) (second derivative 0).</summary>
    ReLU,
}

/// <summary>
/// instant-nsr-pl's model.geometry (name volume-sdf) as typed settings. Defaults are configs/neus-dtu.yaml's, with
/// the progressive band of its neuralangelo configs off unless otype is ProgressiveBandHashGrid.
/// </summary>
public sealed record SdfNetworkSettings
{
    /// <summary>Scene half-size r: positions in [−r, r]³ map to the grid's [0, 1]³ (radius).</summary>
    public double Radius { get; init; } = 1.0;
    /// <summary>MLP outputs: sdf (column 0) + feature_dim − 1 features (feature_dim, 13).</summary>
    public int FeatureDim { get; init; } = 13;
    public SdfGradientType GradType { get; init; } = SdfGradientType.Analytic;
    /// <summary>finite_difference_eps: a fixed step, or null for "progressive" (2r / finest active resolution).</summary>
    public double? FiniteDifferenceEps { get; init; } = 1e-3;

    /// <summary>otype ProgressiveBandHashGrid: levels switch on over training (start_level, start_step, update_steps).</summary>
    public bool ProgressiveBand { get; init; }
    public int NLevels { get; init; } = 16;
    public int FeaturesPerLevel { get; init; } = 2;
    public int Log2HashmapSize { get; init; } = 19;
    public int BaseResolution { get; init; } = 32;
    public double PerLevelScale { get; init; } = 1.3195079107728942;
    public int StartLevel { get; init; } = 4;
    public int StartStep { get; init; }
    public int UpdateSteps { get; init; } = 1000;
    /// <summary>include_xyz: the MLP input starts with x/r (instant-nsr-pl's 2·x01 − 1).</summary>
    public bool IncludeXyz { get; init; } = true;

    public int Neurons { get; init; } = 64;
    /// <summary>n_hidden_layers; only 1 is implemented (two linear layers, as every instant-nsr-pl SDF config).</summary>
    public int HiddenLayers { get; init; } = 1;
    public SdfActivation Activation { get; init; } = SdfActivation.Softplus;
    public double SoftplusBeta { get; init; } = 100;
    public bool SphereInit { get; init; } = true;
    public double SphereInitRadius { get; init; } = 0.5;
    /// <summary>weight_norm: each weight row is g·v/‖v‖ with v and g trained (torch.nn.utils.weight_norm, dim 0).</summary>
    public bool WeightNorm { get; init; } = true;

    /// <summary>The isosurface block (null when absent or null): kept for mesh extraction.</summary>
    public SdfIsosurfaceSettings? Isosurface { get; init; }

    /// <summary>
    /// Reads instant-nsr-pl's model.geometry keys: radius, feature_dim, grad_type (analytic | finite_difference),
    /// finite_difference_eps (number or "progressive"), isosurface {method mc, resolution, chunk, threshold},
    /// xyz_encoding_config {otype HashGrid | ProgressiveBandHashGrid, n_levels, n_features_per_level,
    /// log2_hashmap_size, base_resolution, per_level_scale, include_xyz, start_level, start_step, update_steps},
    /// mlp_network_config {otype VanillaMLP, activation, output_activation none, n_neurons, n_hidden_layers,
    /// sphere_init, sphere_init_radius, weight_norm}. As instant-nsr-pl's VanillaMLP, the hidden activation is
    /// Softplus(β = 100) with sphere_init and ReLU without (the activation key is validated, not used).
    /// Other keys (name, sdf2weight, ...) are ignored; features instant-nsr-pl has and we lack are rejected.
    /// </summary>
    /// <exception cref="ConfigException">A key has a bad value; the message names it.</exception>
    public static SdfNetworkSettings FromJson(JsonConfig geometry)
    {
        if (geometry.Has("name") && geometry.RequireString("name") != "volume-sdf")
            throw geometry.Error("name", $"an SDF network is instant-nsr-pl's volume-sdf, got \"{geometry.RequireString("name")}\"");
        foreach (var unsupported in new[] { "use_appearance_embedding", "use_distortion" })
            if (geometry.Bool(unsupported, false)) throw geometry.Error(unsupported, "is not supported; use false");
        foreach (var unsupported in new[] { "sdf_activation", "feature_activation" })
            if (geometry.Has(unsupported)) throw geometry.Error(unsupported, "is not supported (remove the key)");

        double radius = geometry.Double("radius", 1.0);
        if (!(radius > 0)) throw geometry.Error("radius", $"must be > 0, got {radius}");
        int featureDim = geometry.Int("feature_dim", 13);
        if (featureDim < 1) throw geometry.Error("feature_dim", $"must be ≥ 1 (column 0 is the sdf), got {featureDim}");
        string gradName = geometry.String("grad_type", "analytic");
        var gradType = gradName.ToLowerInvariant() switch
        {
            "analytic" => SdfGradientType.Analytic,
            "finite_difference" => SdfGradientType.FiniteDifference,
            _ => throw geometry.Error("grad_type", $"expected analytic or finite_difference, got \"{gradName}\""),
        };
        double? eps = 1e-3;
        if (geometry.Has("finite_difference_eps"))
        {
            var node = geometry.Node["finite_difference_eps"] as JsonValue;
            if (node is not null && node.TryGetValue(out string? text) && text == "progressive") eps = null;
            else
            {
                eps = geometry.RequireDouble("finite_difference_eps");
                if (!(eps > 0)) throw geometry.Error("finite_difference_eps", $"must be > 0 or \"progressive\", got {eps}");
            }
        }

        var enc = geometry.Object("xyz_encoding_config");
        string encOtype = enc.String("otype", "HashGrid");
        bool progressive = encOtype.ToLowerInvariant() switch
        {
            "progressivebandhashgrid" => true,
            "hashgrid" => false,
            _ => throw enc.Error("otype", $"expected HashGrid or ProgressiveBandHashGrid, got \"{encOtype}\""),
        };
        if (eps is null && !progressive)
            throw geometry.Error("finite_difference_eps", "\"progressive\" needs xyz_encoding_config.otype ProgressiveBandHashGrid");
        int nLevels = enc.Int("n_levels", 16);
        var settings = new SdfNetworkSettings
        {
            Radius = radius,
            FeatureDim = featureDim,
            GradType = gradType,
            FiniteDifferenceEps = eps,
            ProgressiveBand = progressive,
            NLevels = nLevels,
            FeaturesPerLevel = enc.Int("n_features_per_level", 2),
            Log2HashmapSize = enc.Int("log2_hashmap_size", 19),
            BaseResolution = enc.Int("base_resolution", 32),
            PerLevelScale = enc.Double("per_level_scale", 1.3195079107728942),
            IncludeXyz = enc.Bool("include_xyz", true),
            StartLevel = progressive ? enc.RequireInt("start_level") : 4,
            StartStep = progressive ? enc.RequireInt("start_step") : 0,
            UpdateSteps = progressive ? enc.RequireInt("update_steps") : 1000,
            Isosurface = geometry.OptionalObject("isosurface") is { } iso ? SdfIsosurfaceSettings.FromJson(iso) : null,
        };
        if (progressive)
        {
            if (settings.StartLevel < 1 || settings.StartLevel > nLevels) throw enc.Error("start_level", $"must be in 1..n_levels ({nLevels}), got {settings.StartLevel}");
            if (settings.StartStep < 0) throw enc.Error("start_step", $"must be ≥ 0, got {settings.StartStep}");
            if (settings.UpdateSteps < 1) throw enc.Error("update_steps", $"must be ≥ 1, got {settings.UpdateSteps}");
        }

        var mlp = geometry.Object("mlp_network_config");
        string mlpOtype = mlp.String("otype", "VanillaMLP");
        if (!string.Equals(mlpOtype, "VanillaMLP", StringComparison.OrdinalIgnoreCase))
            throw mlp.Error("otype", $"the SDF network is instant-nsr-pl's VanillaMLP (biases, sphere init), got \"{mlpOtype}\"");
        string activation = mlp.String("activation", "ReLU");
        if (activation.ToLowerInvariant() is not ("relu" or "softplus"))
            throw mlp.Error("activation", $"expected ReLU or Softplus, got \"{activation}\"");
        string outputActivation = mlp.String("output_activation", "none");
        if (!string.Equals(outputActivation, "none", StringComparison.OrdinalIgnoreCase))
            throw mlp.Error("output_activation", $"the sdf must be linear: use none, got \"{outputActivation}\"");
        int neurons = mlp.Int("n_neurons", 64);
        if (neurons < 1) throw mlp.Error("n_neurons", $"must be ≥ 1, got {neurons}");
        int hidden = mlp.Int("n_hidden_layers", 1);
        if (hidden != 1) throw mlp.Error("n_hidden_layers", $"only 1 hidden layer is implemented for the SDF network, got {hidden}");
        bool sphereInit = mlp.Bool("sphere_init", false);
        return settings with
        {
            Neurons = neurons,
            HiddenLayers = hidden,
            SphereInit = sphereInit,
            Activation = sphereInit ? SdfActivation.Softplus : SdfActivation.ReLU,
            SphereInitRadius = mlp.Double("sphere_init_radius", 0.5),
            WeightNorm = mlp.Bool("weight_norm", false),
        };
    }
}

/// <summary>instant-nsr-pl's geometry.isosurface block (marching cubes settings).</summary>
public sealed record SdfIsosurfaceSettings
{
    public string Method { get; init; } = "mc";
    public int Resolution { get; init; } = 512;
    public long Chunk { get; init; } = 2097152;
    public double Threshold { get; init; }

    public static SdfIsosurfaceSettings FromJson(JsonConfig iso)
    {
        string method = iso.String("method", "mc");
        if (method != "mc") throw iso.Error("method", $"only mc is supported, got \"{method}\"");
        int resolution = iso.Int("resolution", 512);
        if (resolution < 2) throw iso.Error("resolution", $"must be ≥ 2, got {resolution}");
        long chunk = iso.Long("chunk", 2097152);
        if (chunk < 1) throw iso.Error("chunk", $"must be ≥ 1, got {chunk}");
        return new SdfIsosurfaceSettings { Method = method, Resolution = resolution, Chunk = chunk, Threshold = iso.Double("threshold", 0) };
    }
}
