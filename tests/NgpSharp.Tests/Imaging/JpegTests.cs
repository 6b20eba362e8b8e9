using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Imaging;

public class JpegTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("astronaut_444", 0)]
    [InlineData("astronaut_gray", 0)]
    [InlineData("astronaut_progressive", 0)]
    [InlineData("astronaut_restart", 0)]
    [InlineData("astronaut_420", 0)]
    [InlineData("astronaut_422", 0)]
    public void Decode_MatchesLibjpegTurboDjpeg(string name, int maxDiff)
    {
        var reference = MiniPng.Read(TestData.Path("images", name + ".djpeg.png"), out int rw, out int rh, out int rc);
        var bytes = Jpeg.DecodeToBytes(File.ReadAllBytes(TestData.Path("images", name + ".jpg")), name, out int w, out int h, out int c);
        Assert.Equal((rw, rh, rc), (w, h, c));
        int max = 0; long sum = 0;
        for (int i = 0; i < bytes.Length; i++) { int d = Math.Abs(bytes[i] - reference[i]); max = Math.Max(max, d); sum += d; }
        output.WriteLine($"{name}: max abs diff {max}, mean abs diff {(double)sum / bytes.Length:F5}");
        Assert.True(max <= maxDiff, $"{name}: max abs diff {max} > {maxDiff}");
    }
}
