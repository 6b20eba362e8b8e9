using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;
using NgpSharp.Tests.Cuda;
using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Robustness;

/// <summary>
/// Both trainers with poisoned parameters (every θ NaN, so loss and gradients are NaN): the steps are skipped, after
/// trainer.nan_patience of them the last good snapshot comes back (θ equal to it) with half the learning rate, and the
/// next step trains again; a run that keeps diverging stops with a clear error.
/// </summary>
public sealed class TrainerNanRecoveryTests
{
    static readonly Lazy<NgpSharp.Data.NerfDataset> NerfBunny = new(() => { var s = NerfTrainerTests.SmallBunny(); return NerfData.Load(s.Dataset, s.Dataset.Split); });
    static readonly Lazy<NgpSharp.Data.NerfDataset> NeusBunny = new(() => { var s = NeusTrainerTests.SmallBunny(); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    static void Poison(Backend backend, DeviceSpan<float> p) => backend.Fill(p, float.NaN);

    [Fact]
    public void Nerf_Cpu_SkipsThenRestoresTheSnapshot_WithHalfTheRate()
    {
        var s = NerfTrainerTests.SmallBunny("trainer.nan_patience=3", "trainer.nan_snapshot_every=1");
        using var t = new NerfTrainer(s, NerfBunny.Value, CpuBackend.Shared);
        CheckRecovery(t.Backend, () => t.Step().Skipped, () => t.Params, () => t.Optimizer.LearningRate, () => t.SkippedSteps, t.NanGuard, goodSteps: 5);
    }

    [EmulatorFact]
    public void Nerf_EmulatedCuda_SkipsThenRestoresTheSnapshot_WithHalfTheRate()
    {
        var s = YamlConfig.Load<NerfSettings>(NerfTrainerTests.ConfigPath(),
        [
            $"dataset.root={TestData.Path("bunny", "nerf")}", "dataset.downscale=8",
            "model.grid_resolution=32", "model.grid_warmup_steps=2", "model.grid_update_interval=16",
            "model.encoding={n_levels: 4, log2_hashmap_size: 12, n_features_per_level: 2}",
            "model.network={otype: FullyFusedMLP, n_neurons: 32, n_hidden_layers: 1}",
            "model.rgb_network={otype: FullyFusedMLP, n_neurons: 32, n_hidden_layers: 1}",
            "trainer.initial_rays=32", "trainer.max_rays=32", "renderer.max_samples_per_ray=64", "renderer.background=white",
            "trainer.nan_patience=2", "trainer.nan_snapshot_every=1",
        ]);
        using var t = new NerfTrainer(s, NerfBunny.Value, EmulatorTestBackend.Require());
        CheckRecovery(t.Backend, () => t.Step().Skipped, () => t.Params, () => t.Optimizer.LearningRate, () => t.SkippedSteps, t.NanGuard, goodSteps: 3);
    }

    [Fact]
    public void Neus_SkipsThenRestoresTheSnapshot_AndTheVariance()
    {
        var s = NeusTrainerTests.SmallBunny("trainer.nan_patience=2", "trainer.nan_snapshot_every=1", "model.train_num_rays=32");
        using var t = new NeusTrainer(s, NeusBunny.Value, CpuBackend.Shared);
        double invS = 0;
        CheckRecovery(t.Backend, () => t.Step().Skipped, () => t.Params, () => t.Optimizer.LearningRate, () => t.SkippedSteps, t.NanGuard, goodSteps: 2,
            afterGood: () => invS = t.Variance.State.Value,
            afterPoison: () => t.Variance.Restore(t.Variance.State with { Value = 123 }),
            afterRestore: () => Assert.Equal(invS, t.Variance.State.Value));
    }

    [Fact]
    public void Nerf_KeepsDiverging_StopsWithAClearError()
    {
        var s = NerfTrainerTests.SmallBunny("trainer.nan_patience=1", "trainer.nan_max_restores=2");
        using var t = new NerfTrainer(s, NerfBunny.Value, CpuBackend.Shared);
        t.Step();
        var e = Assert.Throws<TrainingDivergedException>(() =>
        {
            for (int i = 0; i < 10; i++) { Poison(t.Backend, t.Params); t.Step(); }
        });
        Assert.Equal(2, t.NanGuard.Restores);
        Assert.Equal(4, t.StepCount);
        Assert.Contains("training diverged at step 4", e.Message);
    }

    /// <summary>goodSteps clean steps (a snapshot after each), poison θ, patience − 1 skipped steps, the restoring one, one good one.</summary>
    static void CheckRecovery(Backend backend, Func<bool> step, Func<DeviceSpan<float>> parameters, Func<float> lr, Func<long> skipped, NanGuard guard,
        int goodSteps, Action? afterGood = null, Action? afterPoison = null, Action? afterRestore = null)
    {
        for (int i = 0; i < goodSteps; i++) Assert.False(step(), $"step {i}");
        var good = backend.ToArray(parameters());
        float rate = lr();
        afterGood?.Invoke();
        Poison(backend, parameters());
        afterPoison?.Invoke();
        int patience = guard.Settings.Patience;
        for (int i = 0; i < patience - 1; i++)
        {
            Assert.True(step(), $"poisoned step {i}");
            Assert.True(float.IsNaN(backend.ToArray(parameters())[0]));
        }
        Assert.Equal(0, guard.Restores);
        Assert.True(step());                     // the patience-th bad step restores
        Assert.Equal(1, guard.Restores);
        Assert.Equal(patience, skipped());
        Assert.Equal(good, backend.ToArray(parameters()));
        Assert.Equal(rate / 2, lr());
        afterRestore?.Invoke();
        Assert.False(step());                    // and training goes on
    }
}
