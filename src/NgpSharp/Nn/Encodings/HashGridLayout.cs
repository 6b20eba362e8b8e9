namespace NgpSharp.Nn.Encodings;

/// <summary>How a grid level's vertices map to its slice of the parameters (tiny-cuda-nn's GridType).</summary>
public enum GridType
{
    /// <summary>Dense where the level's grid fits into 2^log2_hashmap_size entries, hashed beyond.</summary>
    Hash,
    /// <summary>Every level dense (no cap on its size).</summary>
    Dense,
    /// <summary>Dense index modulo min(res^d, base_resolution^d): the grid repeats like a tiling.</summary>
    Tiled,
}

/// <summary>How a grid level is interpolated between its cell corners.</summary>
public enum GridInterpolation
{
    /// <summary>The value at the cell corner floor(pos); no input gradient.</summary>
    Nearest,
    /// <summary>Multilinear in the cell fraction f.</summary>
    Linear,
    /// <summary>Multilinear in s = f²(3 − 2f): C¹ across cell boundaries.</summary>
    Smoothstep,
}

/// <summary>The constants of one grid level, precomputed once (tiny-cuda-nn computes them per thread).</summary>
internal readonly record struct GridLevel
{
    /// <summary>pos = x·Scale + 0.5; Scale = 2^(l·log2 b)·N_min − 1 computed in float as tiny-cuda-nn does.</summary>
    public required float Scale { get; init; }
    /// <summary>ceil(Scale) + 1 vertices per dimension.</summary>
    public required uint Resolution { get; init; }
    /// <summary>Number of entries (each F features) in this level's table.</summary>
    public required uint Size { get; init; }
    /// <summary>First entry of this level in the parameter buffer (multiply by F for the parameter index).</summary>
    public required long Offset { get; init; }
    /// <summary>True when the level is indexed by the spatial hash rather than densely.</summary>
    public required bool Hashed { get; init; }
    /// <summary>False when Resolution^d would overflow uint32: tiny-cuda-nn's non-hashed index is then 0.</summary>
    public required bool DenseIndexable { get; init; }

    /// <summary>Size is a power of two (always so for hashed levels): modulo is a mask.</summary>
    public bool SizeIsPow2 => (Size & (Size - 1)) == 0;
}

/// <summary>Per-level layout of a grid encoding and its index function (tiny-cuda-nn encodings/grid.h).</summary>
internal static class HashGridLayout
{
    /// <summary>Hash factors per dimension (tiny-cuda-nn's coherent prime hash; 1 for x keeps rows coherent).</summary>
    public static readonly uint[] Primes = [1u, 2654435761u, 805459861u, 3674653429u];

    /// <summary>Largest resolution per dimension count whose res^d fits in uint32 (tiny-cuda-nn's MAX_BASES).</summary>
    static readonly uint[] MaxBases = [0u, 0xFFFFFFFFu, 0xFFFFu, 0x659u, 0xFFu];

    /// <summary>tiny-cuda-nn's grid_scale: exp2f(level·log2(b))·N_min − 1, in float.</summary>
    public static float LevelScale(int level, double perLevelScale, int baseResolution) =>
        float.Exp2(level * MathF.Log2((float)perLevelScale)) * baseResolution - 1f;

    /// <summary>The levels and the total entry count (parameters = entries × F).</summary>
    public static GridLevel[] Build(int dims, int nLevels, int log2HashmapSize, int baseResolution, double perLevelScale,
        GridType type, out long totalEntries)
    {
        var levels = new GridLevel[nLevels];
        long offset = 0;
        for (int l = 0; l < nLevels; l++)
        {
            float scale = LevelScale(l, perLevelScale, baseResolution);
            uint res = (uint)MathF.Ceiling(scale) + 1;
            // Dense vertex count, capped like tiny-cuda-nn (uint32 max / 2), then rounded up to 8 for aligned access.
            const uint maxParams = uint.MaxValue / 2;
            double dense = Math.Pow(res, dims);
            uint entries = dense > maxParams ? maxParams : (uint)dense;
            entries = (entries + 7u) / 8u * 8u;
            entries = type switch
            {
                GridType.Dense => entries,
                GridType.Tiled => (uint)Math.Min(entries, Math.Pow(baseResolution, dims)),
                _ => Math.Min(entries, 1u << log2HashmapSize),
            };
            bool indexable = res <= MaxBases[dims];
            levels[l] = new GridLevel
            {
                Scale = scale,
                Resolution = res,
                Size = entries,
                Offset = offset,
                Hashed = type == GridType.Hash && (!indexable || entries < dense),
                DenseIndexable = indexable,
            };
            offset += entries;
        }
        totalEntries = offset;
        return levels;
    }

    /// <summary>Entry index of grid vertex <paramref name="pos"/> ([dims]) in its level's table.</summary>
    public static uint Index(in GridLevel level, ReadOnlySpan<uint> pos)
    {
        uint index = 0;
        if (level.Hashed)
        {
            for (int d = 0; d < pos.Length; d++) index ^= unchecked(pos[d] * Primes[d]);
        }
        else if (level.DenseIndexable)
        {
            uint stride = 1;
            for (int d = 0; d < pos.Length; d++)
            {
                index = unchecked(index + pos[d] * stride);
                stride = unchecked(stride * level.Resolution);
            }
        }
        return level.SizeIsPow2 ? index & (level.Size - 1) : index % level.Size;
    }
}
