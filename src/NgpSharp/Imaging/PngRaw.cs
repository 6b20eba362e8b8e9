namespace NgpSharp.Imaging;

/// <summary>
/// A PNG's integer samples as decoded: palette expanded to RGB, tRNS turned into an alpha channel, bit depths
/// 1/2/4 scaled to 8-bit values the way libpng expands them (1-bit gray 0/255, 2-bit ×85, 4-bit ×17).
/// <see cref="Samples"/> is [Height, Width, Channels] row-major; values are 0–255 when <see cref="BitDepth"/> is 8,
/// 0–65535 when it is 16.
/// </summary>
public sealed class PngRaw
{
    public PngRaw(int width, int height, int channels, int bitDepth, ushort[] samples)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"size {width}×{height} must be positive");
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1–4");
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "bit depth must be 8 or 16");
        if (samples.LongLength != (long)width * height * channels)
            throw new ArgumentException($"samples has {samples.LongLength} values, a {width}×{height}×{channels} image needs {(long)width * height * channels}");
        Width = width;
        Height = height;
        Channels = channels;
        BitDepth = bitDepth;
        Samples = samples;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.</summary>
    public int Channels { get; }

    /// <summary>8 or 16: the range of <see cref="Samples"/>.</summary>
    public int BitDepth { get; }

    /// <summary>[Height, Width, Channels] row-major.</summary>
    public ushort[] Samples { get; }

    /// <summary>The largest sample value: 255 or 65535.</summary>
    public int MaxValue => BitDepth == 16 ? 65535 : 255;

    /// <summary>The float image: each sample divided by <see cref="MaxValue"/>.</summary>
    public Image ToImage()
    {
        var image = new Image(Width, Height, Channels);
        float max = MaxValue;
        var src = Samples;
        var dst = image.Data;
        for (int i = 0; i < src.Length; i++) dst[i] = src[i] / max;
        return image;
    }
}
