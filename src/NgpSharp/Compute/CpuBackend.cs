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

    protected override DeviceBuffer<T> AllocateCore<T>(long length)
    {
        if (length > Array.MaxLength) throw new OutOfMemoryException($"a CPU buffer of {length} elements is larger than .NET arrays allow");
        return new CpuBuffer<T>(this, length);
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
    internal CpuBuffer(CpuBackend backend, long length) : base(backend, length) => Array = new T[length];

    internal T[] Array { get; private set; }

    public Span<T> Span => Array;

    protected override void Free() => Array = [];
}
