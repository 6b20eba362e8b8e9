using NgpSharp.Compute;
using NgpSharp.Imaging;
using NgpSharp.Resources;
using NgpSharp.Systems.Image;
using Xunit;

namespace NgpSharp.Tests.Systems;

public class ImageTextureTests
{
    static Image Checker()
    {
        var img = new Image(2, 2, 3);
        float[] values = [0, 1, 1, 0];
        for (int p = 0; p < 4; p++) for (int c = 0; c < 3; c++) img.Data[p * 3 + c] = values[p] * (c + 1) / 3f;
        return img;
    }

    [Fact]
    public void TexelCentresReturnTheTexelsExactly()
    {
        var tex = new ImageTexture(Checker());
        Span<float> rgb = stackalloc float[3];
        tex.Sample(0.25f, 0.25f, rgb);
        Assert.Equal([0f, 0f, 0f], rgb.ToArray());
        tex.Sample(0.75f, 0.25f, rgb);
        Assert.Equal([1 / 3f, 2 / 3f, 1f], rgb.ToArray());
    }

    [Fact]
    public void BetweenCentresIsBilinear_AndEdgesClamp()
    {
        var tex = new ImageTexture(Checker());
        Span<float> rgb = stackalloc float[3];
        tex.Sample(0.5f, 0.25f, rgb); // halfway between texel 0 (0) and texel 1 (1): 0.5
        Assert.Equal(0.5f / 3, rgb[0], 6);
        tex.Sample(0.5f, 0.5f, rgb); // centre of all four
        Assert.Equal(0.5f, rgb[2], 6);
        tex.Sample(0f, 0f, rgb); // clamp: the corner texel
        Assert.Equal(0f, rgb[0]);
        tex.Sample(1f, 0f, rgb);
        Assert.Equal(1 / 3f, rgb[0], 6);
    }

    [Fact]
    public void GrayPicturesAreReplicated_AlphaIsDropped()
    {
        var gray = new Image(1, 1, 1, [0.25f]);
        Span<float> rgb = stackalloc float[3];
        new ImageTexture(gray).Sample(0.5f, 0.5f, rgb);
        Assert.Equal([0.25f, 0.25f, 0.25f], rgb.ToArray());
        var rgba = new Image(1, 1, 4, [0.1f, 0.2f, 0.3f, 0.5f]);
        new ImageTexture(rgba).Sample(0.5f, 0.5f, rgb);
        Assert.Equal([0.1f, 0.2f, 0.3f], rgb.ToArray());
    }
}

public class ImageLearningTests
{
    /// <summary>The embedded 256² picture, box-downscaled to 64².</summary>
    static Image SmallPicture() => Png.Decode(EmbeddedResources.DemoPicture, "demo.png").Downscale(4);

    [Fact]
    public void LearnsASmallPicture_AndWritesItsOutputs()
    {
        var dir = Directory.CreateTempSubdirectory("ngp-image").FullName;
        try
        {
            var options = new ImageLearningOptions
            {
                Picture = SmallPicture(), Config = EmbeddedResources.ImageConfig, OutputDirectory = dir,
                Steps = 150, BatchSize = 4096, SnapshotEvery = 50, EvaluateEvery = 50,
            };
            var progress = new List<ImageLearningProgress>();
            var result = ImageLearning.Run(CpuBackend.Shared, options, progress.Add);
            // 64² pixels, 2^15-entry hash grid: the picture is learnt well past what any blur would give.
            Assert.True(result.Psnr > 26, $"PSNR {result.Psnr:F2} dB after 150 steps");
            Assert.True(File.Exists(Path.Combine(dir, "final.png")));
            foreach (var s in new[] { 50, 100, 150 }) Assert.True(File.Exists(Path.Combine(dir, $"step-{s:D5}.png")));
            var final = Png.Read(Path.Combine(dir, "final.png"));
            Assert.Equal((64, 64), (final.Width, final.Height));
            var lines = File.ReadAllLines(Path.Combine(dir, "metrics.csv"));
            Assert.Equal("step,loss,psnr,samples_per_s", lines[0]);
            Assert.Equal(15 + 1, lines.Length);
            Assert.Contains(lines, l => l.StartsWith("150,", StringComparison.Ordinal) && l.Split(',')[2].Length > 0);
            Assert.Equal(150, progress[^1].Step);
            Assert.True(progress[^1].Psnr > progress.First(p => p.Psnr is not null).Psnr, "PSNR did not improve between the first and last evaluation");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void SameSeedGivesTheSameRun()
    {
        double Run()
        {
            using var t = new ImageTrainer(CpuBackend.Shared, SmallPicture(), EmbeddedResources.ImageConfig, 2048, seed: 3);
            double loss = 0;
            for (int i = 0; i < 10; i++) loss = t.Step().Loss;
            return loss;
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void WholeTrainingIsBitIdentical_ForOneAndTwoThreads()
    {
        float[] Train(int threads)
        {
            int keep = NgpSharp.Compute.Cpu.CpuParallel.ThreadCount;
            NgpSharp.Compute.Cpu.CpuParallel.ThreadCount = threads;
            try
            {
                using var t = new ImageTrainer(CpuBackend.Shared, SmallPicture(), EmbeddedResources.ImageConfig, 20000, seed: 9);
                for (int i = 0; i < 5; i++) t.Step();
                return t.Trainer.Params.AsSpan().ToArray();
            }
            finally { NgpSharp.Compute.Cpu.CpuParallel.ThreadCount = keep; }
        }
        Assert.Equal(Train(1), Train(2));
    }
}
