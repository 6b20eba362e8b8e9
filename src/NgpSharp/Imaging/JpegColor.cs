namespace NgpSharp.Imaging;

/// <summary>
/// Turns decoded component planes into interleaved 8-bit pixels: chroma upsampling by sample replication
/// (libjpeg with fancy upsampling off, <c>djpeg -nosmooth</c>) and JFIF YCbCr→RGB with libjpeg's 16-bit
/// fixed-point rounding.
/// </summary>
internal static class JpegColor
{
    const int ScaleBits = 16;
    const int Half = 1 << (ScaleBits - 1);

    // Per-code contributions, indexed by the 8-bit Cb/Cr sample (x − 128 applied inside).
    static readonly int[] CrToR = new int[256], CbToB = new int[256], CrToG = new int[256], CbToG = new int[256];

    static JpegColor()
    {
        static int Fix(double x) => (int)(x * (1 << ScaleBits) + 0.5);
        for (int i = 0; i < 256; i++)
        {
            int x = i - 128;
            CrToR[i] = (Fix(1.40200) * x + Half) >> ScaleBits;
            CbToB[i] = (Fix(1.77200) * x + Half) >> ScaleBits;
            CrToG[i] = -Fix(0.71414) * x;
            CbToG[i] = -Fix(0.34414) * x + Half;
        }
    }

    /// <summary>
    /// planes[i]: component i's samples, (Stride·8) wide. Returns [Height, Width, channels] bytes, channels = 1
    /// for one component, 3 for three (converted from YCbCr when <paramref name="ycc"/>, else taken as RGB).
    /// </summary>
    public static byte[] ToPixels(JpegFrame frame, byte[][] planes, bool ycc)
    {
        int w = frame.Width, h = frame.Height, n = frame.Components.Length;
        var output = new byte[(long)w * h * n];
        var rows = new byte[n][];
        for (int i = 0; i < n; i++) rows[i] = new byte[w];
        for (int y = 0; y < h; y++)
        {
            for (int i = 0; i < n; i++) UpsampleRow(frame, frame.Components[i], planes[i], y, rows[i]);
            var o = output.AsSpan(y * w * n, w * n);
            if (n == 1) rows[0].CopyTo(o);
            else if (ycc) YccRow(rows[0], rows[1], rows[2], o);
            else for (int x = 0; x < w; x++) { o[3 * x] = rows[0][x]; o[3 * x + 1] = rows[1][x]; o[3 * x + 2] = rows[2][x]; }
        }
        return output;
    }

    /// <summary>Row <paramref name="y"/> of the full-size image from component <paramref name="c"/>, by replication.</summary>
    static void UpsampleRow(JpegFrame frame, JpegComponent c, byte[] plane, int y, byte[] row)
    {
        int stride = c.Stride * 8;
        int ry = frame.Components.Length == 1 ? 1 : frame.VMax / c.V;
        int rx = frame.Components.Length == 1 ? 1 : frame.HMax / c.H;
        var src = plane.AsSpan((y / ry) * stride, stride);
        int w = row.Length;
        if (rx == 1) src[..w].CopyTo(row);
        else if (rx == 2)
        {
            for (int x = 0; x + 1 < w; x += 2) row[x] = row[x + 1] = src[x >> 1];
            if ((w & 1) != 0) row[w - 1] = src[(w - 1) >> 1];
        }
        else for (int x = 0; x < w; x++) row[x] = src[x / rx];
    }

    static void YccRow(byte[] ys, byte[] cbs, byte[] crs, Span<byte> o)
    {
        for (int x = 0; x < ys.Length; x++)
        {
            int yv = ys[x], cb = cbs[x], cr = crs[x];
            o[3 * x] = Clamp(yv + CrToR[cr]);
            o[3 * x + 1] = Clamp(yv + ((CbToG[cb] + CrToG[cr]) >> ScaleBits));
            o[3 * x + 2] = Clamp(yv + CbToB[cb]);
        }
    }

    static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
