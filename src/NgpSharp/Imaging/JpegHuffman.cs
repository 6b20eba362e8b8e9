namespace NgpSharp.Imaging;

/// <summary>
/// A canonical Huffman table (ITU T.81 Annex C) decoded through a 9-bit lookahead, falling back to the
/// per-length max-code search (Annex F.2.2.3) for longer codes.
/// </summary>
internal sealed class JpegHuffmanTable
{
    public const int LookaheadBits = 9;

    /// <summary>[512]: (code length &lt;&lt; 8) | symbol for codes up to 9 bits, indexed by the next 9 bits; 0 = longer code.</summary>
    public readonly ushort[] Fast = new ushort[1 << LookaheadBits];

    /// <summary>[17]: largest code of each length, −1 where the length has no codes.</summary>
    public readonly int[] MaxCode = new int[17];

    /// <summary>[17]: index into <see cref="Values"/> minus the first code of each length.</summary>
    public readonly int[] ValueOffset = new int[17];

    public readonly byte[] Values;

    JpegHuffmanTable(byte[] values) => Values = values;

    /// <summary>Builds a table from DHT's 16 code counts and its symbols; null with a reason when it is invalid.</summary>
    public static JpegHuffmanTable? Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values, bool isDc, out string? error)
    {
        error = null;
        if (isDc)
            foreach (byte v in values)
                if (v > 15) { error = $"DC Huffman symbol {v} is out of range"; return null; }
        var t = new JpegHuffmanTable(values.ToArray());
        int code = 0, k = 0;
        for (int len = 1; len <= 16; len++)
        {
            int n = counts[len - 1];
            t.MaxCode[len] = -1;
            if (n > 0)
            {
                t.ValueOffset[len] = k - code;
                if (code + n > 1 << len) { error = "Huffman table is overfull (more codes than fit their lengths)"; return null; }
                for (int i = 0; i < n; i++, code++, k++)
                {
                    if (len > LookaheadBits) continue;
                    int shift = LookaheadBits - len;
                    ushort entry = (ushort)((len << 8) | values[k]);
                    t.Fast.AsSpan(code << shift, 1 << shift).Fill(entry);
                }
                t.MaxCode[len] = code - 1;
            }
            code <<= 1;
        }
        return t;
    }
}
