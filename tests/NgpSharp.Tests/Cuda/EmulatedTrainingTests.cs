using NgpSharp.Compute;
using NgpSharp.Imaging;
using NgpSharp.Resources;
using NgpSharp.Systems.Image;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// End to end on the CUDA code path (through the host emulator): image learning with the GPU sampler, the hash
/// grid, the fused fp16 MLP (loss scale 128), the loss, Adam and the device reductions must track the CPU run.
/// </summary>
public class EmulatedTrainingTests
{
    static Image Picture()
    {
        var full = Png.Decode(EmbeddedResources.DemoPicture, "demo.png");
        return full.Downscale(8); // 32×32
    }

    static double[] Losses(Backend backend)
    {
        using var session = new ImageTrainer(backend, Picture(), EmbeddedResources.ImageConfig, 1024, seed: 11);
        var losses = new double[12];
        for (int i = 0; i < losses.Length; i++) losses[i] = session.Step().Loss;
        return losses;
    }

    [EmulatorFact]
    public void ImageTrainingOnTheCudaPathTracksTheCpu()
    {
        var cpu = Losses(CpuBackend.Shared);
        var device = Losses(EmulatorTestBackend.Require());
        Assert.True(cpu[^1] < cpu[0] / 3, $"the CPU run did not learn: {cpu[0]} → {cpu[^1]}");
        for (int i = 0; i < cpu.Length; i++)
            Assert.True(Math.Abs(device[i] - cpu[i]) <= 0.02 * Math.Abs(cpu[i]),
                $"step {i}: device loss {device[i]:G6} vs CPU {cpu[i]:G6} (fp16 MLP vs fp32: within 2% expected)");
    }
}
