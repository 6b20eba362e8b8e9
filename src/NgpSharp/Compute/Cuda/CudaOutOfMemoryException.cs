namespace NgpSharp.Compute.Cuda;

/// <summary>cuMemAlloc failed with CUDA_ERROR_OUT_OF_MEMORY even after the backend freed its cached blocks.</summary>
public sealed class CudaOutOfMemoryException(long requestedBytes, long freeBytes, long totalBytes, long liveBytes)
    : CudaException($"CUDA out of memory: {Mib(requestedBytes)} requested; the device has {Mib(freeBytes)} free of {Mib(totalBytes)}, " +
                    $"and this backend's live buffers hold {Mib(liveBytes)}", 2)
{
    public long RequestedBytes { get; } = requestedBytes;
    public long FreeBytes { get; } = freeBytes;
    public long TotalBytes { get; } = totalBytes;

    static string Mib(long bytes) => bytes < 1 << 20 ? $"{bytes} bytes" : $"{bytes / 1048576.0:0.0} MiB";
}
