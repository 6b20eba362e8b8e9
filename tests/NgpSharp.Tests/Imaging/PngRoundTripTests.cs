using NgpSharp.Compute;
using NgpSharp.Imaging;
using Xunit;

namespace NgpSharp.Tests.Imaging;

public class PngRoundTripTests
{
    static Image RandomImage(int w, int h, int channels, int bitDepth, ulong seed)
    {
        var rng = new Rng(seed, 3);
        int max = bitDepth == 16 ? 65535 : 255;
        var image = new Image(w, h, channels);
        for (int i = 0; i < image.Data.Length; i++) image.Data[i] = (rng.NextUInt() % (uint)(max + 1)) / (float)max;
        return image;
    }

    [Theory]
    [InlineData(8, 1)] [InlineData(8, 2)] [InlineData(8, 3)] [InlineData(8, 4)]
    [InlineData(16, 1)] [InlineData(16, 2)] [InlineData(16, 3)] [InlineData(16, 4)]
    public void EncodeDecode_IsExact(int bitDepth, int channels)
    {
        foreach (var (w, h) in new[] { (1, 1), (37, 23), (300, 90) }) // 300×90 RGBA16 spans several IDAT chunks
        {
            var image = RandomImage(w, h, channels, bitDepth, (ulong)(w + channels));
            byte[] file = Png.Encode(image, bitDepth);
            var raw = Png.DecodeRaw(file, "roundtrip.png");
            Assert.Equal((w, h, channels, bitDepth), (raw.Width, raw.Height, raw.Channels, raw.BitDepth));
            var back = raw.ToImage();
            Assert.Equal(image.Data, back.Data);
        }
    }

    [Fact]
    public void Encode_SmoothGradient_CompressesWell()
    {
        var image = new Image(256, 256, 3);
        for (int y = 0; y < 256; y++)
            for (int x = 0; x < 256; x++)
            {
                image[x, y, 0] = x / 255f;
                image[x, y, 1] = y / 255f;
                image[x, y, 2] = (x + y) / 510f;
            }
        byte[] file = Png.Encode(image);
        Assert.True(file.Length < 256 * 256 * 3 / 20, $"gradient PNG is {file.Length} bytes");
        Assert.Equal(0, ImageMetrics.Mse(image, Png.Decode(file, "gradient.png")), 1e-6);
    }

    [Fact]
    public void Encode_ClampsAndRounds()
    {
        var image = new Image(6, 1, 1, [-0.5f, 1.5f, float.NaN, 0.49f / 255, 0.51f / 255, 254.5f / 255 + 1e-4f]);
        var raw = Png.DecodeRaw(Png.Encode(image), "clamp.png");
        Assert.Equal(new ushort[] { 0, 255, 0, 0, 1, 255 }, raw.Samples);
        var raw16 = Png.DecodeRaw(Png.Encode(image, 16), "clamp16.png");
        Assert.Equal(new ushort[] { 0, 65535, 0, 126, 131, 65413 }, raw16.Samples); // 125.93, 131.07, 65406.5 + 6.55
    }

    [Fact]
    public void Encode_RejectsOtherBitDepths()
    {
        var image = new Image(2, 2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => Png.Encode(image, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => Png.Encode(image, 32));
    }

    [Fact]
    public void WriteRead_File_IsAtomic_AndOverwrites()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ngp-png-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            string path = Path.Combine(dir, "out.png");
            File.WriteAllText(path, "old contents");
            var image = RandomImage(20, 10, 4, 8, 9);
            Png.Write(path, image);
            Assert.Equal(image.Data, Png.Read(path).Data);
            Assert.Equal(["out.png"], Directory.GetFiles(dir).Select(Path.GetFileName)); // no temp file left
            Png.Write(path, RandomImage(20, 10, 4, 16, 10), 16);
            Assert.Equal(16, Png.ReadRaw(path).BitDepth);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
