using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>The caching allocator's policy, against a fake device allocator.</summary>
public class DeviceMemoryPoolTests
{
    sealed class FakeMemory(long capacity) : IDeviceMemory
    {
        public long Used;
        public int Allocations, Frees, Syncs;
        ulong _next = 0x1000_0000;
        readonly Dictionary<ulong, long> _blocks = [];

        public int Allocate(ulong bytes, out ulong pointer)
        {
            pointer = 0;
            if (Used + (long)bytes > capacity) return 2; // CUDA_ERROR_OUT_OF_MEMORY
            pointer = _next;
            _next += bytes + 256;
            _blocks[pointer] = (long)bytes;
            Used += (long)bytes;
            Allocations++;
            return 0;
        }

        public void Free(ulong pointer)
        {
            Used -= _blocks[pointer];
            _blocks.Remove(pointer);
            Frees++;
        }

        public void Synchronize() => Syncs++;
        public (long Free, long Total) Info() => (capacity - Used, capacity);
    }

    [Theory]
    [InlineData(1, 256)]
    [InlineData(256, 256)]
    [InlineData(257, 512)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 4608)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, (1 << 20) + (1 << 17))]
    public void SizesRoundToClasses(long bytes, long rounded) => Assert.Equal(rounded, DeviceMemoryPool.RoundSize(bytes));

    [Fact]
    public void RoundingWastesAtMostAnEighth()
    {
        for (long b = 4097; b < 1 << 24; b = b * 3 / 2 + 7)
        {
            long r = DeviceMemoryPool.RoundSize(b);
            Assert.True(r >= b && r - b <= b / 8 + 1, $"{b} → {r}");
            Assert.Equal(0, r % 256);
        }
    }

    [Fact]
    public void FreedBlocksAreReusedWithoutADriverCall()
    {
        var mem = new FakeMemory(1 << 30);
        var pool = new DeviceMemoryPool(mem);
        ulong a = pool.Rent(1000);
        pool.Return(a);
        Assert.Equal(1024, pool.CachedBytes);
        ulong b = pool.Rent(1000);
        Assert.Equal(a, b);
        Assert.Equal(1, mem.Allocations);
        Assert.Equal(0, pool.CachedBytes);
        Assert.Equal(1024, pool.LiveBytes);
    }

    [Fact]
    public void OutOfMemoryFreesTheCacheAndRetriesOnce()
    {
        var mem = new FakeMemory(4096);
        var pool = new DeviceMemoryPool(mem);
        pool.Return(pool.Rent(3000)); // 3072 cached
        ulong p = pool.Rent(2048);     // does not fit beside the cached block: trim, retry
        Assert.NotEqual(0UL, p);
        Assert.Equal(1, mem.Frees);
        Assert.Equal(1, mem.Syncs);     // waited for the stream before freeing
        Assert.Equal(0, pool.CachedBytes);
    }

    [Fact]
    public void OutOfMemoryAfterRetrySaysWhatWasAskedAndWhatIsFree()
    {
        var mem = new FakeMemory(1 << 20);
        var pool = new DeviceMemoryPool(mem);
        pool.Rent(512 << 10);
        var e = Assert.Throws<CudaOutOfMemoryException>(() => pool.Rent(768 << 10));
        Assert.Equal(768 << 10, e.RequestedBytes);
        Assert.Equal(512 << 10, e.FreeBytes);
        Assert.Contains("786432 bytes requested", e.Message);
        Assert.Contains("524288 bytes free of 1.0 MiB", e.Message);
    }

    [Fact]
    public void DoubleReturnIsRejected()
    {
        var pool = new DeviceMemoryPool(new FakeMemory(1 << 20));
        ulong p = pool.Rent(100);
        pool.Return(p);
        Assert.Throws<InvalidOperationException>(() => pool.Return(p));
    }

    [Fact]
    public void FreeAllReleasesLiveAndCachedBlocks()
    {
        var mem = new FakeMemory(1 << 20);
        var pool = new DeviceMemoryPool(mem);
        pool.Rent(100);
        pool.Return(pool.Rent(5000));
        pool.FreeAll();
        Assert.Equal(0, mem.Used);
        Assert.Equal(0, pool.LiveBytes + pool.CachedBytes);
    }
}
