namespace NgpSharp.Imaging;

/// <summary>
/// GIF's variable-width LZW (GIF89a appendix F): codes start at minCodeSize+1 bits and grow to 12; a clear code
/// opens the stream and is sent again when the table fills (at 4095 entries, as giflib does); an end code closes it.
/// Output: the minimum-code-size byte, the packed codes (LSB first) in ≤ 255-byte sub-blocks, a zero terminator.
/// </summary>
static class GifLzw
{
    const int MaxCode = 4095;

    /// <summary>indices: [pixels], each &lt; 2^minCodeSize; minCodeSize: 2–8.</summary>
    public static void Encode(ReadOnlySpan<byte> indices, int minCodeSize, Stream output)
    {
        if (minCodeSize is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(minCodeSize));
        output.WriteByte((byte)minCodeSize);
        var bits = new BitPacker(output);
        int clear = 1 << minCodeSize, end = clear + 1;
        int width = minCodeSize + 1, next = end + 1;
        var table = new Dictionary<int, int>(4096);
        bits.Write(clear, width);
        if (indices.Length == 0) { bits.Write(end, width); bits.Finish(); return; }
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int k = indices[i];
            int key = (prefix << 8) | k;
            if (table.TryGetValue(key, out int code)) { prefix = code; continue; }
            bits.Write(prefix, width);
            if (next >= MaxCode)
            {
                bits.Write(clear, width);
                table.Clear();
                width = minCodeSize + 1;
                next = end + 1;
            }
            else
            {
                table[key] = next;
                // The decoder, one entry behind, widens after adding code 2^width - 1, i.e. when we add 2^width.
                if (next == 1 << width) width++;
                next++;
            }
            prefix = k;
        }
        bits.Write(prefix, width);
        bits.Write(end, width);
        bits.Finish();
    }

    sealed class BitPacker(Stream output)
    {
        readonly byte[] _block = new byte[255];
        int _count;
        uint _acc;
        int _accBits;

        public void Write(int code, int width)
        {
            _acc |= (uint)code << _accBits;
            _accBits += width;
            while (_accBits >= 8) { Put((byte)_acc); _acc >>= 8; _accBits -= 8; }
        }

        void Put(byte b)
        {
            _block[_count++] = b;
            if (_count == 255) FlushBlock();
        }

        void FlushBlock()
        {
            if (_count == 0) return;
            output.WriteByte((byte)_count);
            output.Write(_block, 0, _count);
            _count = 0;
        }

        public void Finish()
        {
            if (_accBits > 0) { Put((byte)_acc); _acc = 0; _accBits = 0; }
            FlushBlock();
            output.WriteByte(0);
        }
    }
}
