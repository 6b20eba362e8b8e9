using NgpSharp.Cli;
using Xunit;

namespace NgpSharp.Tests.Cli;

public class CommandLineTests
{
    static CommandLine Parse(params string[] args) => new(args, new HashSet<string> { "quiet", "json" });

    [Fact]
    public void SplitsPositionalsOptionsFlagsAndOverrides()
    {
        var cl = Parse("pic.png", "--steps", "100", "--quiet", "--out=dir", "trainer.max_steps=5");
        Assert.Equal(["pic.png"], cl.Positional);
        Assert.Equal(100, cl.Int("steps", 1));
        Assert.True(cl.Flag("quiet"));
        Assert.Equal("dir", cl.String("out"));
        Assert.Equal(["trainer.max_steps=5"], cl.Overrides);
        cl.RejectUnknown("test");
    }

    [Theory]
    [InlineData("65536", 65536)]
    [InlineData("2^16", 65536)]
    [InlineData("1<<18", 262144)]
    public void PowersOfTwoAreAccepted(string text, int expected) => Assert.Equal(expected, Parse("--batch", text).Int("batch", 0));

    [Theory]
    [InlineData("abc")]
    [InlineData("-5")]
    [InlineData("2^40")]
    public void BadIntegersAreUsageErrors(string text)
    {
        var e = Assert.Throws<UsageException>(() => Parse("--batch", text).Int("batch", 1, min: 1));
        Assert.Contains("--batch", e.Message);
    }

    [Fact]
    public void OptionWithoutValue_AndUnknownOption_AreReported()
    {
        Assert.Contains("--steps needs a value", Assert.Throws<UsageException>(() => Parse("--steps")).Message);
        var cl = Parse("--stpes", "3");
        cl.Int("steps", 1);
        Assert.Contains("did you mean --steps", Assert.Throws<UsageException>(() => cl.RejectUnknown("image")).Message);
    }
}
