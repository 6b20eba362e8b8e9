namespace NgpSharp.Geometry;

/// <summary>
/// 3-D Morton (Z-order) codes as tiny-cuda-nn's morton3D / morton3D_invert: bit i of x goes to bit 3i, of y to
/// 3i+1, of z to 3i+2, so morton(1,0,0)=1, (0,1,0)=2, (0,0,1)=4. Coordinates up to 10 bits (1024³).
/// </summary>
public static class Morton
{
    public const int MaxBits = 10;

    /// <summary>Spreads the low 10 bits of v to every third bit.</summary>
    public static uint ExpandBits(uint v)
    {
        v = (v * 0x00010001u) & 0xFF0000FFu;
        v = (v * 0x00000101u) & 0x0F00F00Fu;
        v = (v * 0x00000011u) & 0xC30C30C3u;
        v = (v * 0x00000005u) & 0x49249249u;
        return v;
    }

    /// <summary>Gathers every third bit (from bit 0) back into the low 10 bits.</summary>
    public static uint CompactBits(uint x)
    {
        x &= 0x49249249u;
        x = (x | (x >> 2)) & 0xC30C30C3u;
        x = (x | (x >> 4)) & 0x0F00F00Fu;
        x = (x | (x >> 8)) & 0xFF0000FFu;
        x = (x | (x >> 16)) & 0x0000FFFFu;
        return x;
    }

    /// <summary>Morton code of (x, y, z), each &lt; 1024.</summary>
    public static uint Encode(uint x, uint y, uint z) => ExpandBits(x) | (ExpandBits(y) << 1) | (ExpandBits(z) << 2);

    public static void Decode(uint code, out uint x, out uint y, out uint z)
    {
        x = CompactBits(code);
        y = CompactBits(code >> 1);
        z = CompactBits(code >> 2);
    }
}
