using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Robustness;

/// <summary>
/// `ngp train --out RUN --resume` after a crash: a run stopped after its step-4 checkpoint whose later (final) checkpoint
/// is deleted, as if the process died before writing it, continues from step 4 and ends bit-identical to a run that was
/// never interrupted (the same final checkpoint bytes), with one metrics.csv row per logged step.
/// </summary>
[Collection("Console")]
public sealed class KillAndResumeCliTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-resume-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    static string[] Nerf(int steps, params string[] extra) =>
    [
        "train", "--config", NerfTrainerTests.ConfigPath(), "--device", "cpu", "--quiet",
        $"dataset.root={TestData.Path("bunny", "nerf")}", "dataset.downscale=16",
        "model.grid_resolution=16", "model.grid_warmup_steps=2", "model.grid_update_interval=2",
        "model.encoding={n_levels: 4, log2_hashmap_size: 12}",
        "trainer.initial_rays=64", "trainer.target_samples_per_step=1024", "renderer.max_samples_per_ray=64",
        $"trainer.max_steps={steps}", "trainer.checkpoint_every=4", "trainer.log_every=2", "trainer.keep_checkpoints=0",
        .. extra,
    ];

    static string[] Neus(int steps, params string[] extra) =>
    [
        "train", "--config", NeusTrainerTests.ConfigPath("neus-dtu.yaml"), "--device", "cpu", "--quiet",
        $"dataset.root={TestData.Path("bunny", "dtu")}", "dataset.downscale=16",
        "model.grid_resolution=16", "model.num_samples_per_ray=64", "model.train_num_rays=16", "model.target_samples_per_step=512",
        "model.geometry.xyz_encoding_config.n_levels=4", "model.geometry.xyz_encoding_config.log2_hashmap_size=12",
        $"trainer.max_steps={steps}", "trainer.checkpoint_every=4", "trainer.log_every=2", "trainer.keep_checkpoints=0",
        .. extra,
    ];

    [Fact]
    public void Nerf_KilledRun_ResumesFromTheNewestCheckpoint_BitIdentically() => KillAndResume(Nerf);

    [Fact]
    public void Neus_KilledRun_ResumesFromTheNewestCheckpoint_BitIdentically() => KillAndResume(Neus, "latest");

    void KillAndResume(Func<int, string[], string[]> args, string? resumeWord = null)
    {
        string straight = Path.Combine(_tmp, "straight"), killed = Path.Combine(_tmp, "killed");
        Run([.. args(10, []), "--out", straight]);

        Run([.. args(6, []), "--out", killed]);                         // checkpoints at 4 and 6 (the final one)
        File.Delete(Path.Combine(killed, "ckpt", "step-000006.ckpt"));   // the crash came before the final checkpoint
        Run([.. args(10, []), "--out", killed, "--resume", .. resumeWord is null ? Array.Empty<string>() : [resumeWord]]);

        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "ckpt", "step-000010.ckpt")), File.ReadAllBytes(Path.Combine(killed, "ckpt", "step-000010.ckpt")));
        var rows = File.ReadAllLines(Path.Combine(killed, "metrics.csv"));
        var reference = File.ReadAllLines(Path.Combine(straight, "metrics.csv"));
        Assert.Equal(reference[0], rows[0]);
        Assert.Equal(["2", "4", "6", "8", "10"], rows.Skip(1).Select(l => l.Split(',')[0]));
        // Same losses row by row (samples/s, a timing, differs).
        Assert.Equal(reference.Skip(1).Select(l => l.Split(',')[1]), rows.Skip(1).Select(l => l.Split(',')[1]));
    }

    [Fact]
    public void Resume_WithoutOut_OrWithoutCheckpoints_IsAClearError()
    {
        var (code, _, error) = NgpCli.Run([.. Nerf(2), "--resume"]);
        Assert.Equal(2, code);
        Assert.Contains("--resume without a checkpoint path", error);

        string run = Path.Combine(_tmp, "empty");
        Directory.CreateDirectory(Path.Combine(run, "config"));
        File.WriteAllText(Path.Combine(run, "config", "parsed.yaml"), "name: x\n");
        (code, _, error) = NgpCli.Run([.. Nerf(2), "--out", run, "--resume", "latest"]);
        Assert.Equal(1, code);
        Assert.Contains("holds no step-*.ckpt checkpoint", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    static void Run(string[] args)
    {
        var (code, output, error) = NgpCli.Run(args);
        Assert.True(code == 0, $"ngp {string.Join(' ', args)} → {code}\n{error}{output}");
    }
}
