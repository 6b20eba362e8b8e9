using NgpSharp.Compute.Cuda;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;
using NgpSharp.Tests.Cuda;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Robustness;

/// <summary>NeuS on the emulated CUDA backend with an artificial memory size: a step that does not fit is redone with half the rays.</summary>
public sealed class NeusOutOfMemoryTests
{
    static NeusSettings Tiny(int rays) => NeusTrainerTests.SmallBunny($"model.train_num_rays={rays}", $"model.max_train_num_rays={rays}",
        "model.target_samples_per_step=1048576", "model.num_samples_per_ray=64",
        "model.geometry.xyz_encoding_config.n_levels=4", "model.geometry.xyz_encoding_config.log2_hashmap_size=12");

    static readonly Lazy<NgpSharp.Data.NerfDataset> Bunny = new(() => { var s = Tiny(16); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    [EmulatorFact]
    public void AStepThatDoesNotFit_IsRedoneWithHalfTheRays()
    {
        EmulatorTestBackend.Require();
        long perStep;
        using (var probe = CudaBackend.CreateEmulated())
        using (var t = new NeusTrainer(Tiny(32), Bunny.Value, probe))
        {
            long built = probe.EmulatedAllocatedBytes;
            t.Step();
            perStep = probe.EmulatedAllocatedBytes - built;
        }
        using var backend = CudaBackend.CreateEmulated();
        using var trainer = new NeusTrainer(Tiny(256), Bunny.Value, backend);
        var log = new List<string>();
        trainer.Log = log.Add;
        backend.EmulatedMemoryLimit = backend.EmulatedAllocatedBytes + perStep * 3 / 2;
        var step = trainer.Step();
        Assert.True(step.Rays < 256 && step.Rays >= 16, $"{step.Rays} rays");
        Assert.False(step.Skipped);
        Assert.True(double.IsFinite(step.Loss));
        Assert.True(trainer.OutOfMemoryRetries >= 1);
        Assert.Equal(step.Rays, trainer.MaxTrainRays);
        Assert.Equal(1048576L >> trainer.OutOfMemoryRetries, trainer.TargetSamplesPerStep);
        Assert.Equal(trainer.OutOfMemoryRetries, log.Count);
        Assert.Contains("retrying with 128 rays", log[0]);
        Assert.True(trainer.Step().Rays <= trainer.MaxTrainRays);
    }
}
