using System.Runtime.InteropServices;

namespace NgpSharp.Compute.Cuda;

/// <summary>Mirrors ScanArgs in Scan.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ScanArgs
{
    public ulong Counts, Offsets, Total;
    public uint N, Padding;
}

/// <summary>
/// Exclusive prefix sum of int32 counts on the device (Scan.cu): offsets[i] = Σ_{j&lt;i} counts[j]; only the total
/// (8 bytes) crosses to the host. Exact and deterministic (integer sums, one block). Keeps an 8-byte scratch; dispose it.
/// </summary>
public sealed class CudaScan : IDisposable
{
    const uint Threads = 512;

    readonly CudaBackend _backend;
    readonly DeviceBuffer<long> _total;

    public CudaScan(CudaBackend backend)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _total = backend.Allocate<long>(1);
    }

    /// <summary>counts, offsets: [n] (offsets may be counts itself). Returns Σ counts (reads back one long).</summary>
    public long ExclusiveScan(DeviceSpan<int> counts, DeviceSpan<int> offsets)
    {
        if (counts.Length != offsets.Length) throw new ArgumentException($"scan: counts [{counts.Length}] and offsets [{offsets.Length}] differ in length");
        if (counts.Length == 0) return 0;
        if (counts.Length > uint.MaxValue) throw new ArgumentOutOfRangeException(nameof(counts), counts.Length, "scan: too many elements");
        _backend.Launch(_backend.Modules.GetFunction("Scan.cu", "kernel_exclusive_scan"), new LaunchShape(1, Threads),
            new ScanArgs { Counts = counts.Pointer(), Offsets = offsets.Pointer(), Total = _total.All.Pointer(), N = (uint)counts.Length });
        Span<long> host = stackalloc long[1];
        _backend.CopyToHost(_total.All, host);
        return host[0];
    }

    public void Dispose() => _total.Dispose();
}
