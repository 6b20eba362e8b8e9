using NgpSharp.Compute;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Rendering;

public class NerfLossTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    [Fact]
    public void CompositeOnBackground_StraightAlpha()
    {
        using var rgba = Cpu.Upload<double>([0.2, 0.4, 0.6, 0.25, 1, 0, 0, 1, 0.5, 0.5, 0.5, 0]);
        using var bg = Cpu.Upload<double>([1, 1, 1, 0, 0, 1, 0.1, 0.2, 0.3]);
        using var t = Cpu.AllocateMatrix<double>(3, 3, out var target);
        NerfLoss<double>.CompositeOnBackground(rgba.AsMatrix(3, 4), RayBackground<double>.PerRay(bg.AsMatrix(3, 3)), target);
        double[] expected = [0.2 * 0.25 + 0.75, 0.4 * 0.25 + 0.75, 0.6 * 0.25 + 0.75, 1, 0, 0, 0.1, 0.2, 0.3];
        Assert.Equal(expected.Select(v => Math.Round(v, 12)), target.AsSpan().ToArray().Select(v => Math.Round(v, 12)));

        NerfLoss<double>.CompositeOnBackground(rgba.AsMatrix(3, 4), RayBackground<double>.White, target);
        Assert.Equal(1.0, target.AsSpan()[8]); // fully transparent pixel shows the background
    }

    [Fact]
    public void RandomBackgrounds_PerRayAndPerBatch_FromThePcg32Stream()
    {
        using var b = Cpu.AllocateMatrix<float>(4, 3, out var colours);
        var rng = new Rng(9);
        var reference = rng;
        NerfLoss<float>.DrawRandomBackgrounds(ref rng, colours, BackgroundSampling.PerRay);
        var draws = Enumerable.Range(0, 12).Select(_ => reference.NextFloat()).ToArray();
        Assert.Equal(draws, colours.AsSpan().ToArray());
        Assert.Equal(reference.State, rng.State); // advanced by exactly the draws made

        NerfLoss<float>.DrawRandomBackgrounds(ref rng, colours, BackgroundSampling.PerBatch);
        var first = new[] { reference.NextFloat(), reference.NextFloat(), reference.NextFloat() };
        for (int r = 0; r < 4; r++) Assert.Equal(first, colours.AsSpan().Slice(3 * r, 3).ToArray());
        Assert.Equal(reference.State, rng.State);
    }

    [Fact]
    public void Huber_DeltaTenth_DividedByFive_MeanOverElements()
    {
        using var loss = new NerfLoss<double>(Cpu);
        Assert.Equal(0.1, loss.Huber.Delta);
        Assert.Equal(0.2, loss.Huber.Scale);
        using var p = Cpu.Upload<double>([0.55, 0.8, 0.3]);
        using var t = Cpu.Upload<double>([0.5, 0.5, 0.3]);
        using var g = Cpu.AllocateMatrix<double>(1, 3, out var grad);
        double value = loss.Evaluate(1.0, p.AsMatrix(1, 3), t.AsMatrix(1, 3), grad);
        // d = 0.05 (quadratic: d²/(2δ) = 0.0125), d = 0.3 (linear: d − δ/2 = 0.25), d = 0; ×0.2; mean of 3.
        Assert.Equal((0.0125 + 0.25) * 0.2 / 3, value, 12);
        var gr = grad.AsSpan();
        Assert.Equal(0.05 / 0.1 * 0.2 / 3, gr[0], 12); // d/δ
        Assert.Equal(0.2 / 3, gr[1], 12);              // sign(d)
        Assert.Equal(0.0, gr[2]);
    }

    [Fact]
    public void Psnr_OfABatch()
    {
        using var p = Cpu.Upload<float>([0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f]);
        using var t = Cpu.Upload<float>([0.2f, 0.1f, 0.4f, 0.3f, 0.6f, 0.5f]);
        Assert.Equal(20.0, NerfLoss<float>.Psnr(p.AsMatrix(2, 3), t.AsMatrix(2, 3)), 4); // MSE 0.01
        Assert.Equal(double.PositiveInfinity, NerfLoss<float>.Psnr(p.AsMatrix(2, 3), p.AsMatrix(2, 3)));
        Assert.Throws<ArgumentException>(() => NerfLoss<float>.Psnr(p.AsMatrix(2, 3), t.AsMatrix(3, 2)));
    }
}
