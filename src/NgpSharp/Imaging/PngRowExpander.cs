namespace NgpSharp.Imaging;

/// <summary>
/// Turns one unfiltered PNG row into output samples: unpacks 1/2/4/16-bit samples, expands palette indices,
/// scales low-depth gray like libpng (v·255/(2^d−1)) and turns tRNS into alpha.
/// </summary>
internal sealed class PngRowExpander(PngHeader header, byte[]? palette, byte[]? paletteAlpha, ushort[]? colorKey,
    ushort[] output, int channels)
{
    readonly int _depth = header.BitDepth;
    readonly int _fileChannels = header.FileChannels;
    readonly int _width = header.Width;
    readonly int _paletteEntries = palette is null ? 0 : palette.Length / 3;

    /// <summary>
    /// Writes the <paramref name="count"/> pixels of <paramref name="row"/> to image row <paramref name="y"/> at
    /// x = x0, x0+dx, ... Returns −1, or the first palette index that is out of range.
    /// </summary>
    public int ExpandRow(ReadOnlySpan<byte> row, int count, int y, int x0, int dx)
    {
        long start = ((long)y * _width + x0) * channels;
        int step = dx * channels;
        var dst = output.AsSpan();
        int o = (int)start; // fits: MaxSamples < 2^31

        if (header.ColorType == 3)
        {
            for (int i = 0; i < count; i++, o += step)
            {
                int index = _depth == 8 ? row[i] : Bits(row, i);
                if (index >= _paletteEntries) return index;
                dst[o] = palette![3 * index];
                dst[o + 1] = palette[3 * index + 1];
                dst[o + 2] = palette[3 * index + 2];
                if (paletteAlpha is not null) dst[o + 3] = paletteAlpha[index];
            }
            return -1;
        }

        if (_depth < 8) // gray only
        {
            int scale = 255 / ((1 << _depth) - 1);
            for (int i = 0; i < count; i++, o += step)
            {
                int v = Bits(row, i);
                dst[o] = (ushort)(v * scale);
                if (colorKey is not null) dst[o + 1] = (ushort)(v == colorKey[0] ? 0 : 255);
            }
            return -1;
        }

        int fc = _fileChannels;
        if (_depth == 8)
        {
            if (colorKey is null && dx == 1)
            {
                for (int i = 0; i < count * fc; i++) dst[o + i] = row[i];
                return -1;
            }
            for (int i = 0, k = 0; i < count; i++, o += step)
            {
                bool keyed = colorKey is not null;
                for (int c = 0; c < fc; c++, k++)
                {
                    dst[o + c] = row[k];
                    if (keyed && row[k] != colorKey![c]) keyed = false;
                }
                if (colorKey is not null) dst[o + fc] = (ushort)(keyed ? 0 : 255);
            }
            return -1;
        }

        for (int i = 0, k = 0; i < count; i++, o += step) // 16-bit, big-endian
        {
            bool keyed = colorKey is not null;
            for (int c = 0; c < fc; c++, k += 2)
            {
                ushort v = (ushort)(row[k] << 8 | row[k + 1]);
                dst[o + c] = v;
                if (keyed && v != colorKey![c]) keyed = false;
            }
            if (colorKey is not null) dst[o + fc] = (ushort)(keyed ? 0 : 65535);
        }
        return -1;
    }

    /// <summary>Sample <paramref name="i"/> of a row packed at 1, 2 or 4 bits, most significant bits first.</summary>
    int Bits(ReadOnlySpan<byte> row, int i)
    {
        int bit = i * _depth;
        int shift = 8 - _depth - (bit & 7);
        return (row[bit >> 3] >> shift) & ((1 << _depth) - 1);
    }
}
