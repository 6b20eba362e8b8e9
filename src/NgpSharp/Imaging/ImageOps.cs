namespace NgpSharp.Imaging;

/// <summary>Channel conversion, alpha compositing and box-filter downscaling of float images.</summary>
public static class ImageOps
{
    /// <summary>ITU-R BT.601 luma weights (what PIL's "L" mode and most gray conversions use).</summary>
    const float LumaR = 0.299f, LumaG = 0.587f, LumaB = 0.114f;

    /// <summary>
    /// A new image with <paramref name="channels"/> channels (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA). Gray → RGB
    /// replicates; RGB → gray is BT.601 luma (0.299, 0.587, 0.114); a missing alpha becomes 1. When alpha is
    /// dropped and <paramref name="background"/> is given (1 value for all colour channels, or R, G, B), colour is
    /// composited over it in the stored (sRGB) values: c·α + bg·(1−α), as NeRF datasets do; with no
    /// background alpha is simply dropped.
    /// </summary>
    public static Image ToChannels(this Image image, int channels, ReadOnlySpan<float> background = default)
    {
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1–4");
        if (background.Length is not (0 or 1 or 3))
            throw new ArgumentException($"background needs 1 or 3 values, got {background.Length}", nameof(background));
        int sc = image.Channels;
        bool srcAlpha = image.HasAlpha, dstAlpha = channels is 2 or 4;
        bool srcGray = sc <= 2, dstGray = channels <= 2;
        bool composite = srcAlpha && !dstAlpha && background.Length > 0;
        float bgR = 0, bgG = 0, bgB = 0;
        if (background.Length == 1) bgR = bgG = bgB = background[0];
        else if (background.Length == 3) (bgR, bgG, bgB) = (background[0], background[1], background[2]);

        var result = new Image(image.Width, image.Height, channels);
        var src = image.Data;
        var dst = result.Data;
        long pixels = (long)image.Width * image.Height;
        for (long p = 0; p < pixels; p++)
        {
            long s = p * sc, d = p * channels;
            float r, g, b;
            if (srcGray) r = g = b = src[s];
            else (r, g, b) = (src[s], src[s + 1], src[s + 2]);
            float a = srcAlpha ? src[s + sc - 1] : 1f;
            if (composite)
            {
                r = r * a + bgR * (1 - a);
                g = g * a + bgG * (1 - a);
                b = b * a + bgB * (1 - a);
            }
            if (dstGray)
                dst[d] = srcGray ? r : LumaR * r + LumaG * g + LumaB * b;
            else
            {
                dst[d] = r;
                dst[d + 1] = g;
                dst[d + 2] = b;
            }
            if (dstAlpha) dst[d + channels - 1] = a;
        }
        return result;
    }

    /// <summary>
    /// Box-filter downscale by an integer <paramref name="factor"/>: output ⌈W/f⌉ × ⌈H/f⌉, each pixel the mean of
    /// its f×f block (edge blocks average the pixels that exist, like PIL's Image.reduce). All channels, alpha
    /// included, are averaged as stored (not premultiplied).
    /// </summary>
    public static Image Downscale(this Image image, int factor)
    {
        if (factor < 1) throw new ArgumentOutOfRangeException(nameof(factor), factor, "downscale factor must be ≥ 1");
        int c = image.Channels;
        if (factor == 1) return new Image(image.Width, image.Height, c, (float[])image.Data.Clone());
        int outW = (image.Width + factor - 1) / factor, outH = (image.Height + factor - 1) / factor;
        var result = new Image(outW, outH, c);
        var src = image.Data;
        var dst = result.Data;
        var sum = new double[outW * c];
        for (int oy = 0; oy < outH; oy++)
        {
            Array.Clear(sum);
            int y0 = oy * factor, y1 = Math.Min(image.Height, y0 + factor);
            for (int y = y0; y < y1; y++)
            {
                long row = (long)y * image.Width * c;
                for (int x = 0; x < image.Width; x++)
                {
                    int o = x / factor * c;
                    for (int k = 0; k < c; k++) sum[o + k] += src[row + (long)x * c + k];
                }
            }
            for (int ox = 0; ox < outW; ox++)
            {
                int x0 = ox * factor, x1 = Math.Min(image.Width, x0 + factor);
                double count = (double)(x1 - x0) * (y1 - y0);
                for (int k = 0; k < c; k++) dst[((long)oy * outW + ox) * c + k] = (float)(sum[ox * c + k] / count);
            }
        }
        return result;
    }
}
