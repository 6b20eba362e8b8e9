using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp demo`: the embedded bunny → dataset → NeRF → NeuS → mesh, end to end at the --quick budget.</summary>
[Collection("Console")]
public sealed partial class DemoCliTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-demo-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Fact]
    public void Quick_WritesDatasetRunsRendersMeshReportsAndSummary()
    {
        string out_ = Path.Combine(_tmp, "demo");
        // A folder an earlier demo wrote: its stale checkpoint must not survive (ngp test would pick the latest one).
        string stale = Path.Combine(out_, "nerf", "ckpt", "step-999999.ckpt");
        Directory.CreateDirectory(Path.GetDirectoryName(stale)!);
        File.WriteAllText(stale, "stale");
        File.WriteAllText(Path.Combine(out_, NgpSharp.Cli.Commands.DemoCommand.MarkerFile), "");

        var (code, output, error) = NgpCli.Run("demo", "--quick", "--quiet", "--device", "cpu", "--out", out_);
        Assert.True(code == 0, error + output);
        Assert.False(File.Exists(stale));

        // The dataset: both layouts and the reference geometry, rendered from the embedded model.
        string data = Path.Combine(out_, "data");
        foreach (var f in new[] { "bunny.obj", "transforms_train.json", "transforms_val.json", "transforms_test.json", "gt_mesh.obj", "train/r_0.png", "test/r_2.png", "dtu/cameras_sphere.npz", "dtu/image/017.png", "dtu/mask/017.png" })
            Assert.True(File.Exists(Path.Combine(data, f)), f);
        Assert.Equal(16 + 2, Directory.GetFiles(Path.Combine(data, "dtu", "image")).Length);
        Assert.Equal(1839, File.ReadLines(Path.Combine(data, "bunny.obj")).Count(l => l.StartsWith("v ")));

        // Both runs: checkpoint, test renders beside ground truth, an orbit video, metrics and report.
        foreach (var run in new[] { "nerf", "neus" })
        {
            string root = Path.Combine(out_, run);
            Assert.Single(Directory.GetFiles(Path.Combine(root, "ckpt")));
            int views = Directory.GetFiles(Path.Combine(root, "save", "test"), "*.png").Length;
            Assert.Equal(3, views); // nerf: the 3 test views; neus: held-out DTU views 0, 8, 16 of 18
            Assert.Equal(views, Directory.GetFiles(Path.Combine(root, "save", "test_gt"), "*.png").Length);
            Assert.Single(Directory.GetFiles(Path.Combine(root, "save"), "video.*"));
            string report = File.ReadAllText(Path.Combine(root, "report.html"));
            Assert.Contains("src=\"save/test/000.png\"", report);
            Assert.Contains("data-series=\"loss\"", report);
        }
        Assert.Equal(3, Directory.GetFiles(Path.Combine(out_, "neus", "save", "test_normal")).Length);
        var mesh = NgpSharp.Geometry.MeshIo.MeshFile.Read(Path.Combine(out_, "neus", "save", "mesh.ply"));
        Assert.True(mesh.TriangleCount > 100, $"{mesh.TriangleCount} triangles");
        Assert.NotNull(mesh.Colors);

        // The summary: printed even with --quiet, finite, and the same numbers as summary.json and the runs' metrics.
        double nerfPsnr = Value(NerfLine(), output), neusPsnr = Value(NeusPsnr(), output), fScore = Value(NeusFScore(), output);
        Assert.InRange(nerfPsnr, 5, 60);
        Assert.InRange(neusPsnr, 5, 60);
        Assert.InRange(fScore, 0, 1);
        Assert.Matches(DoneLine(), output);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(out_, "summary.json")))!;
        Assert.Equal("quick", (string)summary["budget"]!);
        Assert.Equal(nerfPsnr, (double)summary["nerf"]!["psnr"]!, 2);
        Assert.Equal(fScore, (double)summary["neus"]!["f_score"]!, 4);
        Assert.True((bool)summary["neus"]!["mesh_coloured"]!);
        Assert.Equal(30, (long)summary["nerf"]!["steps"]!);
        Assert.Equal(10, (long)summary["neus"]!["steps"]!);
        Assert.True((double)summary["seconds"]! > 0 && (double)summary["cpu_seconds"]! > 0);
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(out_, "nerf", "metrics.json")))!;
        Assert.Equal((double)metrics["psnr"]!, nerfPsnr, 2);
    }

    [Fact]
    public void RefusesAFolderItDidNotWrite()
    {
        string foreign = Path.Combine(_tmp, "mine");
        Directory.CreateDirectory(foreign);
        File.WriteAllText(Path.Combine(foreign, "precious.txt"), "keep");
        var (code, _, error) = NgpCli.Run("demo", "--quick", "--quiet", "--device", "cpu", "--out", foreign);
        Assert.Equal(2, code);
        Assert.Contains("not written by ngp demo", error);
        Assert.True(File.Exists(Path.Combine(foreign, "precious.txt")));
    }

    [Theory]
    [InlineData("--seconds-scale", "0", "--seconds-scale")]
    [InlineData("--seconds-scale", "fast", "--seconds-scale")]
    [InlineData("trainer.max_steps=5", null, "no config overrides")]
    [InlineData("extra", null, "takes no arguments")]
    [InlineData("--quik", null, "--quick")]
    public void BadArguments_Exit2_BeforeWritingAnything(string arg, string? value, string expected)
    {
        string dir = Path.Combine(_tmp, "x");
        string[] args = value is null ? ["demo", arg, "--out", dir] : ["demo", arg, value, "--out", dir];
        var (code, _, error) = NgpCli.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, error);
        Assert.False(Directory.Exists(dir));
    }

    static double Value(Regex pattern, string output)
    {
        var m = pattern.Match(output);
        Assert.True(m.Success, $"no match for {pattern} in:\n{output}");
        double v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(double.IsFinite(v));
        return v;
    }

    [GeneratedRegex(@"NeRF +test PSNR ([0-9.]+) dB")] private static partial Regex NerfLine();
    [GeneratedRegex(@"NeuS +test PSNR ([0-9.]+) dB")] private static partial Regex NeusPsnr();
    [GeneratedRegex(@"F-score ([0-9.]+)")] private static partial Regex NeusFScore();
    [GeneratedRegex(@"ngp demo done in [0-9.]+ (s|min)")] private static partial Regex DoneLine();
}
