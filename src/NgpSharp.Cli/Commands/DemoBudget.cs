using System.Globalization;
using NgpSharp.Rendering.Raytracing;

namespace NgpSharp.Cli.Commands;

/// <summary>
/// How big each stage of `ngp demo` is: the ray-traced dataset, then NeRF and NeuS as overrides of the shipped
/// configs (configs/nerf-blender.yaml, configs/neus-dtu.yaml), and the mesh. Training stops at max_steps or at the
/// time limit (× --seconds-scale), whichever comes first; the step-based schedules (NeuS's cosine anneal and
/// learning-rate decay) are sized to the step count a 2-core CPU reaches in its time limit.
/// </summary>
sealed record DemoBudget
{
    /// <summary>cpu, gpu or quick (printed and written to summary.json).</summary>
    public required string Name { get; init; }
    public required RenderDatasetOptions Dataset { get; init; }
    /// <summary>Seconds of NeRF training before --seconds-scale (null: max_steps only).</summary>
    public double? NerfSeconds { get; init; }
    public required IReadOnlyList<string> NerfOverrides { get; init; }
    /// <summary>Seconds of NeuS training before --seconds-scale (null: max_steps only).</summary>
    public double? NeusSeconds { get; init; }
    public required IReadOnlyList<string> NeusOverrides { get; init; }
    /// <summary>Marching-cubes cells per axis of the NeuS mesh's fine pass.</summary>
    public required int MeshResolution { get; init; }

    /// <summary>
    /// A 2-core CPU: the whole demo in about 10 minutes. 100×100 views (the shipped configs' bunny at a quarter of its
    /// 400×400), 2.5 min of NeRF and 4.5 min of NeuS. Both occupancy grids are 64³ instead of 128³: at this image size
    /// the finer grid skips little more empty space, and its refreshes (~70 full ones for NeRF's warm-up, every 16th step
    /// for NeuS) cost a large share of a CPU step. NeuS's hash table is 2^16 entries per level (shipped: 2^19, 14 M
    /// parameters whose dense Adam update dominated the rest of the step) — ample for 100×100 views. NeuS's schedules
    /// (cosine anneal, constant-then-decay learning rate) are sized to the ~4000 steps an idle 2-core CPU reaches.
    /// </summary>
    public static DemoBudget Cpu { get; } = new()
    {
        Name = "cpu",
        Dataset = new() { Resolution = 100, Train = 100, Val = 10, Test = 30, SamplesPerPixel = 4 },
        NerfSeconds = 150,
        NerfOverrides =
        [
            "trainer.max_steps=20000", "model.grid_resolution=64",
            "renderer.video_frames=36", "renderer.video_downscale=1", "renderer.video_fps=12",
        ],
        NeusSeconds = 270,
        NeusOverrides =
        [
            "dataset.downscale=1", "trainer.max_steps=4000", "model.cos_anneal_end=4000", "system.constant_steps=1000",
            "model.grid_resolution=64", "model.geometry.xyz_encoding_config.log2_hashmap_size=16",
            "export.video_frames=36", "export.video_downscale=2", "export.video_fps=12",
        ],
        MeshResolution = 128,
    };

    /// <summary>
    /// A CUDA GPU (not measured yet): the shared bunny's full rig (400×400, 100/10/30 views), instant-ngp's GPU batch
    /// (2^18 samples per step), about a minute in all.
    /// </summary>
    public static DemoBudget Gpu { get; } = new()
    {
        Name = "gpu",
        Dataset = new() { Resolution = 400, Train = 100, Val = 10, Test = 30, SamplesPerPixel = 4 },
        NerfSeconds = 20,
        NerfOverrides =
        [
            "trainer.max_steps=20000", "trainer.initial_rays=4096", "trainer.max_rays=262144", "trainer.target_samples_per_step=262144",
            "renderer.video_frames=60", "renderer.video_downscale=2", "renderer.video_fps=30",
        ],
        NeusSeconds = 25,
        NeusOverrides =
        [
            "dataset.downscale=2", "trainer.max_steps=20000", "model.cos_anneal_end=2000", "system.constant_steps=500",
            "model.train_num_rays=1024", "model.target_samples_per_step=262144",
            "export.video_frames=60", "export.video_downscale=2", "export.video_fps=30",
        ],
        MeshResolution = 256,
    };

    /// <summary>A smoke test of every stage (tiny images, models and step counts), ~30 s on 2 cores; the numbers mean nothing.</summary>
    public static DemoBudget Quick { get; } = new()
    {
        Name = "quick",
        Dataset = new() { Resolution = 32, Train = 16, Val = 2, Test = 3, SamplesPerPixel = 1, Depth = false },
        NerfOverrides =
        [
            "trainer.max_steps=30", "trainer.checkpoint_every=0", "trainer.log_every=5",
            "trainer.initial_rays=256", "trainer.target_samples_per_step=4096",
            "model.grid_resolution=32", "model.grid_warmup_steps=4", "model.grid_update_interval=4",
            "model.encoding={n_levels: 8, log2_hashmap_size: 14}",
            "renderer.max_samples_per_ray=64", "renderer.video_frames=4", "renderer.video_downscale=1",
        ],
        NeusOverrides =
        [
            "dataset.downscale=1", "trainer.max_steps=10", "trainer.checkpoint_every=0", "trainer.log_every=5",
            "model.cos_anneal_end=10", "system.constant_steps=5",
            "model.grid_resolution=32", "model.num_samples_per_ray=128", "model.train_num_rays=32", "model.target_samples_per_step=2048",
            "model.geometry.xyz_encoding_config.n_levels=6", "model.geometry.xyz_encoding_config.log2_hashmap_size=12",
            "export.video_frames=4", "export.video_downscale=1",
        ],
        MeshResolution = 32,
    };

    /// <summary>The NeRF overrides with the time limit scaled by <paramref name="secondsScale"/>.</summary>
    public IReadOnlyList<string> NerfConfig(double secondsScale) => WithSeconds(NerfOverrides, NerfSeconds, secondsScale);

    /// <summary>The NeuS overrides with the time limit scaled by <paramref name="secondsScale"/>.</summary>
    public IReadOnlyList<string> NeusConfig(double secondsScale) => WithSeconds(NeusOverrides, NeusSeconds, secondsScale);

    static IReadOnlyList<string> WithSeconds(IReadOnlyList<string> overrides, double? seconds, double scale) =>
        seconds is { } s ? [.. overrides, string.Create(CultureInfo.InvariantCulture, $"trainer.max_seconds={s * scale:0.###}")] : overrides;
}
