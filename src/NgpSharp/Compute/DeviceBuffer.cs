using System.Runtime.CompilerServices;

namespace NgpSharp.Compute;

/// <summary>A block of device memory owned by one <see cref="Compute.Backend"/>. Dispose frees it.</summary>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    bool _disposed;

    protected DeviceBuffer(Backend backend, long length)
    {
        Backend = backend;
        Length = length;
    }

    public Backend Backend { get; }

    /// <summary>Number of elements.</summary>
    public long Length { get; }

    public long SizeInBytes => Length * Unsafe.SizeOf<T>();

    /// <summary>A view of the whole buffer.</summary>
    public DeviceSpan<T> All => new(this, 0, Length);

    /// <summary>A row-major [rows, cols] view of the start of the buffer.</summary>
    public DeviceMatrix<T> AsMatrix(int rows, int cols) => new(All, rows, cols);

    public bool IsDisposed => _disposed;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Free();
        Backend.OnFreed(SizeInBytes);
        GC.SuppressFinalize(this);
    }

    protected abstract void Free();
}
