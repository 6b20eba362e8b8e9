using System.Buffers.Binary;

namespace NgpSharp.Imaging;

/// <summary>EXIF orientation (TIFF tag 0x0112): reading it from an APP1 segment and applying it to pixels.</summary>
internal static class JpegOrientation
{
    /// <summary>
    /// The orientation (1–8) in an APP1 payload starting "Exif\0\0", or 0 when absent or malformed: broken
    /// metadata never fails a decode.
    /// </summary>
    public static int Read(ReadOnlySpan<byte> app1)
    {
        if (app1.Length < 14 || !app1[..6].SequenceEqual("Exif\0\0"u8)) return 0;
        var tiff = app1[6..];
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I') little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M') little = false;
        else return 0;
        if (U16(tiff, 2, little) != 42) return 0;
        long ifd = U32(tiff, 4, little);
        if (ifd + 2 > tiff.Length) return 0;
        int count = U16(tiff, (int)ifd, little);
        for (int i = 0; i < count; i++)
        {
            long e = ifd + 2 + 12L * i;
            if (e + 12 > tiff.Length) return 0;
            int tag = U16(tiff, (int)e, little), type = U16(tiff, (int)e + 2, little);
            if (tag != 0x0112) continue;
            if (type != 3 || U32(tiff, (int)e + 4, little) < 1) return 0; // SHORT, count ≥ 1, value inline
            int value = U16(tiff, (int)e + 8, little);
            return value is >= 1 and <= 8 ? value : 0;
        }
        return 0;
    }

    static int U16(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(s.Slice(at, 2)) : BinaryPrimitives.ReadUInt16BigEndian(s.Slice(at, 2));

    static long U32(ReadOnlySpan<byte> s, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(s.Slice(at, 4)) : BinaryPrimitives.ReadUInt32BigEndian(s.Slice(at, 4));

    /// <summary>
    /// Rotates/flips [h, w, c] pixels so they display upright: 2 mirror, 3 rotate 180°, 4 flip vertically,
    /// 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise. 5–8 swap width and height.
    /// </summary>
    public static byte[] Apply(byte[] src, int w, int h, int c, int orientation, out int outW, out int outH)
    {
        bool swap = orientation >= 5;
        outW = swap ? h : w;
        outH = swap ? w : h;
        if (orientation is < 2 or > 8) return src;
        var dst = new byte[src.Length];
        for (int oy = 0; oy < outH; oy++)
            for (int ox = 0; ox < outW; ox++)
            {
                (int sx, int sy) = orientation switch
                {
                    2 => (w - 1 - ox, oy),
                    3 => (w - 1 - ox, h - 1 - oy),
                    4 => (ox, h - 1 - oy),
                    5 => (oy, ox),
                    6 => (oy, h - 1 - ox),
                    7 => (w - 1 - oy, h - 1 - ox),
                    _ => (w - 1 - oy, ox),
                };
                src.AsSpan((sy * w + sx) * c, c).CopyTo(dst.AsSpan((oy * outW + ox) * c, c));
            }
        return dst;
    }
}
