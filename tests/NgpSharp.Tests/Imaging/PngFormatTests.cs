using NgpSharp.Compute;
using NgpSharp.Imaging;
using Xunit;

namespace NgpSharp.Tests.Imaging;

/// <summary>
/// Every colour type × bit depth × interlace, with and without tRNS, on files from <see cref="SyntheticPng"/>;
/// expected samples follow the PNG spec and libpng's expansion rules, computed here independently.
/// </summary>
public class PngFormatTests
{
    public static TheoryData<int, int, bool, bool> Formats()
    {
        var data = new TheoryData<int, int, bool, bool>();
        (int type, int[] depths, bool canKey)[] kinds =
        [
            (0, [1, 2, 4, 8, 16], true), (2, [8, 16], true), (3, [1, 2, 4, 8], true), (4, [8, 16], false), (6, [8, 16], false),
        ];
        foreach (var (type, depths, canKey) in kinds)
            foreach (int depth in depths)
                foreach (bool interlaced in new[] { false, true })
                    foreach (bool transparency in canKey ? new[] { false, true } : new[] { false })
                        data.Add(type, depth, interlaced, transparency);
        return data;
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Decode_MatchesSpecExpansion(int colorType, int depth, bool interlaced, bool transparency)
    {
        foreach (var (w, h) in new[] { (13, 11), (1, 1), (3, 2), (9, 17) })
            CheckOne(w, h, colorType, depth, interlaced, transparency, seed: (ulong)(w * 1000 + h));
    }

    static void CheckOne(int w, int h, int colorType, int depth, bool interlaced, bool transparency, ulong seed)
    {
        var rng = new Rng(seed, 7);
        int fc = SyntheticPng.FileChannels(colorType);
        int maxSample = (1 << depth) - 1;
        int paletteEntries = colorType == 3 ? Math.Min(1 << depth, 200) : 0;
        var samples = new ushort[w * h * fc];
        for (int i = 0; i < samples.Length; i++)
            samples[i] = (ushort)(rng.NextUInt() % (uint)(colorType == 3 ? paletteEntries : maxSample + 1));

        var extra = new List<(string, byte[])>();
        byte[] palette = new byte[paletteEntries * 3];
        byte[]? paletteAlpha = null;
        ushort[]? key = null;
        if (colorType == 3)
        {
            for (int i = 0; i < palette.Length; i++) palette[i] = (byte)rng.NextUInt();
            extra.Add(("PLTE", palette));
            if (transparency)
            {
                paletteAlpha = new byte[Math.Max(1, paletteEntries - 1)]; // shorter than the palette: the rest is opaque
                for (int i = 0; i < paletteAlpha.Length; i++) paletteAlpha[i] = (byte)rng.NextUInt();
                extra.Add(("tRNS", paletteAlpha));
            }
        }
        else if (transparency)
        {
            key = samples[..fc]; // the first pixel's colour is the transparent one
            var body = new byte[2 * fc];
            for (int c = 0; c < fc; c++) { body[2 * c] = (byte)(key[c] >> 8); body[2 * c + 1] = (byte)key[c]; }
            extra.Add(("tRNS", body));
        }
        extra.Add(("gAMA", [0, 0, 0xB1, 0x8F])); // ancillary chunks are skipped
        extra.Add(("tEXt", "Comment\0synthetic"u8.ToArray()));

        byte[] file = SyntheticPng.Build(w, h, colorType, depth, samples, interlaced, row => row % 5, extra.ToArray());
        var raw = Png.DecodeRaw(file, "synthetic.png");

        int outChannels = colorType switch { 0 => 1, 2 => 3, 3 => 3, 4 => 2, _ => 4 } + (transparency ? 1 : 0);
        Assert.Equal((w, h, outChannels, depth == 16 ? 16 : 8), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
        int full = depth == 16 ? 65535 : 255;
        var expected = new ushort[w * h * outChannels];
        for (int p = 0; p < w * h; p++)
        {
            var px = samples.AsSpan(p * fc, fc);
            var o = expected.AsSpan(p * outChannels, outChannels);
            if (colorType == 3)
            {
                int idx = px[0];
                for (int c = 0; c < 3; c++) o[c] = palette[3 * idx + c];
                if (transparency) o[3] = idx < paletteAlpha!.Length ? paletteAlpha[idx] : (ushort)255;
                continue;
            }
            for (int c = 0; c < fc; c++) o[c] = (ushort)(depth >= 8 ? px[c] : px[c] * 255 / maxSample);
            if (key is not null) o[fc] = (ushort)(px.SequenceEqual(key) ? 0 : full);
        }
        Assert.Equal(expected, raw.Samples);
    }

    [Fact]
    public void LowBitDepthGray_ScalesLikeLibpng()
    {
        // 1-bit 0/255, 2-bit ×85, 4-bit ×17.
        foreach (var (depth, scale) in new[] { (1, 255), (2, 85), (4, 17) })
        {
            int levels = 1 << depth;
            var samples = Enumerable.Range(0, levels).Select(v => (ushort)v).ToArray();
            var raw = Png.DecodeRaw(SyntheticPng.Build(levels, 1, 0, depth, samples, false, _ => 0), "gray.png");
            Assert.Equal(samples.Select(v => (ushort)(v * scale)), raw.Samples);
        }
    }

    [Fact]
    public void Decode_FloatImage_IsSampleOverMax()
    {
        ushort[] samples = [0, 1, 254, 255];
        var image = Png.Decode(SyntheticPng.Build(4, 1, 0, 8, samples, false, _ => 1), "g8.png");
        Assert.Equal([0f, 1 / 255f, 254 / 255f, 1f], image.Data);
        ushort[] wide = [0, 1, 65534, 65535];
        var image16 = Png.Decode(SyntheticPng.Build(4, 1, 0, 16, wide, false, _ => 2), "g16.png");
        Assert.Equal([0f, 1 / 65535f, 65534 / 65535f, 1f], image16.Data);
    }

    [Fact]
    public void Crc32_MatchesCheckValue()
    {
        // The CRC-32/ISO-HDLC check value of "123456789".
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xCBF43926u, SyntheticPng.BitwiseCrc("123456789"u8));
    }
}
