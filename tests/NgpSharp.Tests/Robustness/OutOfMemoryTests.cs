using NgpSharp.Compute.Cuda;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;
using NgpSharp.Tests.Cuda;
using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Robustness;

/// <summary>
/// NeRF on the emulated CUDA backend with an artificial device-memory size: a training step that does not fit is
/// retried with half the rays (and the halved budget stays), a render chunk that does not fit is split, and the
/// smaller chunks render the same image.
/// </summary>
public sealed class OutOfMemoryTests
{
    static NerfSettings Tiny(int rays, params string[] extra) => YamlConfig.Load<NerfSettings>(NerfTrainerTests.ConfigPath(),
    [
        $"dataset.root={TestData.Path("bunny", "nerf")}", "dataset.downscale=8",
        "model.grid_resolution=16", "model.grid_warmup_steps=1", "model.grid_update_interval=64",
        "model.encoding={n_levels: 4, log2_hashmap_size: 12, n_features_per_level: 2}",
        "model.network={otype: FullyFusedMLP, n_neurons: 32, n_hidden_layers: 1}",
        "model.rgb_network={otype: FullyFusedMLP, n_neurons: 32, n_hidden_layers: 1}",
        $"trainer.initial_rays={rays}", $"trainer.max_rays={rays}", "trainer.target_samples_per_step=1048576",
        "renderer.max_samples_per_ray=32", "renderer.background=white", .. extra,
    ]);

    static readonly Lazy<NgpSharp.Data.NerfDataset> Bunny = new(() => { var s = Tiny(16); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    [EmulatorFact]
    public void AStepThatDoesNotFit_IsRetriedWithHalfTheRays()
    {
        EmulatorTestBackend.Require(); // compiles the kernels into the disk cache once
        // What a 32-ray step needs beyond the trainer's own buffers, measured on a backend without a limit.
        long perStep;
        using (var probe = CudaBackend.CreateEmulated())
        using (var t = new NerfTrainer(Tiny(32), Bunny.Value, probe))
        {
            long built = probe.EmulatedAllocatedBytes;
            t.Step();
            perStep = probe.EmulatedAllocatedBytes - built;
        }
        using var backend = CudaBackend.CreateEmulated();
        using var trainer = new NerfTrainer(Tiny(512), Bunny.Value, backend);
        var log = new List<string>();
        trainer.Log = log.Add;
        backend.EmulatedMemoryLimit = backend.EmulatedAllocatedBytes + perStep * 3 / 2;
        var step = trainer.Step();
        Assert.True(step.Rays < 512 && step.Rays >= 32, $"{step.Rays} rays");
        Assert.True(double.IsFinite(step.Loss));
        Assert.False(step.Skipped);
        Assert.True(trainer.OutOfMemoryRetries >= 1);
        Assert.Equal(step.Rays, trainer.MaxRays);
        Assert.Equal(1048576 >> trainer.OutOfMemoryRetries, trainer.TargetSamplesPerStep);
        Assert.Equal(trainer.OutOfMemoryRetries, log.Count);
        Assert.Contains("CUDA out of memory", log[0]);
        Assert.Contains("retrying with 256 rays", log[0]);
        Assert.True(trainer.Step().Rays <= trainer.MaxRays);
    }

    [EmulatorFact]
    public void ARenderChunkThatDoesNotFit_IsSplit_IntoTheSameImage()
    {
        var camera = Bunny.Value.Frames[0].Camera.Downscaled(4); // 25×25
        var settings = Tiny(32, "renderer.chunk_rays=1024");
        NerfRender reference;
        long perChunk;
        using (var probe = CudaBackend.CreateEmulated())
        using (var t = new NerfTrainer(settings, Bunny.Value, probe))
        {
            t.Step();
            long before = probe.EmulatedAllocatedBytes;
            reference = t.Render(camera, (1, 1, 1));
            perChunk = probe.EmulatedAllocatedBytes - before;
            Assert.Equal(0, t.OutOfMemoryRetries);
        }
        using var backend = CudaBackend.CreateEmulated();
        using var trainer = new NerfTrainer(settings, Bunny.Value, backend);
        trainer.Step();
        backend.TrimCache();
        backend.EmulatedMemoryLimit = backend.EmulatedAllocatedBytes + perChunk / 3;
        var render = trainer.Render(camera, (1, 1, 1));
        Assert.True(trainer.OutOfMemoryRetries >= 1);
        Assert.True(trainer.RenderChunkRays <= 512);
        Assert.Equal(reference.Colour.Data, render.Colour.Data);
        Assert.Equal(reference.Depth, render.Depth);
    }
}
