namespace NgpSharp.Compute;

/// <summary>
/// Owns device memory and runs ops. The CPU backend is the readable reference; the CUDA backend (next issue)
/// implements the same contract. Modules dispatch on <see cref="Kind"/>.
/// </summary>
public abstract class Backend : IDisposable
{
    long _liveAllocations, _liveBytes;

    /// <summary>Which implementation runs the ops.</summary>
    public abstract BackendKind Kind { get; }

    /// <summary>A short human-readable description ("cpu (2 threads, AVX-512)").</summary>
    public abstract string Description { get; }

    /// <summary>Buffers allocated and not yet disposed; tests assert this returns to its start value.</summary>
    public long LiveAllocations => Interlocked.Read(ref _liveAllocations);

    /// <summary>Bytes held by live buffers.</summary>
    public long LiveBytes => Interlocked.Read(ref _liveBytes);

    /// <summary>Allocates <paramref name="length"/> zero-filled elements.</summary>
    public DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), length, "buffer length must be ≥ 0");
        var buffer = AllocateCore<T>(length);
        Interlocked.Increment(ref _liveAllocations);
        Interlocked.Add(ref _liveBytes, buffer.SizeInBytes);
        return buffer;
    }

    /// <summary>Allocates a zero-filled row-major matrix [rows, cols] (rows = batch).</summary>
    public DeviceBuffer<T> AllocateMatrix<T>(int rows, int cols, out DeviceMatrix<T> matrix) where T : unmanaged
    {
        var buffer = Allocate<T>((long)rows * cols);
        matrix = new DeviceMatrix<T>(buffer.All, rows, cols);
        return buffer;
    }

    protected abstract DeviceBuffer<T> AllocateCore<T>(long length) where T : unmanaged;

    internal void OnFreed(long bytes)
    {
        Interlocked.Decrement(ref _liveAllocations);
        Interlocked.Add(ref _liveBytes, -bytes);
    }

    /// <summary>Copies host memory into device memory.</summary>
    public abstract void CopyFromHost<T>(ReadOnlySpan<T> source, DeviceSpan<T> destination) where T : unmanaged;

    /// <summary>Copies device memory into host memory.</summary>
    public abstract void CopyToHost<T>(DeviceSpan<T> source, Span<T> destination) where T : unmanaged;

    /// <summary>Copies device memory to device memory (same backend).</summary>
    public abstract void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> destination) where T : unmanaged;

    /// <summary>Sets every element of <paramref name="destination"/> to <paramref name="value"/>.</summary>
    public abstract void Fill<T>(DeviceSpan<T> destination, T value) where T : unmanaged;

    /// <summary>Waits until all queued work has finished (no-op on the CPU).</summary>
    public virtual void Synchronize() { }

    /// <summary>Copies a whole device span to a new host array.</summary>
    public T[] ToArray<T>(DeviceSpan<T> source) where T : unmanaged
    {
        var result = new T[checked((int)source.Length)];
        CopyToHost(source, result);
        return result;
    }

    /// <summary>Allocates a buffer holding a copy of <paramref name="source"/>.</summary>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> source) where T : unmanaged
    {
        var buffer = Allocate<T>(source.Length);
        CopyFromHost(source, buffer.All);
        return buffer;
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}

/// <summary>The implementations of <see cref="Backend"/>.</summary>
public enum BackendKind { Cpu, Cuda }
