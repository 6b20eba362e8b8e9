using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// A test that needs a CUDA device. It is skipped — with the probe's reason — only after a real
/// <see cref="CudaBackend.TryCreate"/> (run once per test process) found no usable device or NVRTC.
/// </summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (CudaTestBackend.Instance is null) Skip = "no CUDA device: " + CudaTestBackend.Reason;
    }
}

/// <summary>The process-wide CUDA backend for tests (null when the probe failed; <see cref="Reason"/> says why).</summary>
public static class CudaTestBackend
{
    static readonly Lazy<(CudaBackend? Backend, string Reason)> Probe = new(() =>
    {
        bool ok = CudaBackend.TryCreate(out var backend, out string reason);
        return (ok ? backend : null, reason);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The shared backend (never disposed: it lives as long as the test process), or null.</summary>
    public static CudaBackend? Instance => Probe.Value.Backend;

    /// <summary>The probe's description of the device, or why there is none.</summary>
    public static string Reason => Probe.Value.Reason;

    /// <summary>The backend, for tests marked [CudaFact] (which only run when it exists).</summary>
    public static CudaBackend Require() => Instance ?? throw new InvalidOperationException("no CUDA device: " + Reason);
}

/// <summary>A theory that needs a CUDA device; skipped like <see cref="CudaFactAttribute"/> after a real probe.</summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (CudaTestBackend.Instance is null) Skip = "no CUDA device: " + CudaTestBackend.Reason;
    }
}
