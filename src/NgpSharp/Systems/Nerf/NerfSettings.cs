using System.Text.Json.Nodes;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Nerf;

/// <summary>Which loader reads <see cref="NerfDatasetSettings.Root"/>.</summary>
public enum NerfDatasetKind
{
    /// <summary>cameras_sphere.npz in the folder → Dtu; transforms_{split}.json → Blender; otherwise an instant-ngp transforms.json.</summary>
    Auto,
    /// <summary>nerf_synthetic layout: transforms_{split}.json.</summary>
    Blender,
    /// <summary>instant-ngp's single transforms.json.</summary>
    Ngp,
    /// <summary>NeuS layout (DTU, BlendedMVS): image/, mask/, cameras_sphere.npz.</summary>
    Dtu,
}

/// <summary>Background colour behind the scene: random per ray for training (instant-ngp), a constant otherwise.</summary>
public enum NerfBackground { Random, White, Black }

/// <summary>Test-render background: the dataset's convention (white for nerf_synthetic), or a fixed colour.</summary>
public enum NerfTestBackground { Auto, White, Black }

/// <summary>A NeRF run (configs/nerf-blender.yaml): instant-ngp's algorithm, instant-nsr-pl's key names where they mean the same.</summary>
public sealed record NerfSettings
{
    public string Name { get; init; } = "nerf-blender";
    public string Tag { get; init; } = "";
    public ulong Seed { get; init; } = 42;
    public NerfDatasetSettings Dataset { get; init; } = new();
    public NerfModelSettings Model { get; init; } = new();
    public NerfTrainerSettings Trainer { get; init; } = new();
    public NerfRendererSettings Renderer { get; init; } = new();
}

public sealed record NerfDatasetSettings
{
    /// <summary>The dataset folder (Blender, DTU) or transforms.json / its folder (instant-ngp).</summary>
    [Required, ConfigAlias("root_dir")] public string Root { get; init; } = "";
    public NerfDatasetKind Kind { get; init; } = NerfDatasetKind.Auto;
    [ConfigAlias("train_split")] public string Split { get; init; } = "train";
    public string TestSplit { get; init; } = "test";
    /// <summary>Integer box-filter downscale at load (8: 800² → 100²).</summary>
    [Range(1, 64)] public int Downscale { get; init; } = 1;
    public PixelStorage Storage { get; init; } = PixelStorage.Rgba8;
}

public sealed record NerfModelSettings
{
    /// <summary>Overrides the dataset's aabb_scale (power of two ≥ 1); null: the dataset's.</summary>
    [Range(1, 128)] public int? AabbScale { get; init; }
    /// <summary>instant-ngp base.json blocks; null or missing keys take NerfNetwork's defaults.</summary>
    public JsonObject? Encoding { get; init; }
    public JsonObject? Network { get; init; }
    public JsonObject? DirEncoding { get; init; }
    public JsonObject? RgbNetwork { get; init; }
    /// <summary>tiny-cuda-nn optimizer block; null: instant-ngp's Ema(0.95) → ExponentialDecay → Adam(1e-2).</summary>
    public JsonObject? Optimizer { get; init; }
    /// <summary>Occupancy grid cells per axis and cascade (instant-ngp: 128).</summary>
    [Range(4, 512)] public int GridResolution { get; init; } = 128;
    /// <summary>Steps during which every cell is refreshed at each update (instant-ngp: 256).</summary>
    [Range(0, 1_000_000)] public int GridWarmupSteps { get; init; } = 256;
    [Range(1, 1_000_000)] public int GridUpdateInterval { get; init; } = 16;
    /// <summary>every_step_then_interval (DESIGN §4, nerfacc) or instant_ngp (testbed.cu: ever sparser updates up to step 256).</summary>
    public Geometry.OccupancyUpdateSchedule GridSchedule { get; init; } = Geometry.OccupancyUpdateSchedule.EveryStepThenInterval;
    [Range(0, 1)] public float GridDecay { get; init; } = 0.95f;
}

public sealed record NerfTrainerSettings
{
    [Range(1, 100_000_000)] public int MaxSteps { get; init; } = 20000;
    /// <summary>Stop after this many seconds of training (null: no limit).</summary>
    [Range(0, 1e9)] public double? MaxSeconds { get; init; }
    /// <summary>Rays of the first step; later steps adapt to <see cref="TargetSamplesPerStep"/>.</summary>
    [Range(1, 1 << 22), ConfigAlias("train_num_rays")] public int InitialRays { get; init; } = 1024;
    [Range(1, 1 << 22), ConfigAlias("max_train_num_rays")] public int MaxRays { get; init; } = 1 << 16;
    /// <summary>Samples a step aims for (instant-ngp on a GPU: 2^18; 2^15 is a CPU-sized step).</summary>
    [Range(64, 1 << 24)] public int TargetSamplesPerStep { get; init; } = 1 << 15;
    /// <summary>instant-ngp's compaction: an inference pass over all samples, then forward/backward only on the
    /// samples composited before early termination; rays adapt to the compacted count.</summary>
    public bool Compaction { get; init; } = true;
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

public sealed record NerfRendererSettings
{
    /// <summary>0 for synthetic scenes; 1/256 for large real scenes (instant-ngp).</summary>
    [Range(0, 1)] public float ConeAngle { get; init; }
    [Range(1, 4096)] public int MaxSamplesPerRay { get; init; } = 1024;
    [ConfigAlias("background_color")] public NerfBackground Background { get; init; } = NerfBackground.Random;
    public BackgroundSampling BackgroundSampling { get; init; } = BackgroundSampling.PerRay;
    public NerfTestBackground TestBackground { get; init; } = NerfTestBackground.Auto;
    /// <summary>Rays rendered at once at test time.</summary>
    [Range(64, 1 << 22)] public int ChunkRays { get; init; } = 8192;
    [Range(0, 10000)] public int VideoFrames { get; init; } = 30;
    /// <summary>Extra downscale of the orbit video relative to the test views.</summary>
    [Range(1, 64)] public int VideoDownscale { get; init; } = 2;
    [Range(1, 120)] public int VideoFps { get; init; } = 15;
}
