using System.Text.Json.Nodes;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;

namespace NgpSharp.Systems.Neus;

/// <summary>Background behind NeuS training rays (instant-nsr-pl's model.background_color): one colour per batch.</summary>
public enum NeusBackgroundColour { White, Random, Black }

/// <summary>
/// A NeuS run (configs/neus-dtu.yaml, configs/neus-blender.yaml): instant-nsr-pl's algorithm and key names. The
/// dataset block is NeRF's (dtu / blender / ngp loaders).
/// </summary>
public sealed record NeusSettings
{
    public string Name { get; init; } = "neus";
    public string Tag { get; init; } = "";
    public ulong Seed { get; init; } = 42;
    public NerfDatasetSettings Dataset { get; init; } = new();
    public NeusModelSettings Model { get; init; } = new();
    public NeusSystemSettings System { get; init; } = new();
    public NeusTrainerSettings Trainer { get; init; } = new();
    public NeusExportSettings Export { get; init; } = new();
}

public sealed record NeusModelSettings
{
    /// <summary>instant-nsr-pl's model name (neus); marks the config as a NeuS run.</summary>
    public string Name { get; init; } = "neus";
    /// <summary>The object lies in the sphere of this radius in the dataset's normalised frame; the scene box is [−r, r]³.</summary>
    [Range(1e-3, 1e3)] public double Radius { get; init; } = 1.0;
    /// <summary>Samples a ray through the whole box would get: render step = √3·2r / this (instant-nsr-pl).</summary>
    [Range(8, 8192)] public int NumSamplesPerRay { get; init; } = 1024;
    [Range(1, 1 << 20)] public int TrainNumRays { get; init; } = 256;
    [Range(1, 1 << 20)] public int MaxTrainNumRays { get; init; } = 8192;
    /// <summary>Samples a step aims for; null: train_num_rays × num_samples_per_ray (instant-nsr-pl's dynamic ray sampling).</summary>
    [Range(64, 1 << 24)] public int? TargetSamplesPerStep { get; init; }
    public bool DynamicRaySampling { get; init; } = true;
    /// <summary>Occupancy grid driven by the SDF (nerfacc's OccupancyGrid, 128³ over the box).</summary>
    public bool GridPrune { get; init; } = true;
    [Range(0, 1)] public float GridPruneOccThre { get; init; } = 0.001f;
    [Range(4, 512)] public int GridResolution { get; init; } = 128;
    /// <summary>Steps over which the cosine is annealed from "never dead" to NeuS's own (0: NeuS's from the start).</summary>
    [Range(0, 100_000_000)] public int CosAnnealEnd { get; init; } = 20000;
    [ConfigAlias("background_color")] public NeusBackgroundColour Background { get; init; } = NeusBackgroundColour.White;
    public NeusVarianceSettings Variance { get; init; } = new();
    /// <summary>instant-nsr-pl's model.geometry block (volume-sdf; see SdfNetworkSettings.FromJson); null: its defaults.</summary>
    public JsonObject? Geometry { get; init; }
    /// <summary>instant-nsr-pl's model.texture block (volume-radiance): dir_encoding_config, mlp_network_config.</summary>
    public JsonObject? Texture { get; init; }
    /// <summary>
    /// instant-nsr-pl's learned_background: a second NeRF (<see cref="GeometryBg"/>, <see cref="TextureBg"/>) renders what
    /// lies outside the scene box and is the foreground's per-ray background; training targets are then the images'
    /// colours as captured (masks are not applied: use with system.loss.lambda_mask=0 on unmasked scenes).
    /// </summary>
    public bool LearnedBackground { get; init; }
    /// <summary>Background samples aimed at per ray: cone angle 10^(log10(1000)/n) − 1 (instant-nsr-pl's num_samples_per_ray_bg).</summary>
    [Range(4, 4096)] public int NumSamplesPerRayBg { get; init; } = 64;
    /// <summary>instant-nsr-pl's model.geometry_bg block (volume-density): feature_dim, density_bias, xyz_encoding_config, mlp_network_config.</summary>
    public JsonObject? GeometryBg { get; init; }
    /// <summary>instant-nsr-pl's model.texture_bg block (volume-radiance): dir_encoding_config, mlp_network_config.</summary>
    public JsonObject? TextureBg { get; init; }
    /// <summary>Rays rendered at once at test time and for meshes' colours.</summary>
    [Range(64, 1 << 22)] public int RayChunk { get; init; } = 4096;
}

public sealed record NeusVarianceSettings
{
    public double InitVal { get; init; } = 0.3;
}

public sealed record NeusSystemSettings
{
    /// <summary>instant-nsr-pl's system name (neus-system).</summary>
    public string Name { get; init; } = "neus-system";
    public NeusLossSettings Loss { get; init; } = new();
    public NeusOptimizerSettings Optimizer { get; init; } = new();
    /// <summary>Steps at the base learning rate before the exponential decay to 0.1× at max_steps.</summary>
    [Range(0, 100_000_000)] public int ConstantSteps { get; init; } = 5000;
}

public sealed record NeusLossSettings
{
    [Range(0, 1e6)] public double LambdaRgbMse { get; init; }
    [Range(0, 1e6)] public double LambdaRgbL1 { get; init; } = 1;
    [Range(0, 1e6)] public double LambdaMask { get; init; } = 0.1;
    [Range(0, 1e6)] public double LambdaEikonal { get; init; } = 0.1;
    [Range(0, 1e6)] public double LambdaSparsity { get; init; }
    [Range(0, 1e6)] public double SparsityScale { get; init; } = 1;
    [Range(0, 1e6)] public double LambdaOpaque { get; init; }
}

public sealed record NeusOptimizerSettings
{
    [Range(0, 10)] public double Lr { get; init; } = 0.01;
    [Range(0, 10)] public double VarianceLr { get; init; } = 0.001;
    [Range(0, 1)] public double Beta1 { get; init; } = 0.9;
    [Range(0, 1)] public double Beta2 { get; init; } = 0.99;
    [Range(0, 1)] public double Eps { get; init; } = 1e-15;
}

public sealed record NeusTrainerSettings
{
    [Range(1, 100_000_000)] public int MaxSteps { get; init; } = 20000;
    /// <summary>Stop after this many seconds of training (null: no limit).</summary>
    [Range(0, 1e9)] public double? MaxSeconds { get; init; }
    [Range(0, 100_000_000), ConfigAlias("save_every_n_steps")] public int CheckpointEvery { get; init; } = 1000;
    [Range(0, 1000)] public int KeepCheckpoints { get; init; } = 3;
    [Range(1, 100_000_000), ConfigAlias("log_every_n_steps")] public int LogEvery { get; init; } = 10;
    /// <summary>NaN/∞ steps in a row before the last good state is restored with half the learning rate (0: only skip).</summary>
    [Range(0, 1_000_000)] public int NanPatience { get; init; } = 3;
    /// <summary>Good steps between in-memory snapshots of parameters and optimizer state (the restore point).</summary>
    [Range(1, 100_000_000)] public int NanSnapshotEvery { get; init; } = 100;
    /// <summary>Restores before training stops with an error.</summary>
    [Range(0, 1000)] public int NanMaxRestores { get; init; } = 5;

    public Systems.NanGuardSettings NanGuard => new(NanPatience, NanSnapshotEvery, NanMaxRestores);
}

public sealed record NeusExportSettings
{
    /// <summary>Marching-cubes cells per axis of the fine pass.</summary>
    [Range(8, 2048)] public int Resolution { get; init; } = 512;
    /// <summary>The level set extracted: sdf = threshold.</summary>
    public double Threshold { get; init; }
    public bool ExportVertexColor { get; init; } = true;
    [Range(0, 10000)] public int VideoFrames { get; init; } = 30;
    [Range(1, 64)] public int VideoDownscale { get; init; } = 2;
    [Range(1, 120)] public int VideoFps { get; init; } = 15;
}
