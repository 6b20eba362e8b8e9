using NgpSharp.Data;
using NgpSharp.Tests.Rendering.Raytracing;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp render-dataset` in-process.</summary>
[Collection("Console")]
public sealed class RenderDatasetCliTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void WritesADatasetThatLoads()
    {
        var model = _dir.Write("cube.obj", TestMeshes.Cube());
        string output = Path.Combine(_dir.Path, "out");
        var (code, stdout, error) = NgpCli.Run("render-dataset", model, "--out", output, "--res", "20", "--train", "3", "--val", "1",
            "--test", "2", "--spp", "2", "--seed", "1", "--format", "both", "--no-shadows");
        Assert.True(code == 0, error);
        Assert.Contains("6 views (train, val, test)", stdout);
        Assert.Contains("primary rays/s", stdout);
        Assert.Contains("scale 1.38564", stdout); // 1.2 / (√3·0.5): the cube corner lands on the radius-1.2 sphere
        Assert.Equal(3, BlenderDataset.Load(output, "train").Count);
        Assert.Equal(2, BlenderDataset.Load(output, "test").Count);
        Assert.Equal(4, Directory.GetFiles(Path.Combine(output, "dtu", "mask")).Length);
        Assert.True(File.Exists(Path.Combine(output, "gt_mesh.obj")));
    }

    [Fact]
    public void QuietPrintsNothing_AndDtuOnlyWritesNoNerfFiles()
    {
        var model = _dir.Write("cube.obj", TestMeshes.Cube());
        string output = Path.Combine(_dir.Path, "out");
        var (code, stdout, error) = NgpCli.Run("render-dataset", model, "--out", output, "--res", "8", "--train", "2", "--val", "0", "--test", "0", "--format", "dtu", "--quiet");
        Assert.True(code == 0, error);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(Path.Combine(output, "transforms_train.json")));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(output, "dtu", "image")).Length);
    }

    [Theory]
    [InlineData("--format", "blender", "expected nerf, dtu or both")]
    [InlineData("--spp", "0", "--spp: expected an integer ≥ 1")]
    [InlineData("--up", "x", "expected y or z")]
    [InlineData("--radius", "-1", "expected a positive number")]
    [InlineData("--radius", "5", "camera distance 4 must exceed the object radius 5")]
    [InlineData("--sp", "4", "unknown option --sp (did you mean --spp?)")]
    public void BadOptions_AreUsageErrors(string option, string value, string message)
    {
        var model = _dir.Write("cube.obj", TestMeshes.Cube());
        var (code, _, error) = NgpCli.Run("render-dataset", model, "--out", Path.Combine(_dir.Path, "out"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void MissingOut_OrModel_AreErrorsNamingWhatIsMissing()
    {
        var (code, _, error) = NgpCli.Run("render-dataset", "x.obj");
        Assert.Equal(2, code);
        Assert.Contains("needs --out", error);

        string missing = Path.Combine(_dir.Path, "missing.obj");
        (code, _, error) = NgpCli.Run("render-dataset", missing, "--out", Path.Combine(_dir.Path, "out"));
        Assert.Equal(1, code);
        Assert.Contains(missing, error);

        var bad = _dir.Write("bad.obj", "v 0 0 0\nf 1 2 3\n");
        (code, _, error) = NgpCli.Run("render-dataset", bad, "--out", Path.Combine(_dir.Path, "out"));
        Assert.Equal(1, code);
        Assert.Contains("bad.obj:2", error);
    }

    [Fact]
    public void AllowMissing_WarnsAndRenders()
    {
        var model = _dir.Write("m.obj", "mtllib gone.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl a\nf 1 2 3\n");
        string output = Path.Combine(_dir.Path, "out");
        var (code, _, error) = NgpCli.Run("render-dataset", model, "--out", output, "--res", "8", "--train", "1", "--val", "0", "--test", "0");
        Assert.Equal(1, code);
        Assert.Contains("gone.mtl", error);
        (code, _, error) = NgpCli.Run("render-dataset", model, "--out", output, "--res", "8", "--train", "1", "--val", "0", "--test", "0", "--allow-missing", "--quiet");
        Assert.Equal(0, code);
        Assert.Contains("warning", error);
        Assert.Contains("gone.mtl", error);
    }

    [Fact]
    public void HelpListsTheCommand()
    {
        var (code, stdout, _) = NgpCli.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("ngp render-dataset <model.obj> --out DIR", stdout);
    }
}
