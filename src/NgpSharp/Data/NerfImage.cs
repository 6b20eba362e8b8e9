using NgpSharp.Imaging;

namespace NgpSharp.Data;

/// <summary>How a dataset keeps its pixels in memory.</summary>
public enum PixelStorage
{
    /// <summary>RGBA, 8 bits per channel (4 bytes a pixel): 100 images of 800×800 take 256 MB.</summary>
    Rgba8,
    /// <summary>RGBA, IEEE half per channel (8 bytes a pixel).</summary>
    Rgba16F,
}

/// <summary>
/// One training image stored compactly as RGBA: [Height, Width, 4] row-major, top row first, values as stored in
/// the file (sRGB-encoded), alpha straight (not premultiplied); images without alpha get α = 1.
/// </summary>
public sealed class NerfImage
{
    readonly byte[]? _bytes;
    readonly Half[]? _halves;

    NerfImage(int width, int height, byte[]? bytes, Half[]? halves)
    {
        (Width, Height, _bytes, _halves) = (width, height, bytes, halves);
    }

    public int Width { get; }
    public int Height { get; }
    public PixelStorage Storage => _bytes is not null ? PixelStorage.Rgba8 : PixelStorage.Rgba16F;

    /// <summary>The stored RGBA bytes [H, W, 4] (Rgba8), empty otherwise (uploaded as-is by the device ray generator).</summary>
    internal ReadOnlySpan<byte> RawBytes => _bytes;

    /// <summary>The stored RGBA halves [H, W, 4] (Rgba16F), empty otherwise.</summary>
    internal ReadOnlySpan<Half> RawHalves => _halves;

    /// <summary>Bytes of pixel memory.</summary>
    public long SizeInBytes => _bytes?.LongLength ?? _halves!.LongLength * 2;

    /// <summary>
    /// Stores <paramref name="image"/> (1–4 channels) as RGBA, box-downscaled by <paramref name="factor"/>: output
    /// ⌊W/f⌋ × ⌊H/f⌋ (the remainder columns/rows are cropped so that pixel p maps exactly to p/f), colours averaged
    /// premultiplied by alpha (so compositing on any background commutes with the downscale), alpha averaged.
    /// </summary>
    public static NerfImage From(Image image, int factor, PixelStorage storage)
    {
        if (factor < 1 || factor > image.Width || factor > image.Height)
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"downscale factor must be in [1, {Math.Min(image.Width, image.Height)}]");
        int w = image.Width / factor, h = image.Height / factor, c = image.Channels;
        bool gray = c <= 2, alpha = c is 2 or 4;
        var src = image.Data;
        byte[]? bytes = storage == PixelStorage.Rgba8 ? new byte[(long)w * h * 4] : null;
        Half[]? halves = storage == PixelStorage.Rgba16F ? new Half[(long)w * h * 4] : null;
        double inv = 1.0 / ((double)factor * factor);
        Span<double> sum = stackalloc double[4];
        for (int oy = 0; oy < h; oy++)
        for (int ox = 0; ox < w; ox++)
        {
            sum.Clear();
            for (int y = oy * factor; y < (oy + 1) * factor; y++)
            {
                long row = (long)y * image.Width;
                for (int x = ox * factor; x < (ox + 1) * factor; x++)
                {
                    long s = (row + x) * c;
                    double a = alpha ? src[s + c - 1] : 1.0;
                    double r = src[s], g = gray ? r : src[s + 1], b = gray ? r : src[s + 2];
                    sum[0] += r * a; sum[1] += g * a; sum[2] += b * a; sum[3] += a;
                }
            }
            double meanA = sum[3] * inv;
            long d = ((long)oy * w + ox) * 4;
            for (int k = 0; k < 4; k++)
            {
                double v = k == 3 ? meanA : sum[3] > 0 ? sum[k] / sum[3] : 0.0;
                if (bytes is not null) bytes[d + k] = (byte)Math.Clamp(Math.Round(v * 255.0), 0, 255);
                else halves![d + k] = (Half)v;
            }
        }
        return new NerfImage(w, h, bytes, halves);
    }

    /// <summary>
    /// Stores a colour image with a separate mask as RGBA (the NeuS/DTU layout): RGB from <paramref name="colour"/>
    /// (grey is replicated; its own alpha channel, if any, is ignored), alpha from the first channel of
    /// <paramref name="mask"/> (1 everywhere when null). Box-downscaled by <paramref name="factor"/> like
    /// <see cref="From"/>, but every channel is averaged on its own (not premultiplied): the colour outside the mask
    /// is the capture's real background and is kept.
    /// </summary>
    /// <exception cref="ArgumentException">The mask's size differs from the colour image's.</exception>
    public static NerfImage FromColourAndMask(Image colour, Image? mask, int factor, PixelStorage storage)
    {
        if (factor < 1 || factor > colour.Width || factor > colour.Height)
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"downscale factor must be in [1, {Math.Min(colour.Width, colour.Height)}]");
        if (mask is not null && (mask.Width != colour.Width || mask.Height != colour.Height))
            throw new ArgumentException($"mask is {mask.Width}×{mask.Height}, the image {colour.Width}×{colour.Height}", nameof(mask));
        int w = colour.Width / factor, h = colour.Height / factor, c = colour.Channels, mc = mask?.Channels ?? 0;
        bool gray = c <= 2;
        var src = colour.Data;
        var msk = mask?.Data;
        byte[]? bytes = storage == PixelStorage.Rgba8 ? new byte[(long)w * h * 4] : null;
        Half[]? halves = storage == PixelStorage.Rgba16F ? new Half[(long)w * h * 4] : null;
        double inv = 1.0 / ((double)factor * factor);
        Span<double> sum = stackalloc double[4];
        for (int oy = 0; oy < h; oy++)
        for (int ox = 0; ox < w; ox++)
        {
            sum.Clear();
            for (int y = oy * factor; y < (oy + 1) * factor; y++)
            for (int x = ox * factor; x < (ox + 1) * factor; x++)
            {
                long p = (long)y * colour.Width + x, s = p * c;
                double r = src[s];
                sum[0] += r; sum[1] += gray ? r : src[s + 1]; sum[2] += gray ? r : src[s + 2];
                sum[3] += msk is null ? 1.0 : msk[p * mc];
            }
            long d = ((long)oy * w + ox) * 4;
            for (int k = 0; k < 4; k++)
            {
                double v = sum[k] * inv;
                if (bytes is not null) bytes[d + k] = (byte)Math.Clamp(Math.Round(v * 255.0), 0, 255);
                else halves![d + k] = (Half)v;
            }
        }
        return new NerfImage(w, h, bytes, halves);
    }

    /// <summary>Channel k (0 R, 1 G, 2 B, 3 A) of pixel (x, y) in [0, 1].</summary>
    public float this[int x, int y, int k]
    {
        get
        {
            long i = ((long)y * Width + x) * 4 + k;
            return _bytes is not null ? _bytes[i] * (1f / 255f) : (float)_halves![i];
        }
    }

    /// <summary>Writes pixel (x, y) as RGBA floats into <paramref name="rgba"/> (4 values).</summary>
    public void ReadPixel(int x, int y, Span<float> rgba)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
            throw new ArgumentOutOfRangeException(nameof(x), $"pixel ({x}, {y}) is outside the {Width}×{Height} image");
        long i = ((long)y * Width + x) * 4;
        if (_bytes is not null)
            for (int k = 0; k < 4; k++) rgba[k] = _bytes[i + k] * (1f / 255f);
        else
            for (int k = 0; k < 4; k++) rgba[k] = (float)_halves![i + k];
    }

    /// <summary>The pixels as a 4-channel float <see cref="Image"/>.</summary>
    public Image ToImage()
    {
        var image = new Image(Width, Height, 4);
        var dst = image.Data;
        for (long i = 0; i < dst.LongLength; i++)
            dst[i] = _bytes is not null ? _bytes[i] * (1f / 255f) : (float)_halves![i];
        return image;
    }
}
