using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Systems;

public sealed class NerfTrainerTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-nerf-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    /// <summary>The shipped config on the bunny at 50×50, with a small network, grid and step for fast tests.</summary>
    internal static NerfSettings SmallBunny(params string[] extra) => YamlConfig.Load<NerfSettings>(ConfigPath(),
    [
        $"dataset.root={TestData.Path("bunny", "nerf")}", "dataset.downscale=8",
        "model.grid_resolution=32", "model.grid_warmup_steps=4", "model.grid_update_interval=4",
        "model.encoding={n_levels: 8, log2_hashmap_size: 14, n_features_per_level: 2}",
        "trainer.initial_rays=256", "trainer.target_samples_per_step=4096", "renderer.max_samples_per_ray=256",
        .. extra,
    ]);

    internal static string ConfigPath()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "configs", "nerf-blender.yaml"))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new FileNotFoundException("configs/nerf-blender.yaml not found"), "configs", "nerf-blender.yaml");
    }

    /// <summary>The 100 training views at 50×50, decoded once for all tests here (decoding dominates otherwise).</summary>
    static readonly Lazy<NgpSharp.Data.NerfDataset> BunnyTrain = new(() => { var s = SmallBunny(); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    static NerfTrainer Trainer(NerfSettings s)
    {
        var data = BunnyTrain.Value;
        var t = new NerfTrainer(s, data, CpuBackend.Shared);
        t.MarkUnseenCells();
        return t;
    }

    [Fact]
    public void ShippedConfig_HasInstantNgpSyntheticDefaults()
    {
        var s = YamlConfig.Load<NerfSettings>(ConfigPath(), ["dataset.root=/x"]);
        Assert.Equal("/x", s.Dataset.Root);
        Assert.Equal(0f, s.Renderer.ConeAngle);
        Assert.Equal(NerfBackground.Random, s.Renderer.Background);
        Assert.Equal(128, s.Model.GridResolution);
        Assert.Equal(1 << 15, s.Trainer.TargetSamplesPerStep);
    }

    [Fact]
    public void ThirtySteps_LowerTheLoss_AndAdaptRays()
    {
        using var t = Trainer(SmallBunny());
        Assert.Equal(1, t.Grid.Cascades);
        var steps = Enumerable.Range(0, 30).Select(_ => t.Step()).ToList();
        Assert.All(steps, s => Assert.False(s.Skipped));
        Assert.Equal(30, t.StepCount);
        double first = steps.Take(5).Average(s => s.Loss), last = steps.Skip(25).Average(s => s.Loss);
        Assert.True(last < 0.7 * first, $"loss {first:E3} → {last:E3}");
        Assert.True(steps[^1].Samples > 0);
        // The ray count follows the sample target (within a factor of 2 of 4096 samples on the last steps).
        Assert.InRange(steps.Skip(20).Average(s => s.Samples), 2048, 8192);
    }

    [Fact]
    public void Resume_ContinuesBitIdentically()
    {
        var s = SmallBunny();
        float[] straight;
        using (var a = Trainer(s))
        {
            for (int i = 0; i < 6; i++) a.Step();
            straight = a.Params.Backend.ToArray(a.Params);
        }
        string ckpt = Path.Combine(_tmp, "half.ckpt");
        using (var b = Trainer(s))
        {
            for (int i = 0; i < 3; i++) b.Step();
            b.SaveCheckpoint(ckpt);
        }
        using var c = Trainer(s);
        c.Resume(ckpt);
        Assert.Equal(3, c.StepCount);
        for (int i = 0; i < 3; i++) c.Step();
        var resumed = c.Params.Backend.ToArray(c.Params);
        Assert.Equal(straight.Length, resumed.Length);
        int diff = 0;
        for (int i = 0; i < straight.Length; i++) if (BitConverter.SingleToInt32Bits(straight[i]) != BitConverter.SingleToInt32Bits(resumed[i])) diff++;
        Assert.Equal(0, diff);
    }

    [Fact]
    public void Compaction_TrainsOnTheSameGradients()
    {
        // One step from the same state: only the samples after early termination are dropped, and those have zero
        // gradient, so the updates agree up to summation order.
        using var full = Trainer(SmallBunny("trainer.compaction=false"));
        using var compact = Trainer(SmallBunny("trainer.compaction=true"));
        var a = full.Step();
        var b = compact.Step();
        Assert.Equal(a.Loss, b.Loss, 5);
        Assert.True(b.UsedSamples <= a.Samples);
        var pa = full.Params.Backend.ToArray(full.Params);
        var pb = compact.Params.Backend.ToArray(compact.Params);
        double maxDiff = 0;
        for (int i = 0; i < pa.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(pa[i] - pb[i]));
        Assert.True(maxDiff < 1e-5, $"max parameter difference {maxDiff}");
        // Later steps with compaction see at most the target's order of trained samples.
        for (int i = 0; i < 10; i++) b = compact.Step();
        Assert.InRange(b.UsedSamples, 1, 4 * 4096);
    }

    [Fact]
    public void Resume_RejectsForeignAndTruncatedFiles()
    {
        using var t = Trainer(SmallBunny());
        string bad = Path.Combine(_tmp, "bad.ckpt");
        File.WriteAllText(bad, "not a checkpoint at all");
        var e = Assert.Throws<InvalidDataException>(() => t.Resume(bad));
        Assert.Contains(bad, e.Message);
        string ckpt = Path.Combine(_tmp, "ok.ckpt");
        t.SaveCheckpoint(ckpt);
        var bytes = File.ReadAllBytes(ckpt);
        File.WriteAllBytes(bad, bytes[..(bytes.Length / 2)]);
        e = Assert.Throws<InvalidDataException>(() => t.Resume(bad));
        Assert.StartsWith(bad, e.Message);
    }

    [Fact]
    public void InstantNsrPlKeys_AreAccepted()
    {
        string yaml = Path.Combine(_tmp, "nsr.yaml");
        File.WriteAllText(yaml, "dataset:\n  root_dir: /data/lego\ntrainer:\n  max_steps: 777\n  log_every_n_steps: 5\nrenderer:\n  background_color: white\n");
        var s = YamlConfig.Load<NerfSettings>(yaml);
        Assert.Equal("/data/lego", s.Dataset.Root);
        Assert.Equal(777, s.Trainer.MaxSteps);
        Assert.Equal(5, s.Trainer.LogEvery);
        Assert.Equal(NerfBackground.White, s.Renderer.Background);
    }
}
