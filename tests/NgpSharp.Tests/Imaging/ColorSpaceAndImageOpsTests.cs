using NgpSharp.Imaging;
using Xunit;

namespace NgpSharp.Tests.Imaging;

public class ColorSpaceAndImageOpsTests
{
    [Fact]
    public void Srgb_KnownValues()
    {
        Assert.Equal(0f, ColorSpace.SrgbToLinear(0f));
        Assert.Equal(1f, ColorSpace.SrgbToLinear(1f), 1e-6f);
        Assert.Equal(0.214041140f, ColorSpace.SrgbToLinear(0.5f), 1e-6f);      // ((0.5+0.055)/1.055)^2.4
        Assert.Equal(0.02f / 12.92f, ColorSpace.SrgbToLinear(0.02f), 1e-9f);    // linear segment
        Assert.Equal(0.461356129f, ColorSpace.LinearToSrgb(0.18f), 1e-6f);     // 1.055·0.18^(1/2.4) − 0.055
        Assert.Equal(0.002f * 12.92f, ColorSpace.LinearToSrgb(0.002f), 1e-9f);
        Assert.Equal(1f, ColorSpace.LinearToSrgb(1f), 1e-6f);
    }

    [Fact]
    public void Srgb_RoundTrips_AndIsContinuousAtTheBreakpoints()
    {
        for (int i = 0; i <= 1000; i++)
        {
            float v = i / 1000f;
            Assert.Equal(v, ColorSpace.LinearToSrgb(ColorSpace.SrgbToLinear(v)), 2e-6f);
        }
        Assert.Equal(ColorSpace.SrgbToLinear(0.04045f), ColorSpace.SrgbToLinear(0.0404501f), 1e-6f);
        Assert.Equal(ColorSpace.LinearToSrgb(0.0031308f), ColorSpace.LinearToSrgb(0.0031309f), 1e-5f);
    }

    [Fact]
    public void Srgb_SpanAndImageVersions_MatchScalar_AndLeaveAlpha()
    {
        float[] values = [0f, 0.01f, 0.3f, 0.9f];
        var linear = new float[4];
        ColorSpace.SrgbToLinear(values, linear);
        for (int i = 0; i < 4; i++) Assert.Equal(ColorSpace.SrgbToLinear(values[i]), linear[i]);
        ColorSpace.LinearToSrgb(linear, linear); // in place
        for (int i = 0; i < 4; i++) Assert.Equal(values[i], linear[i], 1e-6f);

        var image = new Image(1, 1, 4, [0.5f, 0.5f, 0.5f, 0.5f]);
        ColorSpace.SrgbToLinear(image);
        Assert.Equal([0.21404114f, 0.21404114f, 0.21404114f, 0.5f], image.Data, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void ToChannels_ConvertsGrayRgbAndAlpha()
    {
        var gray = new Image(2, 1, 1, [0.2f, 0.8f]);
        Assert.Equal([0.2f, 0.2f, 0.2f, 0.8f, 0.8f, 0.8f], gray.ToChannels(3).Data);
        Assert.Equal([0.2f, 1f, 0.8f, 1f], gray.ToChannels(2).Data);
        Assert.Equal([0.2f, 0.2f, 0.2f, 1f, 0.8f, 0.8f, 0.8f, 1f], gray.ToChannels(4).Data);

        var rgb = new Image(1, 1, 3, [1f, 0.5f, 0f]);
        Assert.Equal(0.299f + 0.587f * 0.5f, rgb.ToChannels(1).Data[0], 1e-6f);

        var rgba = new Image(1, 1, 4, [1f, 0.5f, 0f, 0.25f]);
        Assert.Equal([1f, 0.5f, 0f], rgba.ToChannels(3).Data); // alpha dropped
        var over = rgba.ToChannels(3, [0f, 0f, 1f]);           // composited over blue
        Assert.Equal([0.25f, 0.125f, 0.75f], over.Data, (a, b) => Math.Abs(a - b) < 1e-6f);
        var overWhite = rgba.ToChannels(3, [1f]);
        Assert.Equal([1f, 0.875f, 0.75f], overWhite.Data, (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal([1f, 0.5f, 0f, 0.25f], rgba.ToChannels(4, [1f]).Data); // alpha kept: nothing composited
        Assert.Throws<ArgumentException>(() => rgba.ToChannels(3, [1f, 1f]));
        Assert.Throws<ArgumentOutOfRangeException>(() => rgba.ToChannels(5));
    }

    [Fact]
    public void Downscale_AveragesBlocks_IncludingPartialEdgeBlocks()
    {
        // 5×3 gray, values x + 10·y, by 2 → 3×2.
        var image = new Image(5, 3, 1);
        for (int y = 0; y < 3; y++) for (int x = 0; x < 5; x++) image[x, y, 0] = x + 10 * y;
        var small = image.Downscale(2);
        Assert.Equal((3, 2), (small.Width, small.Height));
        float[] expected =
        [
            (0 + 1 + 10 + 11) / 4f, (2 + 3 + 12 + 13) / 4f, (4 + 14) / 2f,
            (20 + 21) / 2f, (22 + 23) / 2f, 24f,
        ];
        Assert.Equal(expected, small.Data);
        Assert.Equal(image.Data, image.Downscale(1).Data);
        Assert.Throws<ArgumentOutOfRangeException>(() => image.Downscale(0));
    }

    [Fact]
    public void Downscale_KeepsChannelsApart()
    {
        var image = new Image(2, 2, 2, [1f, 0f, 0f, 1f, 1f, 0f, 0f, 1f]);
        Assert.Equal([0.5f, 0.5f], image.Downscale(2).Data);
        var rgb = new Image(4, 2, 3);
        for (int i = 0; i < rgb.Data.Length; i++) rgb.Data[i] = i % 3;
        Assert.Equal([0f, 1f, 2f, 0f, 1f, 2f], rgb.Downscale(2).Data);
    }
}
