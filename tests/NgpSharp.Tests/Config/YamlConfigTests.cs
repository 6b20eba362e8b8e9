using NgpSharp.Config;
using Xunit;

namespace NgpSharp.Tests.Config;

public class YamlConfigTests
{
    const string Source = "test.yaml";

    static ConfigMapping Resolve(string yaml, params string[] overrides)
    {
        var root = YamlConfig.Parse(yaml, Source);
        YamlConfig.ApplyOverrides(root, overrides);
        return ConfigInterpolation.Resolve(root);
    }

    static ConfigScalar Scalar(ConfigNode root, string path) => Assert.IsType<ConfigScalar>(YamlConfig.GetPath(root, path));

    [Fact]
    public void Scalars_GetYamlTypes()
    {
        var t = Resolve("""
            i: 42
            f: 1.e-15
            g: 2.5
            b: True
            n: null
            e:
            s: hello
            q: "42"
            inf: .inf
            hex: 0x1F
            """);
        Assert.Equal(ScalarKind.Int, Scalar(t, "i").Kind);
        Assert.Equal(ScalarKind.Float, Scalar(t, "f").Kind);
        Assert.True(Scalar(t, "f").TryGetDouble(out double f) && f == 1e-15);
        Assert.Equal(ScalarKind.Float, Scalar(t, "g").Kind);
        Assert.Equal(ScalarKind.Bool, Scalar(t, "b").Kind);
        Assert.Equal(ScalarKind.Null, Scalar(t, "n").Kind);
        Assert.Equal(ScalarKind.Null, Scalar(t, "e").Kind);
        Assert.Equal(ScalarKind.String, Scalar(t, "s").Kind);
        Assert.Equal(ScalarKind.String, Scalar(t, "q").Kind);
        Assert.True(Scalar(t, "inf").TryGetDouble(out double inf) && double.IsPositiveInfinity(inf));
        Assert.True(Scalar(t, "hex").TryGetInt64(out long hex) && hex == 31);
    }

    [Fact]
    public void Marks_CarryFileLineAndColumn()
    {
        var t = YamlConfig.Parse("a:\n  b: 3\n", Source);
        var b = Scalar(t, "a.b");
        Assert.Equal(new ConfigMark(Source, 2, 6), b.Mark);
    }

    [Fact]
    public void InvalidYaml_NamesFileAndLine()
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfig.Parse("a: [1, 2\nb: 3\n", Source));
        Assert.StartsWith("test.yaml:2:", Assert.Throws<ConfigException>(() => YamlConfig.Parse("a: 1\n b: 2\n", Source)).Message);
        Assert.Contains("override", Assert.Throws<ConfigException>(() => YamlConfig.ApplyOverride(new ConfigMapping(), "a=[1,")).Message);
        Assert.StartsWith("test.yaml:", e.Message);
        Assert.Contains("invalid YAML", e.Message);
    }

    [Fact]
    public void DuplicateKey_IsAnError()
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfig.Parse("a: 1\na: 2\n", Source));
        Assert.Contains("a", e.Message);
    }

    [Fact]
    public void MissingFile_NamesIt()
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfig.LoadFile("/nonexistent/x.yaml"));
        Assert.Contains("/nonexistent/x.yaml", e.Message);
    }

    [Fact]
    public void Overrides_SetTypedValues_CreateKeys_ReplaceLists()
    {
        var t = Resolve("trainer:\n  max_steps: 100\n  milestones: [1, 2, 3]\n",
            "trainer.max_steps=2000", "trainer.lr=0.5", "trainer.verbose=true", "trainer.milestones=[10,20]",
            "dataset.root=/data/lego", "note=null", "name='123'");
        Assert.Equal("2000", Scalar(t, "trainer.max_steps").Text);
        Assert.Equal(ScalarKind.Int, Scalar(t, "trainer.max_steps").Kind);
        Assert.Equal(ScalarKind.Float, Scalar(t, "trainer.lr").Kind);
        Assert.Equal(ScalarKind.Bool, Scalar(t, "trainer.verbose").Kind);
        var list = Assert.IsType<ConfigSequence>(YamlConfig.GetPath(t, "trainer.milestones"));
        Assert.Equal(["10", "20"], list.Items.Select(i => ((ConfigScalar)i).Text));
        Assert.Equal("/data/lego", Scalar(t, "dataset.root").Text);
        Assert.Equal(ScalarKind.Null, Scalar(t, "note").Kind);
        Assert.Equal(ScalarKind.String, Scalar(t, "name").Kind);
        Assert.Equal("123", Scalar(t, "name").Text);
    }

    [Fact]
    public void Override_ListElement_ByIndex()
    {
        var t = Resolve("wh: [800, 800]\n", "wh[1]=400", "wh.0=200");
        var list = Assert.IsType<ConfigSequence>(YamlConfig.GetPath(t, "wh"));
        Assert.Equal(["200", "400"], list.Items.Select(i => ((ConfigScalar)i).Text));
    }

    [Fact]
    public void Override_BadSyntaxOrThroughScalar_IsAnError()
    {
        Assert.Contains("expected key=value", Assert.Throws<ConfigException>(() => Resolve("a: 1\n", "a")).Message);
        var e = Assert.Throws<ConfigException>(() => Resolve("a: 1\n", "a.b=2"));
        Assert.Contains("override 'a.b=2'", e.Message);
        Assert.Contains("a.b", e.Message);
        Assert.Contains("wh.5", Assert.Throws<ConfigException>(() => Resolve("wh: [1]\n", "wh.5=3")).Message);
    }

    [Fact]
    public void Interpolation_WholeValueKeepsType_NestedAndEmbedded()
    {
        var t = Resolve("""
            trainer:
              max_steps: 20000
            model:
              radius: 1.5
              geometry:
                radius: ${model.radius}
                size: ${.radius}
                scene_radius: ${..radius}
            checkpoint:
              every: ${trainer.max_steps}
            dataset:
              scene: lego
              root: ./load/${dataset.scene}
              wh: [800, 400]
              height: ${dataset.wh.1}
              copy: ${dataset.wh}
            name: nerf-${basename:${dataset.root}}
            lr_decay: ${calc_exp_lr_decay_rate:0.1,${trainer.max_steps}}
            total: ${add:${trainer.max_steps},5}
            half: ${div:${trainer.max_steps},2}
            literal: \${not.a.ref}
            """);
        Assert.Equal(ScalarKind.Float, Scalar(t, "model.geometry.radius").Kind);
        Assert.Equal("1.5", Scalar(t, "model.geometry.radius").Text);
        Assert.Equal("1.5", Scalar(t, "model.geometry.size").Text);
        Assert.Equal("1.5", Scalar(t, "model.geometry.scene_radius").Text);
        Assert.Equal(ScalarKind.Int, Scalar(t, "checkpoint.every").Kind);
        Assert.Equal("20000", Scalar(t, "checkpoint.every").Text);
        Assert.Equal("./load/lego", Scalar(t, "dataset.root").Text);
        Assert.Equal("400", Scalar(t, "dataset.height").Text);
        Assert.IsType<ConfigSequence>(YamlConfig.GetPath(t, "dataset.copy"));
        Assert.Equal("nerf-lego", Scalar(t, "name").Text);
        Assert.True(Scalar(t, "lr_decay").TryGetDouble(out double decay));
        Assert.Equal(Math.Pow(0.1, 1.0 / 20000), decay, 15);
        Assert.Equal(ScalarKind.Int, Scalar(t, "total").Kind);
        Assert.Equal("20005", Scalar(t, "total").Text);
        Assert.Equal(ScalarKind.Float, Scalar(t, "half").Kind);
        Assert.Equal("${not.a.ref}", Scalar(t, "literal").Text);
    }

    [Fact]
    public void Interpolation_SeesOverrides_AndWorksInOverrides()
    {
        var t = Resolve("trainer:\n  max_steps: 100\ncheckpoint:\n  every: ${trainer.max_steps}\nlog_every: 10\n",
            "trainer.max_steps=500", "log_every=${checkpoint.every}");
        Assert.Equal("500", Scalar(t, "checkpoint.every").Text);
        Assert.Equal("500", Scalar(t, "log_every").Text);
        Assert.Equal(ScalarKind.Int, Scalar(t, "log_every").Kind);
    }

    [Fact]
    public void Interpolation_Cycle_NamesTheKeys()
    {
        var e = Assert.Throws<ConfigException>(() => Resolve("a:\n  x: ${b.y}\nb:\n  y: ${c}\nc: ${a.x}\n"));
        Assert.Contains("cycle", e.Message);
        Assert.Contains("a.x -> b.y -> c -> a.x", e.Message);
    }

    [Fact]
    public void Interpolation_SelfReference_IsACycle()
    {
        var e = Assert.Throws<ConfigException>(() => Resolve("a: ${a}\n"));
        Assert.Contains("cycle", e.Message);
    }

    [Fact]
    public void Interpolation_MissingKey_NamesHolderAndTarget()
    {
        var e = Assert.Throws<ConfigException>(() => Resolve("model:\n  radius: 1\n  geometry:\n    radius: ${model.radiu}\n"));
        Assert.Contains("test.yaml:4:13", e.Message);
        Assert.Contains("model.geometry.radius", e.Message);
        Assert.Contains("missing key model.radiu", e.Message);
    }

    [Fact]
    public void Interpolation_UnknownResolverAndUnclosed_AreErrors()
    {
        Assert.Contains("unknown resolver \"nope\"", Assert.Throws<ConfigException>(() => Resolve("a: ${nope:1}\n")).Message);
        Assert.Contains("unclosed", Assert.Throws<ConfigException>(() => Resolve("a: x${b\nb: 1\n")).Message);
        Assert.Contains("not text", Assert.Throws<ConfigException>(() => Resolve("a: ${${b}}\nb: [1]\n")).Message);
        Assert.Equal("2", Scalar(Resolve("a: ${${b}}\nb: c\nc: 2\n"), "a").Text);
        Assert.Contains("cannot be part of a string", Assert.Throws<ConfigException>(() => Resolve("a: x${b}\nb: [1]\n")).Message);
    }

    [Fact]
    public void Interpolation_ThroughInterpolatedSection()
    {
        var t = Resolve("base:\n  lr: 0.01\nopt: ${base}\nlr: ${opt.lr}\n");
        Assert.Equal("0.01", Scalar(t, "lr").Text);
    }

    [Fact]
    public void Resolve_DoesNotChangeInput()
    {
        var root = YamlConfig.Parse("a: 1\nb: ${a}\n", Source);
        ConfigInterpolation.Resolve(root);
        Assert.Equal("${a}", Scalar(root, "b").Text);
    }
}
