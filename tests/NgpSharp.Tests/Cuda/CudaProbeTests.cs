using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>Things that hold on any machine: the probe never throws, launch shapes, kernel defines and headers.</summary>
public class CudaProbeTests
{
    [Fact]
    public void TryCreateNeverThrowsAndExplainsItself()
    {
        bool ok = CudaBackend.TryCreate(out var backend, out string reason);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        if (ok)
        {
            Assert.NotNull(backend);
            Assert.StartsWith("cuda (", reason);
            backend!.Dispose();
        }
        else
        {
            Assert.Null(backend);
            Assert.True(reason.Contains("driver", StringComparison.OrdinalIgnoreCase) || reason.Contains("NVRTC") || reason.Contains("device"), reason);
        }
    }

    [Fact]
    public void ProbeWithoutADriverNamesTheLibrariesTried()
    {
        if (CudaTestBackend.Instance is not null) return; // only meaningful on a machine without CUDA
        bool ok = CudaBackend.TryCreate(out _, out string reason);
        Assert.False(ok);
        if (reason.StartsWith("CUDA driver not found", StringComparison.Ordinal))
            Assert.Contains(OperatingSystem.IsWindows() ? "nvcuda.dll" : "libcuda.so.1", reason);
    }

    [Fact]
    public void DescribeWorksEverywhere()
    {
        string text = CudaInfo.Describe();
        Assert.Contains("cuda driver:", text);
        Assert.Contains("nvrtc:", text);
        Assert.Contains("kernel cache:", text);
    }

    [Theory]
    [InlineData(0, 128, 1u)]
    [InlineData(1, 128, 1u)]
    [InlineData(128, 128, 1u)]
    [InlineData(129, 128, 2u)]
    [InlineData(1L << 20, 256, 4096u)]
    public void LinearShapeCoversEveryItem(long n, uint threads, uint blocks)
    {
        var s = LaunchShape.Linear(n, threads);
        Assert.Equal(blocks, s.GridX);
        Assert.Equal(threads, s.BlockX);
        Assert.True((long)s.GridX * s.BlockX >= n);
        Assert.Equal((1u, 1u, 1u, 1u, 0u), (s.GridY, s.GridZ, s.BlockY, s.BlockZ, s.SharedBytes));
    }

    [Fact]
    public void LinearShapeRejectsBadCounts()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchShape.Linear(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LaunchShape.Linear(long.MaxValue / 2, 1));
    }

    [Fact]
    public void DefinesAreSortedAndValidated()
    {
        var sorted = CudaModuleCache.SortedDefines(new Dictionary<string, string> { ["N_LEVELS"] = "16", ["A"] = "1" });
        Assert.Equal(["A", "N_LEVELS"], sorted.Select(d => d.Key));
        Assert.Throws<ArgumentException>(() => CudaModuleCache.SortedDefines(new Dictionary<string, string> { ["1BAD"] = "1" }));
        Assert.Throws<ArgumentException>(() => CudaModuleCache.SortedDefines(new Dictionary<string, string> { ["X"] = "1\n#define Y" }));
        Assert.Empty(CudaModuleCache.SortedDefines(null));
    }

    [Fact]
    public void IncludedHeadersAreFoundInEmbeddedSources()
    {
        var headers = CudaModuleCache.IncludedHeaders("Fill.cu", KernelSources.Read("Fill.cu"));
        Assert.Equal([KernelSources.PreludeName], headers.Select(h => h.Key));
        Assert.Contains("mma.sync", headers[0].Value);
        var e = Assert.Throws<CudaException>(() => CudaModuleCache.IncludedHeaders("X.cu", "#include \"nope.cuh\"\n"));
        Assert.Contains("nope.cuh", e.Message);
        Assert.Contains("X.cu", e.Message);
    }

    [Fact]
    public void DevicePointerOfACpuBufferIsRefused()
    {
        using var b = CpuBackend.Shared.Allocate<float>(4);
        Assert.Throws<InvalidOperationException>(() => b.All.Pointer());
    }
}
