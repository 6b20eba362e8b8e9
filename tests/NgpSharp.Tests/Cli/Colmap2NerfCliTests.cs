using System.Text.Json;
using NgpSharp.Cli;
using NgpSharp.Data.Colmap;
using NgpSharp.Tests.Data;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp colmap2nerf` in-process on a generated COLMAP project.</summary>
[Collection("Console")]
public sealed class Colmap2NerfCliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ngp-colmap-cli").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static (int code, string output, string error) Ngp(params string[] args) => NgpCli.Run(args);

    string Project(int frames = 8)
    {
        var model = ColmapTestModels.Bunny(frames);
        ColmapWriter.WriteBinary(model, Path.Combine(_dir, "sparse", "0"));
        Directory.CreateDirectory(Path.Combine(_dir, "images"));
        foreach (var im in model.Images) File.WriteAllBytes(Path.Combine(_dir, "images", im.Name), []);
        return _dir;
    }

    [Fact]
    public void WritesTransformsJson()
    {
        var project = Project();
        var output = Path.Combine(_dir, "transforms.json");
        var (code, stdout, error) = Ngp("colmap2nerf", project, "--images", Path.Combine(project, "images"), "--out", output, "--aabb-scale", "8");
        Assert.True(code == 0, error);
        Assert.Contains("8 frames", stdout);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        var root = doc.RootElement;
        Assert.Equal(8, root.GetProperty("aabb_scale").GetInt32());
        Assert.Equal(400, root.GetProperty("w").GetInt32());
        var frames = root.GetProperty("frames").EnumerateArray().ToList();
        Assert.Equal(8, frames.Count);
        var names = frames.Select(f => f.GetProperty("file_path").GetString()!).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.All(names, n => Assert.True(File.Exists(Path.Combine(_dir, n)), n));
        double mean = frames.Average(f =>
        {
            var m = f.GetProperty("transform_matrix");
            return Math.Sqrt(Enumerable.Range(0, 3).Sum(r => Math.Pow(m[r][3].GetDouble(), 2)));
        });
        Assert.Equal(4, mean, 9);
    }

    [Fact]
    public void DefaultAabbScale_Is32()
    {
        var project = Project(3);
        var output = Path.Combine(_dir, "t.json");
        Assert.Equal(0, Ngp("colmap2nerf", project, "--images", Path.Combine(project, "images"), "--out", output, "--quiet").code);
        using var doc = JsonDocument.Parse(File.ReadAllText(output));
        Assert.Equal(32, doc.RootElement.GetProperty("aabb_scale").GetInt32());
    }

    [Theory]
    [InlineData("12")]
    [InlineData("256")]
    public void BadAabbScale_IsAUsageError(string scale)
    {
        var project = Project(2);
        var (code, _, error) = Ngp("colmap2nerf", project, "--images", Path.Combine(project, "images"), "--out", Path.Combine(_dir, "t.json"), "--aabb-scale", scale);
        Assert.Equal(2, code);
        Assert.Contains("--aabb-scale", error);
    }

    [Fact]
    public void MissingImage_And_CorruptModel_AreNamed()
    {
        var project = Project(3);
        var images = Path.Combine(project, "images");
        var victim = Directory.GetFiles(images).Order().First();
        File.Delete(victim);
        var (code, _, error) = Ngp("colmap2nerf", project, "--images", images, "--out", Path.Combine(_dir, "t.json"));
        Assert.Equal(1, code);
        Assert.Contains(Path.GetFileName(victim), error);

        var camerasBin = Path.Combine(project, "sparse", "0", "cameras.bin");
        File.WriteAllBytes(camerasBin, File.ReadAllBytes(camerasBin)[..20]);
        (code, _, error) = Ngp("colmap2nerf", project, "--images", images, "--out", Path.Combine(_dir, "t.json"));
        Assert.Equal(1, code);
        Assert.Contains("cameras.bin", error);
        Assert.False(File.Exists(Path.Combine(_dir, "t.json")));
    }

    [Fact]
    public void MissingOptions_AreUsageErrors()
    {
        Assert.Equal(2, Ngp("colmap2nerf").code);
        Assert.Equal(2, Ngp("colmap2nerf", _dir, "--out", "t.json").code);
        Assert.Equal(2, Ngp("colmap2nerf", _dir, "--images", _dir).code);
        var (code, _, error) = Ngp("colmap2nerf", _dir, "--images", _dir, "--out", "t.json", "--aabb_scale", "4");
        Assert.Equal(2, code);
        Assert.Contains("--aabb-scale", error);
    }
}
