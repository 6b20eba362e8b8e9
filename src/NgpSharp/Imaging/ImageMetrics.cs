using NgpSharp.Compute.Cpu;

namespace NgpSharp.Imaging;

/// <summary>
/// Image quality metrics on [0, 1] images as NeRF papers report them: MSE, PSNR (peak 1), and SSIM
/// (11×11 Gaussian window σ = 1.5, K1 = 0.01, K2 = 0.03, 'valid' filtering — no padding — as in
/// tf.image.ssim and mip-NeRF's compute_ssim; mean over the SSIM map and over colour channels).
/// </summary>
public static class ImageMetrics
{
    const int SsimWindow = 11;
    const double SsimSigma = 1.5, K1 = 0.01, K2 = 0.03;

    /// <summary>Mean squared error over all pixels and channels (colour channels only when <paramref name="ignoreAlpha"/>).</summary>
    public static double Mse(Image a, Image b, bool ignoreAlpha = false)
    {
        CheckSameShape(a, b);
        int c = a.Channels;
        int used = ignoreAlpha && a.HasAlpha ? c - 1 : c;
        var x = a.Data;
        var y = b.Data;
        double sum = 0;
        for (int i = 0; i < x.Length; i += c)
            for (int k = 0; k < used; k++)
            {
                double d = (double)x[i + k] - y[i + k];
                sum += d * d;
            }
        return sum / ((double)a.Width * a.Height * used);
    }

    /// <summary>PSNR in dB with peak 1: 10·log10(1/MSE); +∞ for identical images.</summary>
    public static double Psnr(Image a, Image b, bool ignoreAlpha = false) => PsnrFromMse(Mse(a, b, ignoreAlpha));

    /// <summary>10·log10(1/<paramref name="mse"/>), +∞ when mse is 0.</summary>
    public static double PsnrFromMse(double mse) => mse <= 0 ? double.PositiveInfinity : -10.0 * Math.Log10(mse);

    /// <summary>
    /// Mean SSIM over the colour channels (gray: its one channel; RGB(A): R, G, B; alpha ignored). Both images
    /// need at least 11×11 pixels.
    /// </summary>
    public static double Ssim(Image a, Image b)
    {
        CheckSameShape(a, b);
        if (a.Width < SsimWindow || a.Height < SsimWindow)
            throw new ArgumentException($"SSIM needs images of at least {SsimWindow}×{SsimWindow} pixels, got {a.Width}×{a.Height}");
        int colour = a.HasAlpha ? a.Channels - 1 : a.Channels;
        var perChannel = new double[colour];
        CpuParallel.ForTiles(colour, 1, (start, end) =>
        {
            for (int ch = start; ch < end; ch++) perChannel[ch] = SsimChannel(a, b, ch);
        });
        double sum = 0;
        foreach (double s in perChannel) sum += s;
        return sum / colour;
    }

    static double[] GaussianWindow()
    {
        var w = new double[SsimWindow];
        int half = SsimWindow / 2;
        double total = 0;
        for (int i = 0; i < SsimWindow; i++)
        {
            double t = (i - half) / SsimSigma;
            w[i] = Math.Exp(-0.5 * t * t);
            total += w[i];
        }
        for (int i = 0; i < SsimWindow; i++) w[i] /= total;
        return w;
    }

    /// <summary>Mean of the SSIM map of one channel, separable Gaussian filtering in float64, valid region only.</summary>
    static double SsimChannel(Image a, Image b, int channel)
    {
        int width = a.Width, height = a.Height, c = a.Channels;
        int outW = width - SsimWindow + 1, outH = height - SsimWindow + 1;
        var w = GaussianWindow();
        // Horizontal pass: 5 moments (x, y, x², y², xy) filtered along rows → [height, outW] each.
        var h = new double[5][];
        for (int m = 0; m < 5; m++) h[m] = new double[(long)height * outW];
        var x = a.Data;
        var y = b.Data;
        var rowX = new double[width];
        var rowY = new double[width];
        for (int r = 0; r < height; r++)
        {
            for (int i = 0; i < width; i++)
            {
                long at = ((long)r * width + i) * c + channel;
                rowX[i] = x[at];
                rowY[i] = y[at];
            }
            for (int i = 0; i < outW; i++)
            {
                double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
                for (int k = 0; k < SsimWindow; k++)
                {
                    double wk = w[k], vx = rowX[i + k], vy = rowY[i + k];
                    sx += wk * vx;
                    sy += wk * vy;
                    sxx += wk * vx * vx;
                    syy += wk * vy * vy;
                    sxy += wk * vx * vy;
                }
                long o = (long)r * outW + i;
                h[0][o] = sx; h[1][o] = sy; h[2][o] = sxx; h[3][o] = syy; h[4][o] = sxy;
            }
        }
        // Vertical pass (row by row, cache-friendly) and the SSIM formula per output pixel.
        const double c1 = K1 * K1, c2 = K2 * K2;
        var acc = new double[5][];
        for (int m = 0; m < 5; m++) acc[m] = new double[outW];
        double total = 0;
        for (int r = 0; r < outH; r++)
        {
            for (int m = 0; m < 5; m++)
            {
                var sum = acc[m];
                var src = h[m];
                Array.Clear(sum);
                for (int k = 0; k < SsimWindow; k++)
                {
                    double wk = w[k];
                    long row = (long)(r + k) * outW;
                    for (int i = 0; i < outW; i++) sum[i] += wk * src[row + i];
                }
            }
            for (int i = 0; i < outW; i++)
            {
                double mx = acc[0][i], my = acc[1][i];
                // Clamp variances to ≥ 0 and the covariance to what they allow (rounding), like mip-NeRF.
                double vx = Math.Max(0, acc[2][i] - mx * mx), vy = Math.Max(0, acc[3][i] - my * my);
                double cov = acc[4][i] - mx * my;
                cov = Math.Sign(cov) * Math.Min(Math.Sqrt(vx * vy), Math.Abs(cov));
                total += (2 * mx * my + c1) * (2 * cov + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2));
            }
        }
        return total / ((double)outW * outH);
    }

    static void CheckSameShape(Image a, Image b)
    {
        if (a.Width != b.Width || a.Height != b.Height || a.Channels != b.Channels)
            throw new ArgumentException($"images differ in shape: {a.Width}×{a.Height}×{a.Channels} vs {b.Width}×{b.Height}×{b.Channels}");
    }
}
