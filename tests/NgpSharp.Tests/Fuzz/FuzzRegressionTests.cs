using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Data.Colmap;
using NgpSharp.Imaging;
using NgpSharp.Nn;
using NgpSharp.Tests.Data;
using Xunit;

namespace NgpSharp.Tests.Fuzz;

/// <summary>The inputs the fuzzers found, minimised where possible: each must now end in our clear exception.</summary>
public sealed class FuzzRegressionTests
{
    [Fact]
    public void Png_ZlibStreamThatZlibCallsAnError_IsAnImageFormatException()
    {
        // A 7×5 16-bit gray Adam7 file with one IDAT byte changed (CRCs fixed): .NET's zlib throws ZLibException (an IOException).
        byte[] file = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFEAAAAAGLZkXRAAAAJ0lEQVR4+WNgYGBkmMLEwsOygJnBi2EnCwsPAw8DExtTANMspieMDKoMXgw9byiiAAAAJ0lEQVReTExsIMjMLMOowajBwsjMoIoEmTmZ9ZiDmSuY5zIfYn4OAGZGCdkKmcDBAAAAAElFTkSuQmCC");
        var e = Assert.Throws<ImageFormatException>(() => Png.Decode(file, "z.png"));
        Assert.StartsWith("z.png: corrupt zlib data in IDAT", e.Message);
    }

    [Fact]
    public void Colmap_ImageNameWithNul_IsAColmapFormatException()
    {
        using var data = new TempDataset();
        string dir = Path.Combine(data.Root, "model");
        ColmapWriter.WriteText(ColmapTestModels.Bunny(frames: 2), dir);
        string images = Path.Combine(dir, "images.txt");
        File.WriteAllText(images, File.ReadAllText(images).Replace("r_0.png", "r_\0.png"));
        var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(dir));
        Assert.Contains("images.txt", e.Message);
        Assert.Contains("cannot be in a file name", e.Message);
    }

    [Theory]
    [InlineData("\"cx\": -1e308", "cx = -1E+308")]
    [InlineData("\"k1\": 1e300", "k1 = 1E+300")]
    [InlineData("\"fl_x\": 1e308", "focal length x = 1E+308")]
    [InlineData("\"fl_x\": 1e-320", "too small")]
    public void InstantNgp_IntrinsicsBeyondFloat_AreADatasetException(string entry, string expected)
    {
        using var data = new TempDataset();
        data.Png("a.png", 4, 4);
        string file = data.Write("transforms.json", $$"""
            {"camera_angle_x": 0.7, {{entry}}, "frames": [{"file_path": "a.png", "transform_matrix": {{TempDataset.Pose(0, 0, 4)}}}]}
            """);
        var e = Assert.Throws<DatasetException>(() => InstantNgpDataset.Load(file));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("dataset:\n  : x\n  kind: ngp\n")]
    [InlineData("dataset:\n  : x\n  kind: ngp\nrenderer:\n  test_background: auto\n  cauto\n  cauto\n  chunk_rays: 1\n")]
    public void Yaml_EmptyKey_IsAConfigException(string yaml)
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfig.Parse(yaml, "bad.yaml"));
        Assert.StartsWith("bad.yaml", e.Message);
    }

    [Theory]
    [InlineData("[", "")]
    [InlineData("a:\n", "  ")]
    [InlineData("- ", "")]
    public void Yaml_DeepNesting_IsAConfigExceptionNotAStackOverflow(string open, string indentPerLevel)
    {
        // YamlStream loads recursively: 5000 levels overflowed the stack and killed the process.
        string yaml = string.Concat(Enumerable.Range(0, 5000).Select(i => string.Concat(Enumerable.Repeat(indentPerLevel, i)) + open));
        var e = Assert.Throws<ConfigException>(() => YamlConfig.Parse(yaml, "deep.yaml"));
        Assert.StartsWith("deep.yaml", e.Message);
        YamlConfig.Parse("a: " + new string('[', 60) + new string(']', 60), "ok.yaml");   // 61 levels: fine
    }

    [Theory]
    [InlineData("""{"encoding": {"otype": "Frequency", "OType": "Identity"}}""", "encoding.OType")]
    [InlineData("""{"a": 1, "a": 2}""", "\"a\"")]
    [InlineData("""{"x": [{"k": 1}, {"k": 1, "K": 2}]}""", "x[1].K")]
    public void JsonConfig_DuplicateKeys_AreAConfigException(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Parse(json, "dup.json"));
        Assert.StartsWith("dup.json: duplicate key", e.Message);
        Assert.Contains(key, e.Message);
    }

    [Fact]
    public void BillionHiddenLayers_IsAConfigExceptionNotAHang()
    {
        var config = JsonConfig.Parse("""{"encoding": {"otype": "Identity"}, "network": {"otype": "MLP", "n_neurons": 16, "n_hidden_layers": 1e9}}""", "deep.json");
        using var backend = new CpuBackend();
        var e = Assert.Throws<ConfigException>(() => ModelFactory.CreateTrainer<float>(backend, 2, 3, config));
        Assert.Contains("n_hidden_layers", e.Message);
    }

    [Fact]
    public void Colmap_TranslationThatOverflowsTheConversion_IsAColmapFormatException()
    {
        // The fuzzer's case: one translation component of one image set to -1e308 (finite, so the reader accepts it).
        var bunny = ColmapTestModels.Bunny(frames: 6);
        var images = bunny.Images.Select(im => im.Name == "r_2.png" ? im with { Tvec = [im.Tvec[0], -1e308, im.Tvec[2]] } : im).ToList();
        var model = new ColmapModel(bunny.Cameras, images, bunny.Points3D);
        var e = Assert.Throws<ColmapFormatException>(() => ColmapToNerf.Convert(model, "images", "transforms.json"));
        Assert.Contains("overflows", e.Message);
    }

    [Fact]
    public void ModelLargerThanOneBuffer_IsAConfigException()
    {
        var config = JsonConfig.Parse("""
            {"encoding": {"otype": "Frequency", "n_frequencies": 4}, "network": {"otype": "MLP", "n_neurons": 1000000000, "n_hidden_layers": 1}}
            """, "big.json");
        using var backend = new CpuBackend();
        var e = Assert.Throws<ConfigException>(() => ModelFactory.CreateTrainer<float>(backend, 2, 3, config));
        Assert.Contains("parameters", e.Message);
        Assert.Contains("n_neurons", e.Message);
    }
}
