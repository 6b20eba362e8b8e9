using NgpSharp.Compute;
using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Imaging;

public class ImageMetricsTests
{
    static Image Filled(int w, int h, int c, float v)
    {
        var image = new Image(w, h, c);
        Array.Fill(image.Data, v);
        return image;
    }

    static Image WithNoise(Image image, float sigma, ulong seed)
    {
        var rng = new Rng(seed, 11);
        var noisy = new Image(image.Width, image.Height, image.Channels, (float[])image.Data.Clone());
        for (int i = 0; i < noisy.Data.Length; i++)
        {
            // Box-Muller from two uniforms in (0, 1].
            double u1 = 1.0 - rng.NextFloat(), u2 = rng.NextFloat();
            noisy.Data[i] = Math.Clamp(noisy.Data[i] + sigma * (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2)), 0f, 1f);
        }
        return noisy;
    }

    [Fact]
    public void Psnr_OfIdenticalImages_IsInfinite()
    {
        var a = Png.Read(TestData.Path("images", "astronaut.png"));
        Assert.Equal(0, ImageMetrics.Mse(a, a));
        Assert.Equal(double.PositiveInfinity, ImageMetrics.Psnr(a, a));
    }

    [Fact]
    public void Psnr_OfKnownMse_Is10Log10OneOverMse()
    {
        var a = Filled(8, 4, 3, 0.5f);
        var b = Filled(8, 4, 3, 0.6f);
        double mse = ImageMetrics.Mse(a, b);
        Assert.Equal(0.01, mse, 1e-8);
        Assert.Equal(10 * Math.Log10(1 / mse), ImageMetrics.Psnr(a, b), 1e-9);
        Assert.Equal(20.0, ImageMetrics.Psnr(a, b), 1e-5);
        // One pixel off by 1 of 32 pixels × 3 channels: mse = 1/96.
        var c = Filled(8, 4, 3, 0f);
        var d = Filled(8, 4, 3, 0f);
        d[3, 2, 1] = 1f;
        Assert.Equal(10 * Math.Log10(96), ImageMetrics.Psnr(c, d), 1e-9);
    }

    [Fact]
    public void Mse_IgnoreAlpha_UsesColourChannelsOnly()
    {
        var a = Filled(4, 4, 4, 0.5f);
        var b = Filled(4, 4, 4, 0.5f);
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
            {
                b[x, y, 3] = 0f;   // alpha differs by 0.5
                b[x, y, 0] = 0.7f; // red differs by 0.2
            }
        Assert.Equal((0.04 + 0.25) / 4, ImageMetrics.Mse(a, b), 1e-7);
        Assert.Equal(0.04 / 3, ImageMetrics.Mse(a, b, ignoreAlpha: true), 1e-7);
    }

    [Fact]
    public void Metrics_RejectDifferentShapes()
    {
        Assert.Throws<ArgumentException>(() => ImageMetrics.Mse(Filled(4, 4, 3, 0), Filled(4, 4, 4, 0)));
        Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(Filled(20, 20, 3, 0), Filled(20, 21, 3, 0)));
        Assert.Throws<ArgumentException>(() => ImageMetrics.Ssim(Filled(10, 20, 3, 0), Filled(10, 20, 3, 0)));
    }

    [Fact]
    public void Ssim_OfIdenticalImages_IsOne()
    {
        var a = Png.Read(TestData.Path("images", "astronaut.png"));
        Assert.Equal(1.0, ImageMetrics.Ssim(a, a), 1e-12);
    }

    [Fact]
    public void Ssim_DecreasesWithNoise()
    {
        var a = Png.Read(TestData.Path("images", "astronaut.png")).Downscale(2);
        double previous = 1.0;
        foreach (float sigma in new[] { 0.01f, 0.03f, 0.1f, 0.3f })
        {
            double s = ImageMetrics.Ssim(a, WithNoise(a, sigma, 5));
            Assert.True(s < previous, $"SSIM {s} at noise σ={sigma} is not below {previous}");
            previous = s;
        }
        Assert.True(previous < 0.5, $"SSIM at σ=0.3 is {previous}");
    }

    [Fact]
    public void Ssim_OfConstantImages_IsTheLuminanceTerm()
    {
        // No variance: SSIM = (2·μx·μy + C1) / (μx² + μy² + C1), C1 = 0.01².
        double mx = 0.3, my = 0.7, c1 = 1e-4;
        double expected = (2 * mx * my + c1) / (mx * mx + my * my + c1);
        Assert.Equal(expected, ImageMetrics.Ssim(Filled(16, 12, 3, (float)mx), Filled(16, 12, 3, (float)my)), 1e-6);
    }

    [Fact]
    public void Ssim_IgnoresAlpha_AndHandlesGray()
    {
        var rgb = WithNoise(Filled(24, 24, 3, 0.5f), 0.2f, 1);
        var rgba = rgb.ToChannels(4);
        var other = rgba.ToChannels(4);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 24; x++) other[x, y, 3] = 0.1f;
        Assert.Equal(1.0, ImageMetrics.Ssim(rgba, other), 1e-12);
        var gray = rgb.ToChannels(1);
        double s = ImageMetrics.Ssim(gray, WithNoise(gray, 0.1f, 2));
        Assert.InRange(s, 0.0, 0.99);
    }
}
