using System.Diagnostics;
using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Imaging;

public class GifWriterTests
{
    static Image Gradient(int w, int h, float phase = 0)
    {
        var img = new Image(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                img[x, y, 0] = x / (float)(w - 1);
                img[x, y, 1] = y / (float)(h - 1);
                img[x, y, 2] = (0.5f + phase) % 1f;
            }
        return img;
    }

    static Image FewColours(int w, int h, int colours, int seed)
    {
        var rng = new Random(seed);
        var palette = Enumerable.Range(0, colours).Select(_ => new[] { rng.Next(256), rng.Next(256), rng.Next(256) }).ToArray();
        var img = new Image(w, h, 3);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var c = palette[rng.Next(colours)];
                for (int ch = 0; ch < 3; ch++) img[x, y, ch] = c[ch] / 255f;
            }
        return img;
    }

    static int Channel(int rgb, int ch) => (rgb >> (16 - 8 * ch)) & 255;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(256)]
    public void FewColourFrames_RoundTripExactly(int colours)
    {
        var frames = new[] { FewColours(37, 23, colours, 1), FewColours(37, 23, colours, 2), FewColours(37, 23, colours, 3) };
        var gif = MiniGif.Decode(GifWriter.Encode(frames, new GifOptions { DelayCentiseconds = 7, Dither = GifDither.FloydSteinberg }));
        Assert.Equal((37, 23), (gif.Width, gif.Height));
        Assert.Equal(3, gif.Frames.Count);
        Assert.Equal(0, gif.LoopCount);
        for (int f = 0; f < 3; f++)
        {
            Assert.Equal(7, gif.Frames[f].DelayCentiseconds);
            Assert.Equal(GifWriter.ToRgb(frames[f]), gif.Frames[f].Rgb);
        }
    }

    [Fact]
    public void LargeNoisyFrame_ExercisesTableResets_RoundTripsExactly()
    {
        // 256 random colours over 300×200 pixels: the LZW table fills many times (clear codes, 12-bit codes).
        var frame = FewColours(300, 200, 256, 9);
        var gif = MiniGif.Decode(GifWriter.Encode([frame]));
        Assert.Equal(GifWriter.ToRgb(frame), gif.Frames[0].Rgb);
    }

    [Fact]
    public void SmoothGradient_IsWithinQuantisationError()
    {
        var frame = Gradient(64, 64); // 4096 colours → 256 boxes of ~16 neighbouring colours
        var gif = MiniGif.Decode(GifWriter.Encode([frame]));
        var want = GifWriter.ToRgb(frame);
        int maxError = 0;
        double sum = 0;
        for (int i = 0; i < want.Length; i++)
            for (int ch = 0; ch < 3; ch++)
            {
                int e = Math.Abs(Channel(want[i], ch) - Channel(gif.Frames[0].Rgb[i], ch));
                maxError = Math.Max(maxError, e);
                sum += e;
            }
        Assert.True(maxError <= 8, $"max channel error {maxError}");
        // Ideal 4×4-colour boxes (steps of ~4 levels in R and G, B constant) average one step of error in R and G: ≈ 2.7.
        Assert.True(sum / (want.Length * 3) <= 3.0, $"mean channel error {sum / (want.Length * 3)}");
        Assert.Equal(256, gif.Frames[0].LocalPaletteSize);
    }

    [Theory]
    [InlineData(GifDither.Ordered)]
    [InlineData(GifDither.FloydSteinberg)]
    public void Dithering_KeepsLocalAverageClose(GifDither dither)
    {
        var frame = Gradient(64, 64);
        var gif = MiniGif.Decode(GifWriter.Encode([frame], new GifOptions { Dither = dither, MaxColors = 16 }));
        var want = GifWriter.ToRgb(frame);
        var got = gif.Frames[0].Rgb;
        // Averages over 8×8 blocks: dithering trades per-pixel error for a faithful local mean.
        double worst = 0;
        for (int by = 0; by < 64; by += 8)
            for (int bx = 0; bx < 64; bx += 8)
                for (int ch = 0; ch < 2; ch++)
                {
                    double a = 0, b = 0;
                    for (int y = by; y < by + 8; y++) for (int x = bx; x < bx + 8; x++) { a += Channel(want[y * 64 + x], ch); b += Channel(got[y * 64 + x], ch); }
                    worst = Math.Max(worst, Math.Abs(a - b) / 64);
                }
        Assert.True(worst <= 24, $"worst 8×8 block mean error {worst}");
        Assert.True(got.Distinct().Count() <= 16);
    }

    [Fact]
    public void GlobalPalette_NoLoop_GrayFrames()
    {
        var a = new Image(5, 4, 1);
        var b = new Image(5, 4, 1);
        for (int i = 0; i < 20; i++) { a.Data[i] = i / 19f; b.Data[i] = 1 - i / 19f; }
        var gif = MiniGif.Decode(GifWriter.Encode([a, b], new GifOptions { GlobalPalette = true, LoopCount = null, DelayCentiseconds = 50 }));
        Assert.Null(gif.LoopCount);
        Assert.Equal(32, gif.GlobalPaletteSize);
        Assert.All(gif.Frames, f => Assert.Equal(0, f.LocalPaletteSize));
        Assert.Equal(GifWriter.ToRgb(a), gif.Frames[0].Rgb);
        Assert.Equal(GifWriter.ToRgb(b), gif.Frames[1].Rgb);
        Assert.Equal(50, gif.Frames[1].DelayCentiseconds);
    }

    [Fact]
    public void SingleColourFrame_AndMismatchedSize()
    {
        var one = new Image(3, 3, 3);
        var gif = MiniGif.Decode(GifWriter.Encode([one]));
        Assert.All(gif.Frames[0].Rgb, p => Assert.Equal(0, p));
        var writer = new GifWriter(new MemoryStream(), 3, 3);
        Assert.Throws<ArgumentException>(() => writer.AddFrame(new Image(4, 3, 3)));
        Assert.Throws<InvalidOperationException>(() => writer.Finish());
        Assert.Throws<ArgumentException>(() => GifWriter.Encode([]));
    }

    [IdentifyFact]
    public void ImageMagick_AgreesOnFrameCount_WhenInstalled()
    {
        string identify = VideoWriter.FindOnPath("identify")!;
        string path = Path.Combine(Path.GetTempPath(), $"ngp-gif-{Guid.NewGuid():N}.gif");
        try
        {
            GifWriter.Write(path, [Gradient(40, 30, 0), Gradient(40, 30, 0.2f), Gradient(40, 30, 0.4f), FewColours(40, 30, 5, 1)]);
            var psi = new ProcessStartInfo(identify, ["-format", "%w %h\\n", path]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(4, lines.Length);
            Assert.All(lines, l => Assert.Equal("40 30", l.Trim()));
        }
        finally { File.Delete(path); }
    }
}

/// <summary>An optional cross-check against ImageMagick's <c>identify</c>: skipped where it is not installed (CI).</summary>
public sealed class IdentifyFactAttribute : FactAttribute
{
    public IdentifyFactAttribute()
    {
        if (VideoWriter.FindOnPath("identify") is null) Skip = "ImageMagick identify is not on PATH";
    }
}
