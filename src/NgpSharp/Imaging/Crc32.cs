namespace NgpSharp.Imaging;

/// <summary>CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, init and final xor 0xFFFFFFFF), as PNG chunks use.</summary>
internal static class Crc32
{
    static readonly uint[] Table = BuildTable();

    static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[n] = c;
        }
        return table;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    /// <summary>Initial running value for <see cref="Update"/>.</summary>
    public const uint Start = 0xFFFFFFFFu;

    /// <summary>Feeds bytes into a running (not yet finished) CRC value.</summary>
    public static uint Update(uint running, ReadOnlySpan<byte> data)
    {
        var table = Table;
        uint c = running;
        foreach (byte b in data) c = table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c;
    }

    /// <summary>Turns a running value into the CRC.</summary>
    public static uint Finish(uint running) => running ^ 0xFFFFFFFFu;
}
