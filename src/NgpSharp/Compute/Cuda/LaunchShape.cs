namespace NgpSharp.Compute.Cuda;

/// <summary>Grid and block dimensions of a kernel launch, and its dynamic shared memory.</summary>
public readonly record struct LaunchShape(uint GridX, uint BlockX, uint SharedBytes = 0, uint GridY = 1, uint GridZ = 1, uint BlockY = 1, uint BlockZ = 1)
{
    /// <summary>One thread per item: ceil(n / threads) blocks of <paramref name="threads"/>.</summary>
    public static LaunchShape Linear(long n, uint threads = 128, uint sharedBytes = 0)
    {
        if (n < 0) throw new ArgumentOutOfRangeException(nameof(n), n, "item count must be ≥ 0");
        long blocks = (n + threads - 1) / threads;
        if (blocks > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(n), n, "too many items for one 1-D launch");
        return new LaunchShape((uint)Math.Max(blocks, 1), threads, sharedBytes);
    }
}
