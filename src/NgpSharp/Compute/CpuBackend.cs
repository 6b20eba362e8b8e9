using System.Collections.Concurrent;
using System.Runtime.Intrinsics;

namespace NgpSharp.Compute;

/// <summary>The reference backend: managed memory, SIMD kernels, Parallel.For over batch tiles.</summary>
public sealed class CpuBackend : Backend
{
    /// <summary>A process-wide CPU backend.</summary>
    public static CpuBackend Shared { get; } = new();

    public override BackendKind Kind => BackendKind.Cpu;

    public override string Description =>
        $"cpu ({Environment.ProcessorCount} threads, {(Vector512.IsHardwareAccelerated ? "AVX-512" : Vector256.IsHardwareAccelerated ? "AVX2" : "SSE")})";

    // Freed arrays of 64 KiB or more are kept for reuse, so per-step buffers do not churn the large-object heap.
    const long PoolMinBytes = 1 << 16, PoolMaxBytes = 1L << 30;
    readonly ConcurrentDictionary<(Type, long), ConcurrentStack<Array>> _pool = new();
    long _pooledBytes;

    protected override DeviceBuffer<T> AllocateCore<T>(long length)
    {
        if (length > Array.MaxLength) throw new OutOfMemoryException($"a CPU buffer of {length} elements is larger than .NET arrays allow");
        if (_pool.TryGetValue((typeof(T), length), out var stack) && stack.TryPop(out var reused))
        {
            var array = (T[])reused;
            Interlocked.Add(ref _pooledBytes, -(long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
            Array.Clear(array);
            return new CpuBuffer<T>(this, array);
        }
        return new CpuBuffer<T>(this, new T[length]);
    }

    internal void Return<T>(T[] array)
    {
        long bytes = (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        if (bytes < PoolMinBytes || Interlocked.Read(ref _pooledBytes) + bytes > PoolMaxBytes) return;
        Interlocked.Add(ref _pooledBytes, bytes);
        _pool.GetOrAdd((typeof(T), array.LongLength), _ => new ConcurrentStack<Array>()).Push(array);
    }

    /// <summary>Drops the arrays kept for reuse.</summary>
    public void TrimPool()
    {
        _pool.Clear();
        Interlocked.Exchange(ref _pooledBytes, 0);
    }

    public override void CopyFromHost<T>(ReadOnlySpan<T> source, DeviceSpan<T> destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException($"copy of {source.Length} elements into a view of {destination.Length}");
        source.CopyTo(destination.AsSpan());
    }

    public override void CopyToHost<T>(DeviceSpan<T> source, Span<T> destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException($"copy of {source.Length} elements into {destination.Length}");
        source.AsSpan().CopyTo(destination);
    }

    public override void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException($"copy of {source.Length} elements into a view of {destination.Length}");
        source.AsSpan().CopyTo(destination.AsSpan());
    }

    public override void Fill<T>(DeviceSpan<T> destination, T value) => destination.AsSpan().Fill(value);
}

/// <summary>CPU memory: a managed array (zero-filled on allocation).</summary>
public sealed class CpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    internal CpuBuffer(CpuBackend backend, T[] array) : base(backend, array.LongLength) => Array = array;

    internal T[] Array { get; private set; }

    public Span<T> Span => Array;

    protected override void Free()
    {
        ((CpuBackend)Backend).Return(Array);
        Array = [];
    }
}
