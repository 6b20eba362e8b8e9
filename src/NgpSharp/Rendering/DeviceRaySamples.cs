using NgpSharp.Compute;

namespace NgpSharp.Rendering;

/// <summary>
/// <see cref="RaySamples"/>' packed layout in device buffers (nerfacc's layout, instant-ngp's device residency):
/// sample s lies on ray RayIndices[s] over [TStarts[s], TEnds[s]); the samples of ray r are
/// [RayOffsets[r], RayOffsets[r] + RayCounts[r]) in increasing t. Made by the device marcher (count pass → device
/// exclusive scan → fill pass) and compaction; read by the network-input kernel and the volume renderer. The buffers
/// grow on demand and are reused; only <see cref="Count"/> is known on the host.
/// </summary>
public sealed class DeviceRaySamples : IDisposable
{
    DeviceBuffer<int>? _offsets, _counts, _indices;
    DeviceBuffer<float>? _tStarts, _tEnds;

    public DeviceRaySamples(Backend backend) => Backend = backend ?? throw new ArgumentNullException(nameof(backend));

    public Backend Backend { get; }

    public int RayCount { get; private set; }

    /// <summary>Number of valid samples.</summary>
    public int Count { get; private set; }

    /// <summary>[R]: index of each ray's first sample.</summary>
    public DeviceSpan<int> RayOffsets => _offsets is null ? default : _offsets.All.Slice(0, RayCount);

    /// <summary>[R]: number of samples of each ray.</summary>
    public DeviceSpan<int> RayCounts => _counts is null ? default : _counts.All.Slice(0, RayCount);

    /// <summary>[S]: the ray of each sample.</summary>
    public DeviceSpan<int> RayIndices => _indices is null ? default : _indices.All.Slice(0, Count);

    /// <summary>[S]: where each sample's interval starts along its ray.</summary>
    public DeviceSpan<float> TStarts => _tStarts is null ? default : _tStarts.All.Slice(0, Count);

    /// <summary>[S]: where each sample's interval ends.</summary>
    public DeviceSpan<float> TEnds => _tEnds is null ? default : _tEnds.All.Slice(0, Count);

    /// <summary>Sizes the ray table for <paramref name="rays"/> rays (contents undefined) and sets Count = 0.</summary>
    public void ResetRays(int rays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rays);
        Grow(ref _offsets, rays);
        Grow(ref _counts, rays);
        RayCount = rays;
        Count = 0;
    }

    /// <summary>Sizes the per-sample arrays for <paramref name="count"/> samples (contents undefined) and sets Count.</summary>
    public void SetCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Grow(ref _indices, count);
        Grow(ref _tStarts, count);
        Grow(ref _tEnds, count);
        Count = count;
    }

    void Grow<T>(ref DeviceBuffer<T>? buffer, int n) where T : unmanaged
    {
        if (buffer is not null && buffer.Length >= n) return;
        long size = Math.Max(Math.Max(n, 1), (buffer?.Length ?? 0) * 3 / 2);
        buffer?.Dispose();
        buffer = Backend.Allocate<T>(size);
    }

    /// <summary>Uploads host samples (tests, and the host-RaySamples renderer entry on CUDA).</summary>
    public void CopyFrom(RaySamples samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ResetRays(samples.RayCount);
        SetCount(samples.Count);
        if (RayCount > 0)
        {
            Backend.CopyFromHost<int>(samples.RayOffsets, RayOffsets);
            Backend.CopyFromHost<int>(samples.RayCounts, RayCounts);
        }
        if (Count > 0)
        {
            Backend.CopyFromHost<int>(samples.RayIndices.AsSpan(0, Count), RayIndices);
            Backend.CopyFromHost<float>(samples.TStarts.AsSpan(0, Count), TStarts);
            Backend.CopyFromHost<float>(samples.TEnds.AsSpan(0, Count), TEnds);
        }
    }

    /// <summary>Downloads into host samples (RayCount must match; grows the capacity).</summary>
    public void CopyTo(RaySamples samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.RayCount != RayCount) throw new ArgumentException($"device samples: {RayCount} rays, host samples hold {samples.RayCount}");
        samples.EnsureCapacity(Count);
        samples.Count = Count;
        if (RayCount > 0)
        {
            Backend.CopyToHost(RayOffsets, samples.RayOffsets);
            Backend.CopyToHost(RayCounts, samples.RayCounts);
        }
        if (Count > 0)
        {
            Backend.CopyToHost(RayIndices, samples.RayIndices.AsSpan(0, Count));
            Backend.CopyToHost(TStarts, samples.TStarts.AsSpan(0, Count));
            Backend.CopyToHost(TEnds, samples.TEnds.AsSpan(0, Count));
        }
    }

    /// <summary>A host copy (tests and diagnostics).</summary>
    public RaySamples ToHost()
    {
        var s = new RaySamples(RayCount, Count);
        CopyTo(s);
        return s;
    }

    public void Dispose()
    {
        _offsets?.Dispose(); _counts?.Dispose(); _indices?.Dispose(); _tStarts?.Dispose(); _tEnds?.Dispose();
        _offsets = _counts = _indices = null;
        _tStarts = _tEnds = null;
    }
}
