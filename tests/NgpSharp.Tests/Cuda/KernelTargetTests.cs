using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>Which architecture NVRTC compiles for, given the device and NVRTC's list.</summary>
public class KernelTargetTests
{
    static readonly int[] Nvrtc124 = [50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90];

    [Fact]
    public void SupportedDeviceGetsItsOwnCubin()
    {
        var t = KernelTarget.Choose(86, Nvrtc124);
        Assert.Equal(new KernelTarget(86, 86, false), t);
        Assert.Equal("--gpu-architecture=sm_86", t.Option);
    }

    [Fact]
    public void UnlistedMinorUsesTheHighestListedArchOfItsMajor() =>
        Assert.Equal(new KernelTarget(88, 87, false), KernelTarget.Choose(88, Nvrtc124));

    [Fact]
    public void DeviceNewerThanNvrtcGetsPtxForTheHighestArch()
    {
        var t = KernelTarget.Choose(120, Nvrtc124);
        Assert.Equal(new KernelTarget(120, 90, true), t);
        Assert.Equal("--gpu-architecture=compute_90", t.Option);
    }

    [Fact]
    public void DeviceOlderThanEveryArchIsUnavailable() =>
        Assert.Contains("older than every architecture", Assert.Throws<CudaUnavailableException>(() => KernelTarget.Choose(35, [75, 80])).Message);
}
