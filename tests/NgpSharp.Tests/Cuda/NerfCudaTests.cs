using NgpSharp.Compute;
using NgpSharp.Nn;
using NgpSharp.Rendering;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>The NeRF CUDA paths' argument checks, on the emulated backend (parity itself: NerfParityChecks).</summary>
public class NerfCudaTests
{
    static RaySamples TwoRays()
    {
        var s = new RaySamples(2, 3) { Count = 3 };
        s.RayOffsets[0] = 0; s.RayCounts[0] = 2; s.RayOffsets[1] = 2; s.RayCounts[1] = 1;
        for (int i = 0; i < 3; i++) { s.TStarts[i] = 0.1f * i; s.TEnds[i] = 0.1f * i + 0.05f; }
        return s;
    }

    [EmulatorFact]
    public void RendererRejectsInputsOnAnotherBackend()
    {
        var cuda = EmulatorTestBackend.Require();
        using var cpuNet = CpuBackend.Shared.AllocateMatrix<float>(3, 4, out var cpuOutputs);
        using var output = new VolumeRenderOutput<float>(cuda);
        var renderer = new VolumeRenderer<float>();
        var e = Assert.Throws<ArgumentException>(() => renderer.Forward(TwoRays(), new ColumnRange<float>(cpuOutputs, 3, 1),
            new ColumnRange<float>(cpuOutputs, 0, 3), RayBackground<float>.Black, output));
        Assert.Contains("raw density", e.Message);
    }

    [EmulatorFact]
    public void RendererOnCudaNeedsFloat()
    {
        var cuda = EmulatorTestBackend.Require();
        using var net = cuda.AllocateMatrix<double>(3, 4, out var outputs);
        using var output = new VolumeRenderOutput<double>(cuda);
        Assert.Throws<NotSupportedException>(() => new VolumeRenderer<double>().Forward(TwoRays(), new ColumnRange<double>(outputs, 3, 1),
            new ColumnRange<double>(outputs, 0, 3), RayBackground<double>.Black, output));
    }

    [EmulatorFact]
    public void RendererComputesOnTheEmulator()
    {
        // One opaque sample (raw density 20: α = 1) then one hidden sample: colour = sigmoid(0) = ½, 1 sample used.
        var cuda = EmulatorTestBackend.Require();
        var host = new float[] { 0, 0, 0, 20, /**/ 5, 5, 5, 20, /**/ 0, 0, 0, -30 };
        using var net = cuda.Upload<float>(host);
        var outputs = net.AsMatrix(3, 4);
        using var output = new VolumeRenderOutput<float>(cuda);
        new VolumeRenderer<float>().Forward(TwoRays(), new ColumnRange<float>(outputs, 3, 1), new ColumnRange<float>(outputs, 0, 3),
            RayBackground<float>.White, output);
        Assert.Equal([1, 1], output.UsedCounts.ToArray());
        Assert.Equal(2, output.TotalUsed);
        var colour = cuda.ToArray(output.Colour.Data);
        Assert.Equal(0.5f, colour[0], 1e-6f);
        Assert.Equal(1f, colour[3], 1e-6f); // ray 1: σδ ≈ 0, the white background shows
    }

    [EmulatorFact]
    public void NerfNetworkOnCudaNeedsFloat()
    {
        var cuda = EmulatorTestBackend.Require();
        Assert.Throws<NotSupportedException>(() => NerfNetwork<double>.FromJson(cuda, 1));
    }
}
