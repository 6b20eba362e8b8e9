namespace NgpSharp.Rendering;

/// <summary>
/// Samples along a batch of rays in one packed layout (nerfacc's), shared by the ray marcher that makes them,
/// the networks that evaluate them and the volume renderer that composites them:
/// sample s lies on ray RayIndices[s] over [TStarts[s], TEnds[s]); the samples of ray r are the contiguous range
/// [RayOffsets[r], RayOffsets[r] + RayCounts[r]) in increasing t.
/// </summary>
public sealed class RaySamples
{
    public RaySamples(int rayCount, int capacity)
    {
        if (rayCount < 0 || capacity < 0) throw new ArgumentOutOfRangeException(nameof(rayCount), "counts must be ≥ 0");
        RayOffsets = new int[rayCount];
        RayCounts = new int[rayCount];
        RayIndices = new int[capacity];
        TStarts = new float[capacity];
        TEnds = new float[capacity];
    }

    /// <summary>Number of rays.</summary>
    public int RayCount => RayOffsets.Length;

    /// <summary>Number of valid samples (≤ capacity).</summary>
    public int Count { get; set; }

    /// <summary>[rays]: index of each ray's first sample.</summary>
    public int[] RayOffsets { get; }

    /// <summary>[rays]: number of samples of each ray.</summary>
    public int[] RayCounts { get; }

    /// <summary>[capacity]: the ray of each sample.</summary>
    public int[] RayIndices { get; private set; }

    /// <summary>[capacity]: where each sample's interval starts along its ray.</summary>
    public float[] TStarts { get; private set; }

    /// <summary>[capacity]: where each sample's interval ends (δ = TEnds − TStarts).</summary>
    public float[] TEnds { get; private set; }

    /// <summary>Grows the per-sample arrays to hold at least <paramref name="capacity"/> samples (keeps contents).</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity <= RayIndices.Length) return;
        int n = Math.Max(capacity, RayIndices.Length * 2);
        var ri = RayIndices; var ts = TStarts; var te = TEnds;
        Array.Resize(ref ri, n); Array.Resize(ref ts, n); Array.Resize(ref te, n);
        RayIndices = ri; TStarts = ts; TEnds = te;
    }
}
