using System.Diagnostics;
using System.Security.Cryptography;
using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Imaging;

/// <summary>
/// Real files from real encoders (shared/data/images). Expected values were produced by ImageMagick 6.9.11-60
/// (Debian 12 package), an independent decoder, e.g. `convert astronaut.png -depth 8 rgb:- | sha256sum`.
/// </summary>
public class PngReferenceFileTests
{
    static PngRaw Raw(string name) => Png.ReadRaw(TestData.Path("images", name));

    /// <summary>SHA-256 of samples as ImageMagick's raw output writes them: bytes for 8-bit, big-endian words for 16-bit.</summary>
    static string Sha256(PngRaw raw)
    {
        byte[] bytes = raw.BitDepth == 8
            ? raw.Samples.Select(v => (byte)v).ToArray()
            : raw.Samples.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    [Fact]
    public void Astronaut_MatchesImageMagick()
    {
        var raw = Raw("astronaut.png");
        Assert.Equal((512, 512, 3, 8), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        // convert astronaut.png -depth 8 rgb:- | sha256sum
        Assert.Equal("a8c429c18afa7b0fd5673e598d73a21225d94c864a71bbb3885126fdecb41071", Sha256(raw));
    }

    [Fact]
    public void AstronautInterlaced_HasTheSamePixels()
    {
        var raw = Raw("astronaut_interlaced.png");
        Assert.Equal((512, 512, 3, 8), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        Assert.Equal(Raw("astronaut.png").Samples, raw.Samples);
    }

    [Fact]
    public void AstronautRgba_HasAstronautColours_AndAlpha60Percent()
    {
        var raw = Raw("astronaut_rgba.png");
        Assert.Equal((512, 512, 4, 8), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        // convert astronaut_rgba.png -depth 8 rgba:- | sha256sum
        Assert.Equal("8f6c7f72959c93d7d65d30b951b7997fda4c56c0c685153510fba040994a712e", Sha256(raw));
        var rgb = Raw("astronaut.png").Samples;
        int colourMismatches = 0, alphaNot153 = 0;
        for (int p = 0; p < 512 * 512; p++)
        {
            for (int c = 0; c < 3; c++) if (rgb[p * 3 + c] != raw.Samples[p * 4 + c]) colourMismatches++;
            if (raw.Samples[p * 4 + 3] != 153) alphaNot153++; // round(0.6 · 255): ImageMagick's -alpha 60%
        }
        Assert.Equal((0, 0), (colourMismatches, alphaNot153));
    }

    [Fact]
    public void Astronaut16Bit_Is257TimesThe8BitSamples()
    {
        var raw = Raw("astronaut_16bit.png");
        Assert.Equal((512, 512, 3, 16), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        // convert astronaut_16bit.png -depth 16 -endian MSB rgb:- | sha256sum
        Assert.Equal("ae096bd3a33410522ddad0cc0b3daef3ebf04da46addd50fccabec9604d1cf3c", Sha256(raw));
        Assert.Equal(Raw("astronaut.png").Samples.Select(v => (ushort)(v * 257)).ToArray(), raw.Samples);
        // ... so the float images agree: v·257/65535 = v/255.
        var a = Png.Read(TestData.Path("images", "astronaut_16bit.png"));
        var b = Png.Read(TestData.Path("images", "astronaut.png"));
        Assert.True(ImageMetrics.Mse(a, b) < 1e-14);
    }

    [Fact]
    public void CameraGray16_Is257TimesCamera()
    {
        var wide = Raw("camera_gray16.png");
        var narrow = Raw("camera.png");
        Assert.Equal((512, 512, 1, 16), (wide.Width, wide.Height, wide.Channels, wide.BitDepth));
        Assert.Equal((512, 512, 1, 8), (narrow.Width, narrow.Height, narrow.Channels, narrow.BitDepth));
        Assert.Equal("d189749470b0994dc8b7c8a491bd1cf05765ed475396bc00afb83217c1148be8", Sha256(wide));
        Assert.Equal("5cb24482a53416f99052258be2b1ee38cd31c559a70c8a8b321cba231b332e21", Sha256(narrow));
        Assert.Equal(narrow.Samples.Select(v => (ushort)(v * 257)).ToArray(), wide.Samples);
    }

    [Fact]
    public void Foo3x5x4Indexed_PaletteWithTrns_MatchesImageMagick()
    {
        var raw = Raw("foo3x5x4indexed.png");
        Assert.Equal((5, 3, 4, 8), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        // convert foo3x5x4indexed.png txt:-  (RGBA per pixel, row by row)
        ushort[] a = [127, 0, 255, 255], b = [192, 192, 255, 0], c = [0, 0, 255, 0], d = [0, 31, 255, 255];
        ushort[][] expected = [a, a, a, a, a, b, b, c, c, c, d, d, d, d, d];
        Assert.Equal(expected.SelectMany(p => p), raw.Samples);
    }

    [Fact]
    public void GreenPalette_MatchesImageMagick()
    {
        var raw = Raw("green_palette.png");
        Assert.Equal((320, 240, 3, 8), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        // convert green_palette.png -depth 8 rgb:- | sha256sum
        Assert.Equal("5fd4805053c92983444ce6d53aff56850a7de7be4e9d1c9d9835369592e3560a", Sha256(raw));
        // convert green_palette.png txt:- | sort | uniq -c: 59952 black pixels, 30 pure green.
        int black = 0, green = 0;
        for (int p = 0; p < 320 * 240; p++)
        {
            var px = raw.Samples.AsSpan(p * 3, 3);
            if (px is [0, 0, 0]) black++;
            if (px is [0, 255, 0]) green++;
        }
        Assert.Equal((59952, 30), (black, green));
    }
}
