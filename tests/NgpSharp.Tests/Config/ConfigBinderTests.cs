using NgpSharp.Config;
using Xunit;

namespace NgpSharp.Tests.Config;

public class ConfigBinderTests
{
    static T Bind<T>(string yaml, params string[] overrides) where T : class
    {
        var root = YamlConfig.Parse(yaml, "run.yaml");
        YamlConfig.ApplyOverrides(root, overrides);
        return ConfigBinder.Bind<T>(ConfigInterpolation.Resolve(root));
    }

    const string Minimal = "dataset:\n  root: /data/lego\n";

    [Fact]
    public void Defaults_ComeFromRecordDefinitions_NestedPartialKeepsParentDefault()
    {
        var s = Bind<RunSettings>(Minimal + "trainer:\n  verbose: true\n");
        Assert.Equal("nerf", s.Name);
        Assert.Equal(42UL, s.Seed);
        Assert.Equal(30000, s.Trainer.MaxSteps); // parent's default for the nested record, not TrainerSettings' 20000
        Assert.True(s.Trainer.Verbose);
        Assert.Equal(1e-2f, s.Trainer.LearningRate);
        Assert.Null(s.Trainer.MaxSeconds);
        Assert.Equal(Background.Random, s.Model.BackgroundColor);
        Assert.Equal(30000, new RunSettings().Trainer.MaxSteps); // the default instance was cloned, not changed
        Assert.False(new RunSettings().Trainer.Verbose);
    }

    [Fact]
    public void Binds_AllSupportedKinds()
    {
        var s = Bind<RunSettings>("""
            name: lego
            seed: 7
            note: hi
            dataset:
              root: /data/lego
              downscale: 4
              img_wh: [400, 300]
            trainer:
              maxSteps: 123
              max_seconds: 60
              learning_rate: 0.1
              milestones: [1, 2]
            model:
              radius: 2
              background_color: WHITE
              density_activation: trunc_exp
              xyz_encoding_config:
                otype: HashGrid
                n_levels: 16
                per_level_scale: 1.447
              extra: {a: 1, b: 2.5}
            """);
        Assert.Equal("lego", s.Name);
        Assert.Equal(7UL, s.Seed);
        Assert.Equal("hi", s.Note);
        Assert.Equal(4, s.Dataset.Downscale);
        Assert.Equal([400, 300], s.Dataset.ImageSize);
        Assert.Equal(123, s.Trainer.MaxSteps);
        Assert.Equal(60.0, s.Trainer.MaxSeconds);
        Assert.Equal(0.1f, s.Trainer.LearningRate);
        Assert.Equal([1, 2], s.Trainer.Milestones);
        Assert.Equal(2.0, s.Model.Radius);
        Assert.Equal(Background.White, s.Model.BackgroundColor);
        Assert.Equal(DensityActivation.TruncExp, s.Model.DensityActivation);
        Assert.Equal("HashGrid", (string?)s.Model.XyzEncodingConfig!["otype"]);
        Assert.Equal(16, (int)s.Model.XyzEncodingConfig["n_levels"]!);
        Assert.Equal(2.5, s.Model.Extra["b"]);
    }

    [Fact]
    public void UnknownKey_SuggestsClosestValidKey()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>(Minimal + "trainer:\n  max_stepz: 5\n"));
        Assert.Contains("trainer.max_stepz: unknown key (did you mean trainer.max_steps?)", e.Message);
        Assert.StartsWith("run.yaml:4:", e.Message);
    }

    [Fact]
    public void UnknownKey_FromOverride_NamesTheOverride()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>(Minimal, "trainer.max_stepz=5"));
        Assert.Contains("override 'trainer.max_stepz=5'", e.Message);
        Assert.Contains("did you mean trainer.max_steps?", e.Message);
    }

    [Fact]
    public void UnknownKey_WithoutCloseMatch_ListsValidKeys()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>(Minimal + "zzzzzzzzzz: 1\n"));
        Assert.Contains("zzzzzzzzzz: unknown key (valid keys: name, tag, seed", e.Message);
    }

    [Theory]
    [InlineData("trainer.max_steps=abc", "trainer.max_steps: expected an integer (Int32), got \"abc\"")]
    [InlineData("trainer.max_steps=1.5", "trainer.max_steps: expected an integer (Int32), got \"1.5\"")]
    [InlineData("trainer.verbose=yes", "trainer.verbose: expected true or false, got \"yes\"")]
    [InlineData("model.radius=[1,2]", "model.radius: expected a number (Double), got a list")]
    [InlineData("model.background_color=green", "model.background_color: expected one of white, black, random, got \"green\"")]
    [InlineData("trainer.milestones=[1,x]", "trainer.milestones[1]: expected an integer (Int32), got \"x\"")]
    [InlineData("model.radius=null", "model.radius: expected a number (Double), got null")]
    [InlineData("trainer=3", "trainer: expected a mapping (TrainerSettings), got \"3\"")]
    [InlineData("seed=-1", "seed: -1 does not fit UInt64")]
    public void WrongType_NamesKeyExpectedTypeAndValue(string overrideText, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>(Minimal, overrideText));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void IntegralFloat_IsAcceptedForIntegers()
    {
        Assert.Equal(20000, Bind<RunSettings>(Minimal, "trainer.max_steps=2e4").Trainer.MaxSteps);
    }

    [Fact]
    public void MissingRequired_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>("name: x\n"));
        Assert.Contains("dataset.root: missing required key (a string)", e.Message);
        var e2 = Assert.Throws<ConfigException>(() => Bind<RequiredMemberSettings>("count: 2\n"));
        Assert.Contains("scene: missing required key", e2.Message);
        Assert.Equal("lego", Bind<RequiredMemberSettings>("scene: lego\n").Scene);
    }

    [Fact]
    public void MandatoryMarker_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>("dataset:\n  root: ???\n"));
        Assert.Contains("dataset.root: mandatory value missing (???)", e.Message);
    }

    [Fact]
    public void OutOfRange_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>(Minimal, "dataset.downscale=0"));
        Assert.Contains("dataset.downscale: 0.0 is out of range [1.0, 64.0]", e.Message);
        Assert.Contains("override 'dataset.downscale=0'", e.Message);
    }

    [Fact]
    public void SameKeyTwice_UnderDifferentSpellings_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => Bind<RunSettings>(Minimal + "trainer:\n  max_steps: 1\n  maxSteps: 2\n"));
        Assert.Contains("given twice", e.Message);
    }

    [Fact]
    public void ParsedYaml_RoundTrips()
    {
        var s = Bind<RunSettings>("""
            name: "lego: test"
            tag: "true"
            note: "${literal} and \"quotes\"\n"
            dataset:
              root: /data/lego
              img_wh: [400, 300]
            trainer:
              learning_rate: 0.1
              max_seconds: 1.e-15
              milestones: []
            model:
              radius: 0.30000000000000004
              background_color: black
              xyz_encoding_config: {otype: HashGrid, per_level_scale: 1.447, nested: [{a: 1}], flag: true, none: null}
              extra: {"x y": 1}
            """.Replace("${literal}", "\\\\${literal}"));
        Assert.Equal("${literal} and \"quotes\"\n", s.Note);
        string yaml = ConfigWriter.ToYaml(s);
        var again = ConfigBinder.Bind<RunSettings>(ConfigInterpolation.Resolve(YamlConfig.Parse(yaml, "parsed.yaml")));
        Assert.Equal(yaml, ConfigWriter.ToYaml(again));
        Assert.Equal(s.Name, again.Name);
        Assert.Equal(s.Tag, again.Tag);
        Assert.Equal(s.Note, again.Note);
        Assert.Equal(s.Dataset, again.Dataset with { ImageSize = s.Dataset.ImageSize });
        Assert.Equal(s.Dataset.ImageSize, again.Dataset.ImageSize);
        Assert.Equal(s.Trainer.LearningRate, again.Trainer.LearningRate);
        Assert.Equal(s.Trainer.MaxSeconds, again.Trainer.MaxSeconds);
        Assert.Empty(again.Trainer.Milestones);
        Assert.Equal(0.30000000000000004, again.Model.Radius);
        Assert.Equal(Background.Black, again.Model.BackgroundColor);
        Assert.Equal(s.Model.XyzEncodingConfig!.ToJsonString(), again.Model.XyzEncodingConfig!.ToJsonString());
        Assert.Equal(1.0, again.Model.Extra["x y"]);
        Assert.Contains("background_color: black", yaml);
        Assert.Contains("img_wh", ConfigNaming.ToSnakeCase("ImgWH"));
    }

    [Theory]
    [InlineData("MaxSteps", "max_steps")]
    [InlineData("NLevels", "n_levels")]
    [InlineData("Log2HashmapSize", "log2_hashmap_size")]
    [InlineData("ImgWH", "img_wh")]
    [InlineData("Seed", "seed")]
    public void SnakeCase(string pascal, string snake) => Assert.Equal(snake, ConfigNaming.ToSnakeCase(pascal));

    [Fact]
    public void LoadFromFile_WithOverrides()
    {
        string dir = Directory.CreateTempSubdirectory("ngp-cfg-").FullName;
        try
        {
            string file = Path.Combine(dir, "nerf.yaml");
            File.WriteAllText(file, "name: nerf-${basename:${dataset.root}}\ndataset:\n  root: /data/lego\n");
            var s = YamlConfig.Load<RunSettings>(file, ["dataset.root=/data/chair", "trainer.max_steps=50"]);
            Assert.Equal("nerf-chair", s.Name);
            Assert.Equal(50, s.Trainer.MaxSteps);
        }
        finally { Directory.Delete(dir, true); }
    }
}
