using NgpSharp.Compute.Cuda;
using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Robustness;

/// <summary>`ngp train` mistakes end in one clear line on stderr ("ngp: error: …") and exit code 1 (bad input) or 2 (bad command line).</summary>
[Collection("Console")]
public sealed class ClearErrorsCliTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-errors-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    static string[] Train(params string[] extra) =>
        ["train", "--config", NerfTrainerTests.ConfigPath(), $"dataset.root={TestData.Path("bunny", "nerf")}", "trainer.max_steps=1", .. extra];

    static string OneLine(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line, got:\n{error}");
        Assert.StartsWith("ngp: error: ", lines[0]);
        return lines[0];
    }

    [Fact]
    public void WrongDatasetPath_NamesTheKeyAndThePath()
    {
        string missing = Path.Combine(_tmp, "no-such-scene");
        var (code, _, error) = NgpCli.Run([.. Train($"dataset.root={missing}"), "--device", "cpu", "--out", Path.Combine(_tmp, "a")]);
        Assert.Equal(1, code);
        string line = OneLine(error);
        Assert.Contains("dataset.root", line);
        Assert.Contains(missing, line);
    }

    [Fact]
    public void UnknownConfigKey_SuggestsTheClosestValidOne()
    {
        var (code, _, error) = NgpCli.Run([.. Train("trainer.nan_patiense=2"), "--device", "cpu", "--out", Path.Combine(_tmp, "b")]);
        Assert.Equal(1, code);
        string line = OneLine(error);
        Assert.Contains("trainer.nan_patiense", line);
        Assert.Contains("did you mean trainer.nan_patience?", line);
    }

    [Fact]
    public void DeviceCudaWithoutAGpu_SaysWhy()
    {
        if (CudaBackend.TryCreate(out var gpu, out _)) { gpu!.Dispose(); return; } // a machine with a GPU: nothing to check
        var (code, _, error) = NgpCli.Run([.. Train(), "--device", "cuda", "--out", Path.Combine(_tmp, "c")]);
        Assert.Equal(2, code);
        string line = OneLine(error);
        Assert.Contains("--device cuda", line);
        Assert.Contains("--device cpu", line); // and what to do instead
        Assert.False(Directory.Exists(Path.Combine(_tmp, "c")));
    }
}
