using System.Numerics;

namespace NgpSharp.Compute.Cuda;

/// <summary>The raw device allocator under <see cref="DeviceMemoryPool"/> (the driver, or a fake in tests).</summary>
internal interface IDeviceMemory
{
    /// <summary>cuMemAlloc: a CUresult, and the pointer on success.</summary>
    int Allocate(ulong bytes, out ulong pointer);

    void Free(ulong pointer);

    /// <summary>Waits for queued work, so freed blocks are no longer in use by kernels.</summary>
    void Synchronize();

    (long Free, long Total) Info();
}

/// <summary>
/// A caching allocator: freed blocks go to free lists keyed by their rounded size and are handed out again
/// without a driver call (safe because every op runs on the backend's one stream, in order). cuMemAlloc runs only
/// on a miss; when it reports out-of-memory the cache is freed and the allocation retried once.
/// Sizes round up to 256 bytes below 4 KiB, else to one of 8 steps per power of two (≤ 12.5% slack).
/// </summary>
internal sealed class DeviceMemoryPool(IDeviceMemory memory)
{
    /// <summary>The allocator under the pool.</summary>
    public IDeviceMemory Memory => memory;

    const int CUDA_ERROR_OUT_OF_MEMORY = 2;

    readonly object _gate = new();
    readonly Dictionary<long, Stack<ulong>> _free = [];
    readonly Dictionary<ulong, long> _live = [];
    long _cachedBytes, _liveBytes;

    /// <summary>Bytes in blocks kept for reuse.</summary>
    public long CachedBytes { get { lock (_gate) return _cachedBytes; } }

    /// <summary>Bytes (rounded) in blocks handed out and not yet returned.</summary>
    public long LiveBytes { get { lock (_gate) return _liveBytes; } }

    /// <summary>The block size a request of <paramref name="bytes"/> (&gt; 0) gets.</summary>
    public static long RoundSize(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        if (bytes <= 4096) return (bytes + 255) & ~255L;
        long step = 1L << (63 - BitOperations.LeadingZeroCount((ulong)bytes) - 3);
        return checked((bytes + step - 1) / step * step);
    }

    /// <summary>A block of at least <paramref name="bytes"/>; contents undefined (the backend zeroes it).</summary>
    public ulong Rent(long bytes)
    {
        long size = RoundSize(bytes);
        lock (_gate)
        {
            if (_free.TryGetValue(size, out var stack) && stack.TryPop(out ulong reused))
            {
                _cachedBytes -= size;
                return Track(reused, size);
            }
            int r = memory.Allocate((ulong)size, out ulong pointer);
            if (r == CUDA_ERROR_OUT_OF_MEMORY)
            {
                TrimLocked();
                r = memory.Allocate((ulong)size, out pointer);
                if (r == CUDA_ERROR_OUT_OF_MEMORY)
                {
                    var (free, total) = memory.Info();
                    throw new CudaOutOfMemoryException(bytes, free, total, _liveBytes);
                }
            }
            if (r != 0) throw Interop.CudaDriver.Failure(r, $"cuMemAlloc({size} bytes)");
            return Track(pointer, size);
        }
    }

    ulong Track(ulong pointer, long size)
    {
        _live.Add(pointer, size);
        _liveBytes += size;
        return pointer;
    }

    /// <summary>Takes a block back for reuse.</summary>
    public void Return(ulong pointer)
    {
        lock (_gate)
        {
            if (!_live.Remove(pointer, out long size)) throw new InvalidOperationException($"device block 0x{pointer:x} was not allocated by this pool or was already freed");
            _liveBytes -= size;
            if (!_free.TryGetValue(size, out var stack)) _free[size] = stack = new Stack<ulong>();
            stack.Push(pointer);
            _cachedBytes += size;
        }
    }

    /// <summary>Frees every cached block (after the stream drains).</summary>
    public void Trim()
    {
        lock (_gate) TrimLocked();
    }

    void TrimLocked()
    {
        if (_cachedBytes == 0) return;
        memory.Synchronize();
        foreach (var stack in _free.Values)
            while (stack.TryPop(out ulong p)) memory.Free(p);
        _free.Clear();
        _cachedBytes = 0;
    }

    /// <summary>Frees cached and live blocks alike (backend disposal); later returns of live blocks are ignored by the caller.</summary>
    public void FreeAll()
    {
        lock (_gate)
        {
            TrimLocked();
            foreach (var p in _live.Keys) memory.Free(p);
            _live.Clear();
            _liveBytes = 0;
        }
    }
}
