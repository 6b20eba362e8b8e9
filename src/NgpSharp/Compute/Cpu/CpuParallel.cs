namespace NgpSharp.Compute.Cpu;

/// <summary>
/// Parallel loops over fixed-size tiles. The tiling depends only on the problem size, never on the thread
/// count, so per-tile results (and reductions over tiles in tile order) are deterministic.
/// </summary>
public static class CpuParallel
{
    /// <summary>Threads used by CPU kernels (defaults to the processor count; NGP_THREADS overrides).</summary>
    public static int ThreadCount { get; set; } = ReadThreadCount();

    static int ReadThreadCount()
    {
        var env = Environment.GetEnvironmentVariable("NGP_THREADS");
        return int.TryParse(env, out int n) && n > 0 ? n : Environment.ProcessorCount;
    }

    /// <summary>Number of tiles of <paramref name="tileSize"/> covering <paramref name="count"/> items.</summary>
    public static int TileCount(long count, int tileSize) => (int)((count + tileSize - 1) / tileSize);

    /// <summary>Runs <paramref name="body"/>(start, end) for each tile of [0, count), in parallel.</summary>
    public static void ForTiles(long count, int tileSize, Action<int, int> body)
    {
        int tiles = TileCount(count, tileSize);
        if (tiles == 0) return;
        if (tiles == 1 || ThreadCount == 1)
        {
            for (int t = 0; t < tiles; t++) body(t * tileSize, (int)Math.Min(count, (long)(t + 1) * tileSize));
            return;
        }
        Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = ThreadCount },
            t => body(t * tileSize, (int)Math.Min(count, (long)(t + 1) * tileSize)));
    }

    /// <summary>Runs <paramref name="body"/>(tileIndex, start, end) for each tile, in parallel.</summary>
    public static void ForTilesIndexed(long count, int tileSize, Action<int, int, int> body)
    {
        int tiles = TileCount(count, tileSize);
        if (tiles == 0) return;
        if (tiles == 1 || ThreadCount == 1)
        {
            for (int t = 0; t < tiles; t++) body(t, t * tileSize, (int)Math.Min(count, (long)(t + 1) * tileSize));
            return;
        }
        Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = ThreadCount },
            t => body(t, t * tileSize, (int)Math.Min(count, (long)(t + 1) * tileSize)));
    }
}
