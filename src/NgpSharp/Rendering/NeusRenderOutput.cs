using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Rendering;

/// <summary>
/// What <see cref="NeusRenderer{T}.Forward(in NeusRenderInputs{T}, NeusRenderOutput{T})"/> produces for a batch of R rays and S samples. Buffers grow on demand
/// and are reused; the matrices are views of the current batch's size. NeusRenderer.Backward
/// reads <see cref="Opacity"/>, <see cref="Transmittance"/> and <see cref="UsedCounts"/>, so keep them unchanged
/// between the two calls.
/// </summary>
public sealed class NeusRenderOutput<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    DeviceBuffer<T>? _rayBuffer, _sampleBuffer, _devicePartials;
    DeviceBuffer<int>? _deviceUsed;
    int[] _usedCounts = [];
    T[] _invSPartials = [];

    public NeusRenderOutput(Backend backend) => Backend = backend ?? throw new ArgumentNullException(nameof(backend));

    public Backend Backend { get; }

    public int RayCount { get; private set; }
    public int SampleCount { get; private set; }

    /// <summary>[R, 3]: C_out = Σ w_i rgb_i + (1 − A)·bg.</summary>
    public DeviceMatrix<T> Colour { get; private set; }

    /// <summary>[R, 3]: Σ w_i rgb_i, before the background (instant-nsr-pl's comp_rgb).</summary>
    public DeviceMatrix<T> Foreground { get; private set; }

    /// <summary>
    /// [R, 3]: Σ w_i n̂_i with n̂ = ∇f/‖∇f‖, not renormalised (instant-nsr-pl normalises comp_normal for display only;
    /// divide by its length before showing it).
    /// </summary>
    public DeviceMatrix<T> Normal { get; private set; }

    /// <summary>[R, 1]: A = Σ w_i.</summary>
    public DeviceMatrix<T> Opacity { get; private set; }

    /// <summary>[R, 1]: D = Σ w_i·(t0_i + t1_i)/2 (not normalised by A).</summary>
    public DeviceMatrix<T> Depth { get; private set; }

    /// <summary>[S, 1]: α_i of composited samples, 0 after termination.</summary>
    public DeviceMatrix<T> Alpha { get; private set; }

    /// <summary>[S, 1]: T_i = Π_{j&lt;i}(1 − α_j) of composited samples, 0 after termination.</summary>
    public DeviceMatrix<T> Transmittance { get; private set; }

    /// <summary>[S, 1]: w_i = α_i T_i of composited samples, 0 after termination (for distortion losses, statistics).</summary>
    public DeviceMatrix<T> Weights { get; private set; }

    /// <summary>[R] host: how many of each ray's samples were composited before transmittance fell below the threshold.</summary>
    public ReadOnlySpan<int> UsedCounts => _usedCounts.AsSpan(0, RayCount);

    internal int[] UsedCountsArray => _usedCounts;

    /// <summary>[R] host scratch: each ray's share of dL/dinv_s, summed in ray order (deterministic).</summary>
    internal T[] InvSPartials => _invSPartials;

    /// <summary>
    /// [R] on a CUDA backend after a forward on device samples: the used counts as the kernel wrote them (the host
    /// <see cref="UsedCounts"/> is not filled then).
    /// </summary>
    public DeviceSpan<int> UsedCountsOnDevice => _deviceUsed is null ? default : _deviceUsed.All.Slice(0, RayCount);

    /// <summary>[R] on a CUDA backend after a backward on device samples: each ray's share of dL/dinv_s (sum them on the device).</summary>
    public DeviceSpan<T> InvSPartialsOnDevice => _devicePartials is null ? default : _devicePartials.All.Slice(0, RayCount);

    /// <summary>Σ UsedCounts (−1 after a forward on device samples: the counts stay on the device).</summary>
    public long TotalUsed { get; internal set; }

    internal void Prepare(int rayCount, int sampleCount)
    {
        // Per-ray block: [colour 3 | foreground 3 | normal 3 | opacity 1 | depth 1] of R rows each.
        const int perRay = 11;
        long need = perRay * (long)rayCount;
        if (_rayBuffer is null || _rayBuffer.Length < need)
        {
            _rayBuffer?.Dispose();
            _rayBuffer = Backend.Allocate<T>(Math.Max(need, perRay * Math.Max(rayCount * 3L / 2, 1)));
        }
        var all = _rayBuffer.All;
        long r = rayCount;
        Colour = all.Slice(0, 3 * r).AsMatrix(rayCount, 3);
        Foreground = all.Slice(3 * r, 3 * r).AsMatrix(rayCount, 3);
        Normal = all.Slice(6 * r, 3 * r).AsMatrix(rayCount, 3);
        Opacity = all.Slice(9 * r, r).AsMatrix(rayCount, 1);
        Depth = all.Slice(10 * r, r).AsMatrix(rayCount, 1);

        // Per-sample block: [alpha | transmittance | weight] of S rows each.
        long s = sampleCount;
        if (_sampleBuffer is null || _sampleBuffer.Length < 3 * s)
        {
            _sampleBuffer?.Dispose();
            _sampleBuffer = Backend.Allocate<T>(Math.Max(3 * s, 3 * Math.Max(s * 3 / 2, 1)));
        }
        var samples = _sampleBuffer.All;
        Alpha = samples.Slice(0, s).AsMatrix(sampleCount, 1);
        Transmittance = samples.Slice(s, s).AsMatrix(sampleCount, 1);
        Weights = samples.Slice(2 * s, s).AsMatrix(sampleCount, 1);

        if (_usedCounts.Length < rayCount) _usedCounts = new int[Math.Max(rayCount, _usedCounts.Length * 3 / 2)];
        if (_invSPartials.Length < rayCount) _invSPartials = new T[Math.Max(rayCount, _invSPartials.Length * 3 / 2)];
        RayCount = rayCount;
        SampleCount = sampleCount;
    }

    /// <summary>Sizes the device-only per-ray buffers (used counts, dL/dinv_s partials) for the current batch.</summary>
    internal void PrepareDevice()
    {
        int n = Math.Max(RayCount, 1);
        if (_deviceUsed is null || _deviceUsed.Length < n)
        {
            _deviceUsed?.Dispose();
            _deviceUsed = Backend.Allocate<int>(Math.Max(n, (int)Math.Min(int.MaxValue, (_deviceUsed?.Length ?? 0) * 3 / 2)));
        }
        if (_devicePartials is null || _devicePartials.Length < n)
        {
            _devicePartials?.Dispose();
            _devicePartials = Backend.Allocate<T>(Math.Max(n, (_devicePartials?.Length ?? 0) * 3 / 2));
        }
    }

    public void Dispose()
    {
        _rayBuffer?.Dispose();
        _sampleBuffer?.Dispose();
        _devicePartials?.Dispose();
        _deviceUsed?.Dispose();
        _rayBuffer = _sampleBuffer = _devicePartials = null;
        _deviceUsed = null;
    }
}
