using NgpSharp.Compute;
using NgpSharp.Systems;
using NgpSharp.Tests.Config;
using Xunit;

namespace NgpSharp.Tests.Systems;

public sealed class RunDirectoryTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-run-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Fact]
    public void Create_MakesNamedTimestampedLayout()
    {
        var when = new DateTime(2026, 11, 22, 9, 5, 7);
        var run = RunDirectory.Create(Path.Combine(_tmp, "exp"), "nerf-blender-lego", "baseline", when);
        Assert.Equal(Path.Combine(_tmp, "exp", "nerf-blender-lego", "baseline@20261122-090507"), run.Root);
        Assert.True(Directory.Exists(run.ConfigDir));
        Assert.True(Directory.Exists(run.CheckpointDir));
        Assert.True(Directory.Exists(run.SaveDir));
        Assert.Equal(Path.Combine(run.Root, "config", "parsed.yaml"), run.ParsedConfigPath);
        var again = RunDirectory.Create(Path.Combine(_tmp, "exp"), "nerf-blender-lego", "baseline", when);
        Assert.Equal(run.Root + "-1", again.Root);
        var odd = RunDirectory.Create(Path.Combine(_tmp, "exp"), "a/b", "", when);
        Assert.Equal(Path.Combine(_tmp, "exp", "a_b", "@20261122-090507"), odd.Root);
    }

    [Fact]
    public void CreateAt_UsesExplicitFolder_OpenNeedsParsedConfig()
    {
        string dir = Path.Combine(_tmp, "out");
        var run = RunDirectory.CreateAt(dir);
        Assert.Equal(dir, run.Root);
        Assert.Throws<FileNotFoundException>(() => RunDirectory.Open(dir));
        run.WriteParsedConfig(new RunSettings { Dataset = new() { Root = "/d" } });
        Assert.Equal(run.Root, RunDirectory.Open(dir).Root);
        var loaded = NgpSharp.Config.YamlConfig.Load<RunSettings>(run.ParsedConfigPath);
        Assert.Equal("/d", loaded.Dataset.Root);
        Assert.Throws<DirectoryNotFoundException>(() => RunDirectory.Open(Path.Combine(_tmp, "nope")));
    }

    [Fact]
    public void Checkpoints_NamedByStep_LatestAndKeepLast()
    {
        var run = RunDirectory.CreateAt(Path.Combine(_tmp, "r"));
        Assert.Null(run.LatestCheckpoint());
        Assert.Equal(Path.Combine(run.CheckpointDir, "step-000500.ckpt"), run.CheckpointPath(500));
        Assert.Equal("step-1234567.ckpt", Path.GetFileName(run.CheckpointPath(1234567)));
        foreach (long step in new long[] { 1000, 200, 30000, 5000 }) AtomicFile.WriteAllText(run.CheckpointPath(step), step.ToString());
        File.WriteAllText(Path.Combine(run.CheckpointDir, ".step-999999.ckpt.1.tmp"), "partial");
        File.WriteAllText(Path.Combine(run.CheckpointDir, "notes.txt"), "x");
        Assert.Equal(run.CheckpointPath(30000), run.LatestCheckpoint());
        Assert.Equal([200L, 1000, 5000, 30000], run.Checkpoints().Select(c => c.Step));
        var deleted = run.KeepLastCheckpoints(2);
        Assert.Equal([run.CheckpointPath(200), run.CheckpointPath(1000)], deleted);
        Assert.Equal([5000L, 30000], run.Checkpoints().Select(c => c.Step));
        Assert.Empty(run.KeepLastCheckpoints(0));
        Assert.Equal(2, run.Checkpoints().Count);
    }

    [Fact]
    public void AtomicWrites_LeaveNoTempFiles_AndReplace()
    {
        string dir = Path.Combine(_tmp, "atomic");
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "a.txt");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        AtomicFile.WriteAllBytes(Path.Combine(dir, "b.bin"), [1, 2, 3], flushToDisk: true);
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(Path.Combine(dir, "b.bin")));
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s => { s.WriteByte(9); throw new InvalidOperationException("boom"); }));
        Assert.Equal("two", File.ReadAllText(path)); // the old content survives a failed write
        Assert.Equal(["a.txt", "b.bin"], Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void TrainerAndPng_WriteAtomically_NoTempFiles()
    {
        string dir = Path.Combine(_tmp, "png");
        Directory.CreateDirectory(dir);
        var img = new NgpSharp.Imaging.Image(2, 2, 3);
        NgpSharp.Imaging.Png.Write(Path.Combine(dir, "x.png"), img);
        Assert.Equal(["x.png"], Directory.GetFiles(dir).Select(Path.GetFileName));
        Assert.Equal(2, NgpSharp.Imaging.Png.Read(Path.Combine(dir, "x.png")).Width);
    }

    [Fact]
    public void MetricsLog_WritesHeaderAndRows_AppendsAndTruncatesOnResume()
    {
        var run = RunDirectory.CreateAt(Path.Combine(_tmp, "m"));
        string[] cols = ["step", "loss", "lr", "psnr", "samples_per_s"];
        using (var log = run.OpenMetrics(cols))
        {
            log.Append(100, 0.5, 0.01, 20.25, 1e6);
            log.Append(200, 0.25, 0.01, 22.5, 1.5e6);
            log.Flush();
            Assert.Equal(3, File.ReadAllLines(run.MetricsCsvPath).Length);
            log.Append(300, 0.125, 0.01, 24, 2e6);
            Assert.Throws<ArgumentException>(() => log.Append(1, 2));
        }
        var lines = File.ReadAllLines(run.MetricsCsvPath);
        Assert.Equal(["step,loss,lr,psnr,samples_per_s", "100,0.5,0.01,20.25,1000000", "200,0.25,0.01,22.5,1500000", "300,0.125,0.01,24,2000000"], lines);
        using (var log = run.OpenMetrics(cols, resumeStep: 200)) log.Append(250, 0.2, 0.01, 23, 1e6);
        Assert.Equal(["step,loss,lr,psnr,samples_per_s", "100,0.5,0.01,20.25,1000000", "200,0.25,0.01,22.5,1500000", "250,0.2,0.01,23,1000000"], File.ReadAllLines(run.MetricsCsvPath));
        Assert.Throws<InvalidDataException>(() => run.OpenMetrics(["step", "other"]));
    }
}
