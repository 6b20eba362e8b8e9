using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Rendering;

/// <summary>
/// What <c>VolumeRenderer.Forward</c> produces for a batch of R rays and S samples. The buffers grow
/// on demand and are reused across batches; the matrices are views of the current batch's size.
/// <c>VolumeRenderer.Backward</c> reads <see cref="Foreground"/>, <see cref="Opacity"/>,
/// <see cref="Depth"/> and <see cref="UsedCounts"/>, so keep them unchanged between the two calls.
/// </summary>
public sealed class VolumeRenderOutput<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    DeviceBuffer<T>? _rayBuffer, _weightBuffer;
    DeviceBuffer<int>? _deviceUsed;
    int[] _usedCounts = [];

    public VolumeRenderOutput(Backend backend) => Backend = backend ?? throw new ArgumentNullException(nameof(backend));

    public Backend Backend { get; }

    public int RayCount { get; private set; }

    /// <summary>[R, 3]: C_out = Σ w_i c_i + (1 − A)·bg.</summary>
    public DeviceMatrix<T> Colour { get; private set; }

    /// <summary>[R, 3]: C = Σ w_i c_i, the colour before the background is added.</summary>
    public DeviceMatrix<T> Foreground { get; private set; }

    /// <summary>[R, 1]: A = Σ w_i.</summary>
    public DeviceMatrix<T> Opacity { get; private set; }

    /// <summary>[R, 1]: D = Σ w_i·(t0_i + t1_i)/2 (not normalised by A).</summary>
    public DeviceMatrix<T> Depth { get; private set; }

    /// <summary>
    /// [S, 1] when weights were requested: w_i for composited samples, 0 for samples after termination;
    /// otherwise a null matrix.
    /// </summary>
    public DeviceMatrix<T> Weights { get; private set; }

    /// <summary>
    /// [R]: how many of each ray's samples were composited before transmittance fell below the threshold
    /// (samples [RayOffsets[r], RayOffsets[r] + UsedCounts[r])). Host memory: training compacts with it.
    /// </summary>
    public ReadOnlySpan<int> UsedCounts => _usedCounts.AsSpan(0, RayCount);

    internal int[] UsedCountsArray => _usedCounts;

    /// <summary>
    /// [R] on a CUDA backend: the used counts as the kernel wrote them (a forward on <see cref="DeviceRaySamples"/>
    /// fills only these, not the host <see cref="UsedCounts"/>, and sets <see cref="TotalUsed"/> to −1). Default on the CPU.
    /// </summary>
    public DeviceSpan<int> UsedCountsOnDevice => _deviceUsed is null ? default : _deviceUsed.All.Slice(0, RayCount);

    /// <summary>Σ UsedCounts: the samples the network must be run on for training.</summary>
    public long TotalUsed { get; internal set; }

    internal void Prepare(int rayCount, int sampleCount, bool weights)
    {
        // One buffer for the per-ray values: [colour 3 | foreground 3 | opacity 1 | depth 1] blocks of R rows.
        long need = 8L * rayCount;
        if (_rayBuffer is null || _rayBuffer.Length < need)
        {
            _rayBuffer?.Dispose();
            _rayBuffer = Backend.Allocate<T>(Math.Max(need, 8L * Math.Max(rayCount * 3L / 2, 1)));
        }
        var all = _rayBuffer.All;
        Colour = all.Slice(0, 3L * rayCount).AsMatrix(rayCount, 3);
        Foreground = all.Slice(3L * rayCount, 3L * rayCount).AsMatrix(rayCount, 3);
        Opacity = all.Slice(6L * rayCount, rayCount).AsMatrix(rayCount, 1);
        Depth = all.Slice(7L * rayCount, rayCount).AsMatrix(rayCount, 1);
        if (_usedCounts.Length < rayCount) _usedCounts = new int[Math.Max(rayCount, _usedCounts.Length * 3 / 2)];
        if (Backend.Kind == BackendKind.Cuda && (_deviceUsed is null || _deviceUsed.Length < rayCount))
        {
            _deviceUsed?.Dispose();
            _deviceUsed = Backend.Allocate<int>(Math.Max(rayCount, Math.Max(1, (_deviceUsed?.Length ?? 0) * 3 / 2)));
        }
        if (weights)
        {
            if (_weightBuffer is null || _weightBuffer.Length < sampleCount)
            {
                _weightBuffer?.Dispose();
                _weightBuffer = Backend.Allocate<T>(Math.Max(sampleCount, 1));
            }
            Weights = _weightBuffer.All.Slice(0, sampleCount).AsMatrix(sampleCount, 1);
        }
        else Weights = default;
        RayCount = rayCount;
    }

    public void Dispose()
    {
        _rayBuffer?.Dispose();
        _weightBuffer?.Dispose();
        _deviceUsed?.Dispose();
        _rayBuffer = _weightBuffer = null;
        _deviceUsed = null;
    }
}
