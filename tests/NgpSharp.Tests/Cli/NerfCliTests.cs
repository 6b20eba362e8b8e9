using NgpSharp.Cli;
using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp train` and `ngp test` in-process on the bunny at 25×25 with tiny settings.</summary>
[Collection("Console")]
public sealed class NerfCliTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-nerfcli-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    static (int code, string output, string error) Ngp(params string[] args) => NgpCli.Run(args);

    static string[] Small(params string[] extra) =>
    [
        "train", "--config", NerfTrainerTests.ConfigPath(), "--device", "cpu",
        $"dataset.root={TestData.Path("bunny", "nerf")}", "dataset.downscale=16", "dataset.test_split=val",
        "model.grid_resolution=32", "model.grid_warmup_steps=4", "model.grid_update_interval=4",
        "model.encoding={n_levels: 8, log2_hashmap_size: 14}",
        "trainer.initial_rays=256", "trainer.target_samples_per_step=4096", "renderer.max_samples_per_ray=64",
        "renderer.video_frames=2", "renderer.video_downscale=2",
        .. extra,
    ];

    [Fact]
    public void TrainThenTest_WritesTheRunFolder()
    {
        string run = Path.Combine(_tmp, "run");
        var (code, output, error) = Ngp([.. Small("trainer.max_steps=12", "trainer.checkpoint_every=5", "trainer.log_every=4"), "--out", run]);
        Assert.True(code == 0, error + output);
        Assert.True(File.Exists(Path.Combine(run, "config", "parsed.yaml")));
        Assert.Contains("downscale: 16", File.ReadAllText(Path.Combine(run, "config", "parsed.yaml")));
        var csv = File.ReadAllLines(Path.Combine(run, "metrics.csv"));
        Assert.Equal("step,loss,lr,psnr,samples_per_s,rays,samples,trained_samples,skipped", csv[0]);
        Assert.Equal(["4", "8", "12"], csv.Skip(1).Select(l => l.Split(',')[0]));
        Assert.Equal(["step-000005.ckpt", "step-000010.ckpt", "step-000012.ckpt"],
            Directory.GetFiles(Path.Combine(run, "ckpt")).Select(Path.GetFileName).Order());
        Assert.Contains("data-series=\"loss\" data-points=\"3\"", File.ReadAllText(Path.Combine(run, "report.html")));

        (code, output, error) = Ngp("test", "--run", run, "--device", "cpu", "--quiet");
        Assert.True(code == 0, error + output);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i:D3}.png"), Directory.GetFiles(Path.Combine(run, "save", "test")).Select(Path.GetFileName).Order());
        Assert.Equal(10, Directory.GetFiles(Path.Combine(run, "save", "test_depth")).Length);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{i:D3}.png"), Directory.GetFiles(Path.Combine(run, "save", "test_gt")).Select(Path.GetFileName).Order());
        string report = File.ReadAllText(Path.Combine(run, "report.html"));
        Assert.Contains("src=\"save/test/000.png\"", report);
        Assert.Contains("src=\"save/test_gt/000.png\"", report);
        Assert.Contains("train seconds", report);   // training timings survive the test's metrics.json
        var first = NgpSharp.Imaging.Png.Read(Path.Combine(run, "save", "test", "000.png"));
        Assert.Equal((25, 25), (first.Width, first.Height));
        Assert.True(File.Exists(Path.Combine(run, "save", "video.gif")) || File.Exists(Path.Combine(run, "save", "video.mp4")));
        var metrics = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        Assert.Equal(10, (int)metrics["count"]!);
        Assert.Equal(12, (int)metrics["step"]!);
        double psnr = (double)metrics["psnr"]!;
        Assert.InRange(psnr, 5, 60);
    }

    [Fact]
    public void Train_Resume_ContinuesTheStepCount()
    {
        string run = Path.Combine(_tmp, "r");
        Assert.Equal(0, Ngp([.. Small("trainer.max_steps=4", "trainer.checkpoint_every=0", "trainer.log_every=2"), "--out", run, "--quiet"]).code);
        var (code, _, error) = Ngp([.. Small("trainer.max_steps=6", "trainer.checkpoint_every=0", "trainer.log_every=2"), "--out", run, "--quiet",
            "--resume", Path.Combine(run, "ckpt", "step-000004.ckpt")]);
        Assert.True(code == 0, error);
        Assert.True(File.Exists(Path.Combine(run, "ckpt", "step-000006.ckpt")));
        Assert.Equal(["2", "4", "6"], File.ReadAllLines(Path.Combine(run, "metrics.csv")).Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public void Train_BadDatasetPath_SaysWhich()
    {
        var (code, _, error) = Ngp([.. Small("dataset.root=/nonexistent/bunny", "trainer.max_steps=1"), "--out", Path.Combine(_tmp, "x")]);
        Assert.Equal(1, code);
        Assert.Contains("dataset.root", error);
        Assert.Contains("/nonexistent/bunny", error);
        Assert.False(Directory.Exists(Path.Combine(_tmp, "x")));
    }

    [Fact]
    public void Train_MisspelledKey_SuggestsTheClosest()
    {
        var (code, _, error) = Ngp([.. Small("trainer.max_stepz=5"), "--out", Path.Combine(_tmp, "y")]);
        Assert.Equal(1, code);
        Assert.Contains("trainer.max_stepz", error);
        Assert.Contains("did you mean trainer.max_steps?", error);
    }

    [Fact]
    public void Test_WithoutRunFolder_IsAClearError()
    {
        var (code, _, error) = Ngp("test", "--run", Path.Combine(_tmp, "none"));
        Assert.Equal(1, code);
        Assert.Contains("run folder not found", error);
    }
}
