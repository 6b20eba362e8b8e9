namespace NgpSharp.Data.Npy;

/// <summary>Byte-order and memory-order conversions of raw element buffers.</summary>
internal static class NpyLayout
{
    /// <summary>Reverses the bytes of every <paramref name="itemSize"/>-byte element in place.</summary>
    public static void SwapBytes(byte[] data, int itemSize)
    {
        if (itemSize == 1) return;
        for (int i = 0; i < data.Length; i += itemSize) data.AsSpan(i, itemSize).Reverse();
    }

    /// <summary>
    /// Converts between C order (last index fastest) and Fortran order (first index fastest) for an array of
    /// <paramref name="shape"/>: C → Fortran when <paramref name="toFortran"/>, else Fortran → C. Returns a new buffer
    /// (or the input when both orders coincide: fewer than two dimensions larger than 1).
    /// </summary>
    public static byte[] Reorder(byte[] data, int[] shape, int itemSize, bool toFortran)
    {
        if (shape.Count(d => d > 1) < 2) return data;
        int rank = shape.Length;
        var fortranStride = new long[rank];
        long stride = 1;
        for (int k = 0; k < rank; k++) { fortranStride[k] = stride; stride *= shape[k]; }
        var result = new byte[data.Length];
        var index = new int[rank];
        long fortranOffset = 0;
        long count = data.Length / itemSize;
        for (long c = 0; c < count; c++)
        {
            var (from, to) = toFortran ? (c, fortranOffset) : (fortranOffset, c);
            data.AsSpan((int)(from * itemSize), itemSize).CopyTo(result.AsSpan((int)(to * itemSize)));
            // odometer over the C-order multi-index, keeping the Fortran offset in step
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++index[k] < shape[k]) { fortranOffset += fortranStride[k]; break; }
                fortranOffset -= (long)(shape[k] - 1) * fortranStride[k];
                index[k] = 0;
            }
        }
        return result;
    }
}
