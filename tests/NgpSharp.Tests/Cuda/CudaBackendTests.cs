using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>The backend contract on a real device (skipped, with the probe's reason, where there is none).</summary>
public class CudaBackendTests
{
    static CudaBackend Gpu => CudaTestBackend.Require();

    [CudaFact]
    public void AllocationsAreZeroFilledEvenWhenABlockIsReused()
    {
        using (var dirty = Gpu.Allocate<float>(10_000)) Gpu.Fill(dirty.All, 7f);
        using var clean = Gpu.Allocate<float>(10_000);   // same size class: the cached block comes back
        Assert.All(Gpu.ToArray(clean.All), v => Assert.Equal(0f, v));
        using var odd = Gpu.Allocate<byte>(13);          // a size memset D32 cannot cover
        Assert.All(Gpu.ToArray(odd.All), v => Assert.Equal(0, v));
    }

    [CudaFact]
    public void UploadAndDownloadRoundTripThroughSlices()
    {
        var data = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        using var b = Gpu.Allocate<float>(1200);
        Gpu.CopyFromHost<float>(data, b.All.Slice(100, 1000));
        var back = Gpu.ToArray(b.All);
        Assert.All(back[..100], v => Assert.Equal(0f, v));
        Assert.Equal(data, back[100..1100]);
        Assert.All(back[1100..], v => Assert.Equal(0f, v));
    }

    [CudaFact]
    public void DeviceCopyIsOrderedAfterFill()
    {
        using var a = Gpu.Allocate<int>(5000);
        using var b = Gpu.Allocate<int>(5000);
        Gpu.Fill(a.All, 42);
        Gpu.Copy(a.All.Slice(0, 2500), b.All.Slice(2500, 2500));
        var host = Gpu.ToArray(b.All);
        Assert.All(host[..2500], v => Assert.Equal(0, v));
        Assert.All(host[2500..], v => Assert.Equal(42, v));
        Assert.Throws<ArgumentException>(() => Gpu.Copy(a.All.Slice(0, 100), a.All.Slice(50, 100)));
    }

    [CudaFact]
    public void FillWritesEveryKindOfPattern()
    {
        using var h = Gpu.Allocate<Half>(999);
        Gpu.Fill(h.All.Slice(1, 997), (Half)0.25f);
        var hh = Gpu.ToArray(h.All);
        Assert.Equal((Half)0, hh[0]);
        Assert.Equal((Half)0, hh[998]);
        Assert.All(hh[1..998], v => Assert.Equal((Half)0.25f, v));

        using var d = Gpu.Allocate<double>(10_000_001);   // word kernel, more units than one grid: the grid-stride loop
        Gpu.Fill(d.All.Slice(1, 10_000_000), 1.0);
        var dd = Gpu.ToArray(d.All);
        Assert.Equal(0.0, dd[0]);
        Assert.True(dd.AsSpan(1).IndexOfAnyExcept(1.0) < 0);

        using var rgb = Gpu.Allocate<Rgb>(1001);           // byte kernel
        Gpu.Fill(rgb.All, new Rgb(1, 2, 3));
        Assert.All(Gpu.ToArray(rgb.All), v => Assert.Equal(new Rgb(1, 2, 3), v));
    }

    [CudaFact]
    public void EmptyBuffersNeedNoDriverCalls()
    {
        long live = Gpu.LiveAllocations;
        using (var e = Gpu.Allocate<float>(0))
        {
            Assert.Equal(0UL, e.All.Pointer());
            Gpu.Fill(e.All, 1f);
            Gpu.CopyFromHost<float>([], e.All);
            Assert.Empty(Gpu.ToArray(e.All));
        }
        Assert.Equal(live, Gpu.LiveAllocations);
    }

    [CudaFact]
    public async Task OtherThreadsCanUseTheBackend()
    {
        using var b = Gpu.Allocate<float>(64);
        await Task.Run(() => Gpu.CopyFromHost<float>(Enumerable.Repeat(3f, 64).ToArray(), b.All));
        var back = await Task.Run(() => Gpu.ToArray(b.All));
        Assert.All(back, v => Assert.Equal(3f, v));
    }

    [CudaFact]
    public void ModulesAreCachedAndMissingKernelsAreNamed()
    {
        var f1 = Gpu.Modules.GetFunction("Fill.cu", "kernel_fill_words");
        var f2 = Gpu.Modules.GetFunction("Fill.cu", "kernel_fill_words");
        Assert.Same(f1, f2);
        var e = Assert.Throws<CudaException>(() => Gpu.Modules.GetFunction("Fill.cu", "kernel_missing"));
        Assert.Contains("kernel_missing", e.Message);
    }

    [CudaFact]
    public void LaunchRejectsImpossibleShapesBeforeTheDriver()
    {
        var f = Gpu.Modules.GetFunction("Fill.cu", "kernel_fill_words");
        Assert.Throws<ArgumentException>(() => Gpu.Launch(f, new LaunchShape(1, 2048), new FillPatternArgs()));
        Assert.Throws<ArgumentException>(() => Gpu.Launch(f, new LaunchShape(1, 32, SharedBytes: (uint)Gpu.MaxSharedMemoryPerBlockOptin + 1), new FillPatternArgs()));
    }

    [CudaFact]
    public void EventsTimeQueuedWork()
    {
        using var b = Gpu.Allocate<float>(1 << 20);
        float ms = Gpu.Time(() => Gpu.Fill(b.All, 2f));
        Assert.True(ms >= 0 && ms < 10_000, ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [CudaFact]
    public void AskingForMoreThanTheDeviceHasThrowsOutOfMemoryWithNumbers()
    {
        var e = Assert.Throws<CudaOutOfMemoryException>(() => Gpu.Allocate<byte>(Gpu.TotalMemory + (1L << 30)));
        Assert.Equal(Gpu.TotalMemory + (1L << 30), e.RequestedBytes);
        Assert.Contains("requested", e.Message);
    }

    [CudaFact]
    public void LiveAllocationsReturnToTheirStart()
    {
        long live = Gpu.LiveAllocations;
        using (Gpu.Allocate<float>(100)) using (Gpu.Allocate<int>(3)) Assert.Equal(live + 2, Gpu.LiveAllocations);
        Assert.Equal(live, Gpu.LiveAllocations);
    }

    readonly record struct Rgb(byte R, byte G, byte B);
}
