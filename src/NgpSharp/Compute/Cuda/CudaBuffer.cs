using System.Runtime.CompilerServices;

namespace NgpSharp.Compute.Cuda;

/// <summary>Device memory (a CUdeviceptr) owned by a <see cref="CudaBackend"/>.</summary>
public sealed class CudaBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    readonly Action<ulong, long> _free;

    internal CudaBuffer(CudaBackend backend, ulong pointer, long length, Action<ulong, long> free) : base(backend, length)
    {
        Pointer = pointer;
        _free = free;
    }

    /// <summary>The device address of element 0.</summary>
    public ulong Pointer { get; }

    protected override void Free() => _free(Pointer, SizeInBytes);
}

/// <summary>Device addresses of views, for kernel argument structs.</summary>
public static class DevicePointers
{
    /// <summary>Address of the view's first element; 0 for an empty (default) view.</summary>
    public static ulong Pointer<T>(this DeviceSpan<T> span) where T : unmanaged
    {
        if (span.Buffer is null) return 0;
        if (span.Buffer is not CudaBuffer<T> cuda)
            throw new InvalidOperationException($"a device pointer needs a CUDA buffer; this one lives on {span.Buffer.Backend.Kind}");
        return cuda.Pointer + (ulong)(span.Offset * Unsafe.SizeOf<T>());
    }

    /// <summary>Address of the matrix's first element.</summary>
    public static ulong Pointer<T>(this DeviceMatrix<T> matrix) where T : unmanaged => matrix.Data.Pointer();

    /// <summary>Address of an optional matrix, 0 when absent.</summary>
    public static ulong Pointer<T>(this DeviceMatrix<T>? matrix) where T : unmanaged => matrix is { } m ? m.Data.Pointer() : 0;
}
