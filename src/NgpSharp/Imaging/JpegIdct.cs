namespace NgpSharp.Imaging;

/// <summary>
/// The accurate integer 8×8 inverse DCT (Loeffler–Ligtenberg–Moschytz, 13-bit constants, 2 extra bits of
/// precision between passes): the same arithmetic as libjpeg's "islow" method (<c>djpeg -dct int</c>), so
/// outputs agree bit for bit.
/// </summary>
internal static partial class JpegIdct
{
    const int ConstBits = 13;
    const int Pass1Bits = 2;
    const int F0_298631336 = 2446, F0_390180644 = 3196, F0_541196100 = 4433, F0_765366865 = 6270;
    const int F0_899976223 = 7373, F1_175875602 = 9633, F1_501321110 = 12299, F1_847759065 = 15137;
    const int F1_961570560 = 16069, F2_053119869 = 16819, F2_562915447 = 20995, F3_072711026 = 25172;

    /// <summary>
    /// Dequantizes and inverse-transforms one block. coefs: [64] natural order; quant: [64] natural order;
    /// output: 8 rows of 8 samples at <paramref name="stride"/>, level-shifted by 128 and clamped to 0–255.
    /// Uses the AVX2 version where available (bit-identical), the scalar reference otherwise.
    /// </summary>
    public static void Transform(ReadOnlySpan<short> coefs, ReadOnlySpan<ushort> quant, Span<byte> output, int stride)
    {
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) TransformAvx2(coefs, quant, output, stride);
        else TransformScalar(coefs, quant, output, stride);
    }

    /// <summary>The scalar reference of <see cref="Transform"/>.</summary>
    public static void TransformScalar(ReadOnlySpan<short> coefs, ReadOnlySpan<ushort> quant, Span<byte> output, int stride)
    {
        Span<int> ws = stackalloc int[64];
        coefs = coefs[..64];
        quant = quant[..64];

        // Pass 1: columns, results scaled up by 2^Pass1Bits.
        for (int c = 0; c < 8; c++)
        {
            if (coefs[8 + c] == 0 && coefs[16 + c] == 0 && coefs[24 + c] == 0 && coefs[32 + c] == 0 &&
                coefs[40 + c] == 0 && coefs[48 + c] == 0 && coefs[56 + c] == 0)
            {
                int dc = coefs[c] * quant[c] << Pass1Bits;
                for (int r = 0; r < 8; r++) ws[r * 8 + c] = dc;
                continue;
            }
            Butterfly(
                coefs[c] * quant[c], coefs[8 + c] * quant[8 + c], coefs[16 + c] * quant[16 + c],
                coefs[24 + c] * quant[24 + c], coefs[32 + c] * quant[32 + c], coefs[40 + c] * quant[40 + c],
                coefs[48 + c] * quant[48 + c], coefs[56 + c] * quant[56 + c],
                ConstBits - Pass1Bits, ws, c, 8);
        }

        // Pass 2: rows, removing the pass-1 scale and the 8× DCT gain, then level shift.
        Span<int> row = stackalloc int[8];
        for (int r = 0; r < 8; r++)
        {
            var w = ws.Slice(r * 8, 8);
            var o = output.Slice(r * stride, 8);
            if (w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0)
            {
                o.Fill(Clamp(Descale(w[0], Pass1Bits + 3) + 128));
                continue;
            }
            Butterfly(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], ConstBits + Pass1Bits + 3, row, 0, 1);
            for (int i = 0; i < 8; i++) o[i] = Clamp(row[i] + 128);
        }
    }

    /// <summary>One 8-point 1-D IDCT of x0..x7, descaled by <paramref name="shift"/>, written to out[start + i·step].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    static void Butterfly(int x0, int x1, int x2, int x3, int x4, int x5, int x6, int x7, int shift, Span<int> output, int start, int step)
    {
        // Even part.
        int z1 = (x2 + x6) * F0_541196100;
        int t2 = z1 - x6 * F1_847759065;
        int t3 = z1 + x2 * F0_765366865;
        int t0 = (x0 + x4) << ConstBits;
        int t1 = (x0 - x4) << ConstBits;
        int t10 = t0 + t3, t13 = t0 - t3, t11 = t1 + t2, t12 = t1 - t2;

        // Odd part.
        int o0 = x7, o1 = x5, o2 = x3, o3 = x1;
        int za = o0 + o3, zb = o1 + o2, zc = o0 + o2, zd = o1 + o3;
        int z5 = (zc + zd) * F1_175875602;
        o0 *= F0_298631336; o1 *= F2_053119869; o2 *= F3_072711026; o3 *= F1_501321110;
        za *= -F0_899976223; zb *= -F2_562915447; zc = zc * -F1_961570560 + z5; zd = zd * -F0_390180644 + z5;
        o0 += za + zc; o1 += zb + zd; o2 += zb + zc; o3 += za + zd;

        output[start] = Descale(t10 + o3, shift);
        output[start + 7 * step] = Descale(t10 - o3, shift);
        output[start + step] = Descale(t11 + o2, shift);
        output[start + 6 * step] = Descale(t11 - o2, shift);
        output[start + 2 * step] = Descale(t12 + o1, shift);
        output[start + 5 * step] = Descale(t12 - o1, shift);
        output[start + 3 * step] = Descale(t13 + o0, shift);
        output[start + 4 * step] = Descale(t13 - o0, shift);
    }

    static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);
}
