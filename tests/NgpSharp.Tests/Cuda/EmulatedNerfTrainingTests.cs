using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;
using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// NeRF training end to end on the CUDA code path (through the host emulator): grid update, march, network, volume
/// renderer, Huber loss, Ema/Adam and the device NaN check must track the CPU run from the same seed.
/// </summary>
public sealed class EmulatedNerfTrainingTests : IDisposable
{
    const int Steps = 8;

    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-nerf-cuda-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    /// <summary>The bunny at 100×100 with a small hash grid and ~2048 samples a step (fast on the emulator).</summary>
    static NerfSettings Tiny(params string[] extra) => YamlConfig.Load<NerfSettings>(NerfTrainerTests.ConfigPath(),
    [
        $"dataset.root={TestData.Path("bunny", "nerf")}", "dataset.downscale=8",
        "model.grid_resolution=32", "model.grid_warmup_steps=4", "model.grid_update_interval=4",
        "model.encoding={n_levels: 4, log2_hashmap_size: 12, n_features_per_level: 2}",
        "model.network={otype: FullyFusedMLP, n_neurons: 32, n_hidden_layers: 1}",
        "model.rgb_network={otype: FullyFusedMLP, n_neurons: 32, n_hidden_layers: 1}",
        "trainer.initial_rays=64", "trainer.max_rays=64", "trainer.target_samples_per_step=1048576", "renderer.max_samples_per_ray=128", "renderer.background=white",
        .. extra,
    ]);

    static readonly Lazy<NgpSharp.Data.NerfDataset> Bunny = new(() => { var s = Tiny(); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    static NerfTrainer Trainer(Backend backend)
    {
        var t = new NerfTrainer(Tiny(), Bunny.Value, backend);
        t.MarkUnseenCells();
        return t;
    }

    static NerfStep[] Run(NerfTrainer t) => Enumerable.Range(0, Steps).Select(_ => t.Step()).ToArray();

    [EmulatorFact]
    public void TrainingOnTheCudaPathTracksTheCpu()
    {
        NerfStep[] cpu, device;
        using (var t = Trainer(CpuBackend.Shared)) cpu = Run(t);
        using (var t = Trainer(EmulatorTestBackend.Require()))
        {
            device = Run(t);
            Assert.Equal(128f, t.LossScale); // the fused fp16 MLP trains with tiny-cuda-nn's loss scale
        }
        Assert.All(device, s => Assert.False(s.Skipped));
        for (int i = 0; i < Steps; i++)
        {
            // Same rays (one pcg32 stream drives both), fp16 MLP on the device vs fp32 on the CPU.
            Assert.Equal(cpu[i].Rays, device[i].Rays);
            Assert.True(Math.Abs(device[i].Loss - cpu[i].Loss) <= 0.03 * cpu[i].Loss,
                $"step {i}: device loss {device[i].Loss:G6} vs CPU {cpu[i].Loss:G6}\ncpu: {string.Join(", ", cpu.Select(s => s.Loss.ToString("G4")))}\ndevice: {string.Join(", ", device.Select(s => s.Loss.ToString("G4")))}");
        }
        double first = device.Take(2).Average(s => s.Loss), last = device.Skip(Steps - 2).Average(s => s.Loss);
        Assert.True(last < 0.9 * first, $"the device run did not learn: {first:E3} → {last:E3} (samples {device[^1].Samples})\ncpu: {string.Join(", ", cpu.Select(s => s.Loss.ToString("G4")))}\ndevice: {string.Join(", ", device.Select(s => s.Loss.ToString("G4")))}");
    }

    [EmulatorFact]
    public void CheckpointFromTheDeviceResumesOnTheCpu()
    {
        string path = Path.Combine(_tmp, "device.ckpt");
        float[] saved;
        long steps;
        using (var t = Trainer(EmulatorTestBackend.Require()))
        {
            t.Step(); t.Step();
            t.SaveCheckpoint(path);
            saved = t.Backend.ToArray(t.Params);
            steps = t.StepCount;
        }
        using var cpu = Trainer(CpuBackend.Shared);
        cpu.Resume(path);
        Assert.Equal(steps, cpu.StepCount);
        Assert.Equal(saved, cpu.Backend.ToArray(cpu.Params));
        Assert.False(cpu.Step().Skipped);
    }
}
