namespace NgpSharp.Imaging;

/// <summary>
/// Reads the entropy-coded bytes of one scan MSB first, removing 0xFF00 stuffing and stopping at the next
/// marker. Past a marker (or the end of the data) it feeds zero bits and counts them, so a scan that reads
/// beyond its real data is detected (<see cref="Overran"/>) instead of looping or reading out of bounds.
/// </summary>
internal sealed class JpegBitReader(byte[] data, string source)
{
    ulong buffer;      // next bits at the top
    int bitCount;      // valid bits in buffer
    int paddingBits;   // zero bits fed in after the real data ended
    int pos;           // next byte to read
    bool atMarker;     // pos is at the 0xFF of a marker (or at the end of the data)

    /// <summary>True once the decoder has consumed bits that are not in the file (truncated or corrupt data).</summary>
    public bool Overran => paddingBits > bitCount;

    /// <summary>Starts reading entropy-coded data at <paramref name="position"/>.</summary>
    public void Start(int position)
    {
        pos = position;
        buffer = 0;
        bitCount = 0;
        paddingBits = 0;
        atMarker = false;
    }

    void Fill()
    {
        while (bitCount <= 56)
        {
            int b = 0;
            if (!atMarker)
            {
                if (pos >= data.Length) atMarker = true;
                else if (data[pos] != 0xFF) b = data[pos++];
                else
                {
                    int q = pos + 1;
                    while (q < data.Length && data[q] == 0xFF) q++; // fill bytes before a marker
                    if (q < data.Length && data[q] == 0) { b = 0xFF; pos = q + 1; }
                    else atMarker = true;
                }
            }
            if (atMarker) paddingBits += 8;
            buffer |= (ulong)b << (56 - bitCount);
            bitCount += 8;
        }
    }

    /// <summary>Decodes one Huffman symbol.</summary>
    public int Decode(JpegHuffmanTable table)
    {
        if (bitCount < 16) Fill();
        int entry = table.Fast[(int)(buffer >> (64 - JpegHuffmanTable.LookaheadBits))];
        if (entry != 0)
        {
            int len = entry >> 8;
            buffer <<= len;
            bitCount -= len;
            return entry & 0xFF;
        }
        uint next16 = (uint)(buffer >> 48);
        for (int len = JpegHuffmanTable.LookaheadBits + 1; len <= 16; len++)
        {
            int code = (int)(next16 >> (16 - len));
            if (code <= table.MaxCode[len])
            {
                int index = code + table.ValueOffset[len];
                if ((uint)index >= (uint)table.Values.Length) break;
                buffer <<= len;
                bitCount -= len;
                return table.Values[index];
            }
        }
        throw new ImageFormatException($"{source}: corrupt JPEG entropy data (invalid Huffman code near byte {pos})");
    }

    /// <summary>Reads <paramref name="n"/> (0–16) raw bits as an unsigned number.</summary>
    public int Bits(int n)
    {
        if (n == 0) return 0;
        if (bitCount < n) Fill();
        int v = (int)(buffer >> (64 - n));
        buffer <<= n;
        bitCount -= n;
        return v;
    }

    /// <summary>Reads one raw bit.</summary>
    public int Bit()
    {
        if (bitCount < 1) Fill();
        int v = (int)(buffer >> 63);
        buffer <<= 1;
        bitCount--;
        return v;
    }

    /// <summary>Reads an <paramref name="s"/>-bit magnitude category value and sign-extends it (T.81 F.2.2.1 EXTEND).</summary>
    public int ReceiveExtend(int s)
    {
        if (s == 0) return 0;
        int v = Bits(s);
        return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
    }

    /// <summary>Position of the next marker after the scan data read so far (skipping unread bytes); data length if none.</summary>
    public int FindMarker()
    {
        int p = pos;
        while (p + 1 < data.Length)
        {
            if (data[p] == 0xFF && data[p + 1] != 0 && data[p + 1] != 0xFF) return p;
            p++;
        }
        return data.Length;
    }

    /// <summary>Discards the remaining bits of a restart interval and consumes the expected RSTn marker.</summary>
    public void Restart(int expectedIndex)
    {
        int p = FindMarker();
        if (p + 1 >= data.Length)
            throw new ImageFormatException($"{source}: truncated JPEG (restart marker RST{expectedIndex} missing at end of data)");
        int marker = data[p + 1];
        if (marker != 0xD0 + expectedIndex)
            throw new ImageFormatException($"{source}: corrupt JPEG (expected restart marker RST{expectedIndex}, found 0xFF{marker:X2} at byte {p})");
        Start(p + 2);
    }
}
