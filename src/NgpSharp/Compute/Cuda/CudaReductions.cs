using System.Runtime.InteropServices;

namespace NgpSharp.Compute.Cuda;

/// <summary>Mirrors ReductionArgs in Reductions.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ReductionArgs
{
    public ulong Values, Partials, Result, Count;
    public uint PartialCount, Padding;
}

/// <summary>
/// Deterministic reductions on the GPU (Reductions.cu), the twin of <see cref="Cpu.CpuReductions"/>: a double sum
/// over fixed chunks (bit-identical run to run; it differs from the CPU's sum only by double rounding) and a
/// NaN/∞ check. Only the 16-byte result crosses to the host. Keeps small scratch buffers; dispose it.
/// </summary>
public sealed class CudaReductions : IDisposable
{
    /// <summary>Elements per first-pass block (REDUCE_CHUNK in Reductions.cu).</summary>
    const int Chunk = 256 * 16;
    const uint Threads = 256;

    readonly CudaBackend _backend;
    readonly DeviceBuffer<double> _result;
    DeviceBuffer<double>? _partials;

    public CudaReductions(CudaBackend backend)
    {
        _backend = backend ?? throw new ArgumentNullException(nameof(backend));
        _result = backend.Allocate<double>(2);
    }

    /// <summary>Σ values in double. values: [n].</summary>
    public double Sum(DeviceSpan<float> values) => Run(values, default, sum: true, check: false).Sum;

    /// <summary>True when no element is NaN or ±∞. values: [n].</summary>
    public bool AllFinite(DeviceSpan<float> values) => Run(default, values, sum: false, check: true).AllFinite;

    /// <summary>
    /// Σ <paramref name="sumOf"/> and whether every element of <paramref name="checkFinite"/> is finite, with one
    /// copy to the host (the Trainer's per-step check: loss values and parameter gradients).
    /// </summary>
    public (double Sum, bool AllFinite) SumAndCheck(DeviceSpan<float> sumOf, DeviceSpan<float> checkFinite) =>
        Run(sumOf, checkFinite, sum: true, check: true);

    (double Sum, bool AllFinite) Run(DeviceSpan<float> sumOf, DeviceSpan<float> checkFinite, bool sum, bool check)
    {
        Span<double> host = stackalloc double[2];
        _backend.Launch(_backend.Modules.GetFunction("Reductions.cu", "kernel_reduction_reset"), new LaunchShape(1, 32),
            new ReductionArgs { Result = _result.All.Pointer() });
        if (sum && sumOf.Length > 0)
        {
            long blocks = (sumOf.Length + Chunk - 1) / Chunk;
            if (blocks > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(sumOf), sumOf.Length, "too many elements for one reduction");
            if (_partials is null || _partials.Length < blocks)
            {
                _partials?.Dispose();
                _partials = _backend.Allocate<double>(blocks);
            }
            var args = new ReductionArgs
            {
                Values = sumOf.Pointer(), Partials = _partials.All.Pointer(), Result = _result.All.Pointer(),
                Count = (ulong)sumOf.Length, PartialCount = (uint)blocks,
            };
            _backend.Launch(_backend.Modules.GetFunction("Reductions.cu", "kernel_sum_partials"), new LaunchShape((uint)blocks, Threads), args);
            _backend.Launch(_backend.Modules.GetFunction("Reductions.cu", "kernel_sum_final"), new LaunchShape(1, Threads), args);
        }
        if (check && checkFinite.Length > 0)
        {
            var args = new ReductionArgs { Values = checkFinite.Pointer(), Result = _result.All.Pointer(), Count = (ulong)checkFinite.Length };
            _backend.Launch(_backend.Modules.GetFunction("Reductions.cu", "kernel_flag_nonfinite"), LaunchShape.Linear(checkFinite.Length, Threads), args);
        }
        _backend.CopyToHost(_result.All, host);
        return (host[0], host[1] == 0);
    }

    public void Dispose()
    {
        _partials?.Dispose();
        _partials = null;
        _result.Dispose();
    }
}
