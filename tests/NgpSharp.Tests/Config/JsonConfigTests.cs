using NgpSharp.Config;
using Xunit;

namespace NgpSharp.Tests.Config;

public class JsonConfigTests
{
    [Fact]
    public void ReadsValues_CaseInsensitiveKeys_AndDefaults()
    {
        var c = JsonConfig.Parse("""{"N_Levels": 8, "per_level_scale": 1.5, "otype": "HashGrid", "flag": true, "nested": {"x": "2"}}""", "t.json");
        Assert.Equal(8, c.Int("n_levels", 16));
        Assert.Equal(1.5, c.Double("per_level_scale", 2));
        Assert.Equal(19, c.Int("log2_hashmap_size", 19));
        Assert.True(c.Bool("flag", false));
        Assert.Equal("HashGrid", c.Otype);
        Assert.Equal(2, c.Object("nested").Int("x", 0)); // numbers given as strings are accepted
        Assert.Equal("nested", c.Object("nested").Path);
    }

    [Theory]
    [InlineData("""{"a": {"n": "x"}}""", "a.n: expected an integer")]
    [InlineData("""{"a": {"n": 1.5}}""", "a.n: expected an integer")]
    [InlineData("""{"a": {}}""", "a.n: required key is missing")]
    [InlineData("""{"a": 3}""", "a: expected an object")]
    public void ErrorsNameTheKeyPath(string json, string expected)
    {
        var c = JsonConfig.Parse(json, "t.json");
        var e = Assert.Throws<ConfigException>(() => c.Object("a").RequireInt("n"));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("{", "bad.json: invalid JSON")]
    [InlineData("[1, 2]", "bad.json: expected a JSON object")]
    [InlineData("", "bad.json: invalid JSON")]
    public void MalformedTextNamesTheFile(string text, string expected)
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Parse(text, "bad.json"));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MissingFileNamesThePath()
    {
        var e = Assert.Throws<ConfigException>(() => JsonConfig.Load("/no/such/config.json"));
        Assert.Contains("/no/such/config.json", e.Message);
    }

    [Fact]
    public void NonFiniteNumbersAreRejected()
    {
        var c = JsonConfig.Parse("""{"lr": "NaN"}""", "t.json");
        Assert.Contains("lr: expected a finite number", Assert.Throws<ConfigException>(() => c.Double("lr", 1)).Message);
    }

    [Fact]
    public void NumbersBuiltInCodeAreRead()
    {
        var node = new System.Text.Json.Nodes.JsonObject { ["i"] = 3, ["l"] = 4L, ["f"] = 0.5f, ["m"] = 1.25m, ["d"] = 2.5 };
        var c = new JsonConfig(node);
        Assert.Equal((3, 4, 0.5, 1.25, 2.5), (c.Int("i", 0), c.Int("l", 0), c.Double("f", 0), c.Double("m", 0), c.Double("d", 0)));
    }
}
