using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp train` / `ngp test` with the nerf-blender config on a generated NeuS/DTU folder (9 views of 12×12, a few steps).</summary>
[Collection("Console")]
public sealed class DtuCliTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-dtucli-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Fact]
    public void TrainAndTestOnADtuFolder()
    {
        using var scan = new NgpSharp.Tests.Data.TempDtu(views: 9, width: 12, height: 12);
        string run = Path.Combine(_tmp, "run");
        var (code, output, error) = NgpCli.Run(
            "train", "--config", NerfTrainerTests.ConfigPath(), "--device", "cpu", "--out", run,
            $"dataset.root={scan.Root}", "dataset.kind=dtu",
            "model.grid_resolution=32", "model.grid_warmup_steps=2", "model.grid_update_interval=2",
            "model.encoding={n_levels: 4, log2_hashmap_size: 12}",
            "trainer.max_steps=3", "trainer.checkpoint_every=0", "trainer.log_every=1", "trainer.initial_rays=128",
            "trainer.target_samples_per_step=2048", "renderer.max_samples_per_ray=32",
            "renderer.video_frames=2", "renderer.video_downscale=2");
        Assert.True(code == 0, error + output);
        Assert.Contains("9 train views, 12×12", output + error);
        Assert.Contains("kind: dtu", File.ReadAllText(Path.Combine(run, "config", "parsed.yaml")));

        (code, output, error) = NgpCli.Run("test", "--run", run, "--device", "cpu", "--quiet");
        Assert.True(code == 0, error + output);
        // the held-out test split: every 8th view (0 and 8)
        Assert.Equal(2, Directory.GetFiles(Path.Combine(run, "save", "test")).Length);
    }
}
