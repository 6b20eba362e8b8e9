using NgpSharp.Cli;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Cli;

[CollectionDefinition("Console", DisableParallelization = true)]
public class ConsoleCollection;

/// <summary>Runs `ngp` in-process and captures what it prints.</summary>
[Collection("Console")]
public class CliTests
{
    static (int code, string output, string error) Ngp(params string[] args) => NgpCli.Run(args);

    [Fact]
    public void UnknownCommand_Exits2_AndListsCommands()
    {
        var (code, _, error) = Ngp("trian");
        Assert.Equal(2, code);
        Assert.Contains("unknown command", error);
        Assert.Contains("image", error);
    }

    [Fact]
    public void MissingPicture_NamesTheFile()
    {
        var (code, _, error) = Ngp("image", "no/such/picture.png", "--quiet");
        Assert.Equal(1, code);
        Assert.Contains("no/such/picture.png", error);
    }

    [Fact]
    public void MisspelledOption_SuggestsTheRightOne()
    {
        var (code, _, error) = Ngp("image", TestData.Path("images", "camera.png"), "--stepz", "5");
        Assert.Equal(2, code);
        Assert.Contains("--steps", error);
    }

    [Fact]
    public void BadConfig_NamesTheKey()
    {
        var dir = Directory.CreateTempSubdirectory("ngp-cli").FullName;
        try
        {
            var config = Path.Combine(dir, "bad.json");
            File.WriteAllText(config, """{"encoding": {"otype": "HashGridd"}, "network": {"otype": "FullyFusedMLP"}}""");
            var (code, _, error) = Ngp("image", TestData.Path("images", "camera.png"), "--config", config, "--steps", "1", "--quiet", "--out", dir);
            Assert.Equal(1, code);
            Assert.Contains("encoding.otype", error);
            Assert.Contains("HashGridd", error);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void CudaRequested_SaysWhyNot()
    {
        if (NgpSharp.Compute.Cuda.CudaBackend.TryCreate(out var cuda, out _)) { cuda!.Dispose(); return; } // a GPU machine: nothing to refuse
        var (code, _, error) = Ngp("bench", "--device", "cuda");
        Assert.Equal(2, code);
        Assert.Contains("--device cuda", error);
        (code, _, error) = Ngp("selftest");
        Assert.Equal(2, code);
    }

    [Fact]
    public void ImageWithoutPicture_LearnsTheEmbeddedOne_WritesTheFinalPictureAndMetrics()
    {
        var dir = Directory.CreateTempSubdirectory("ngp-image").FullName;
        try
        {
            var (code, output, error) = Ngp("image", "--steps", "20", "--batch", "8192", "--out", dir, "--device", "cpu");
            Assert.True(code == 0, error);
            Assert.Contains("final PSNR", output);
            Assert.True(File.Exists(Path.Combine(dir, "final.png")));
            Assert.True(File.Exists(Path.Combine(dir, "metrics.csv")));
            Assert.True(File.Exists(Path.Combine(dir, "reference.png")));
            string report = File.ReadAllText(Path.Combine(dir, "report.html"));
            Assert.Contains("src=\"final.png\"", report);
            Assert.Contains("src=\"reference.png\"", report);
            Assert.Contains("data-series=\"loss\"", report);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BenchJson_HasTheImageTrainingFigure()
    {
        var (code, output, error) = Ngp("bench", "--task", "image", "--batch", "4096", "--json", "--device", "cpu");
        Assert.True(code == 0, error);
        var json = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        Assert.Equal(4096, json["primary_batch"]!.GetValue<int>());
        Assert.True(json["image_train_samples_per_s"]!.GetValue<double>() > 0);
    }
}
