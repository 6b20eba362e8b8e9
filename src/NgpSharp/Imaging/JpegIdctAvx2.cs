using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NgpSharp.Imaging;

/// <summary>
/// AVX2 version of the islow IDCT: the same integer operations on 8 lanes at once (columns in pass 1, rows in
/// pass 2 after an 8×8 transpose), so results are bit-identical to <see cref="JpegIdct.TransformScalar"/>.
/// </summary>
internal static partial class JpegIdct
{
    static void TransformAvx2(ReadOnlySpan<short> coefs, ReadOnlySpan<ushort> quant, Span<byte> output, int stride)
    {
        if (coefs.Length < 64 || quant.Length < 64 || output.Length < 7 * stride + 8) throw new ArgumentException("IDCT block out of range");
        ref short c = ref MemoryMarshal.GetReference(coefs);
        ref ushort q = ref MemoryMarshal.GetReference(quant);

        // Pass 1 over the 8 columns at once: vector r holds coefficient row r (lane = column).
        var r0 = Dequant(ref c, ref q, 0); var r1 = Dequant(ref c, ref q, 1);
        var r2 = Dequant(ref c, ref q, 2); var r3 = Dequant(ref c, ref q, 3);
        var r4 = Dequant(ref c, ref q, 4); var r5 = Dequant(ref c, ref q, 5);
        var r6 = Dequant(ref c, ref q, 6); var r7 = Dequant(ref c, ref q, 7);
        Butterfly(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ConstBits - Pass1Bits);

        // Pass 2 over the 8 rows at once: after the transpose, vector k holds frequency k of every row (lane = row).
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
        Butterfly(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, ConstBits + Pass1Bits + 3);
        Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);

        ref byte o = ref MemoryMarshal.GetReference(output);
        Store(ref o, stride, 0, r0, r1); Store(ref o, stride, 2, r2, r3);
        Store(ref o, stride, 4, r4, r5); Store(ref o, stride, 6, r6, r7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Dequant(ref short c, ref ushort q, int row)
    {
        var cv = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref c, (nuint)(row * 8)));
        var qv = Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref q, (nuint)(row * 8)));
        return cv * qv;
    }

    /// <summary>Rows a and b (lane = column) plus 128, clamped, written as 16 bytes to output rows `row` and `row`+1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(ref byte o, int stride, int row, Vector256<int> a, Vector256<int> b)
    {
        var bias = Vector256.Create(128);
        var lo = Vector256.Clamp(a + bias, Vector256<int>.Zero, Vector256.Create(255));
        var hi = Vector256.Clamp(b + bias, Vector256<int>.Zero, Vector256.Create(255));
        var s = Vector256.Narrow(lo, hi);                      // 16 shorts: row a then row b
        var bytes = Vector128.Narrow(s.GetLower(), s.GetUpper()).AsUInt64();
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, row * stride), bytes.GetElement(0));
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref o, (row + 1) * stride), bytes.GetElement(1));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Butterfly(ref Vector256<int> x0, ref Vector256<int> x1, ref Vector256<int> x2, ref Vector256<int> x3,
        ref Vector256<int> x4, ref Vector256<int> x5, ref Vector256<int> x6, ref Vector256<int> x7, int shift)
    {
        // Even part.
        var z1 = (x2 + x6) * Vector256.Create(F0_541196100);
        var t2 = z1 - x6 * Vector256.Create(F1_847759065);
        var t3 = z1 + x2 * Vector256.Create(F0_765366865);
        var t0 = Vector256.ShiftLeft(x0 + x4, ConstBits);
        var t1 = Vector256.ShiftLeft(x0 - x4, ConstBits);
        var t10 = t0 + t3; var t13 = t0 - t3; var t11 = t1 + t2; var t12 = t1 - t2;

        // Odd part.
        var o0 = x7; var o1 = x5; var o2 = x3; var o3 = x1;
        var za = o0 + o3; var zb = o1 + o2; var zc = o0 + o2; var zd = o1 + o3;
        var z5 = (zc + zd) * Vector256.Create(F1_175875602);
        o0 *= Vector256.Create(F0_298631336); o1 *= Vector256.Create(F2_053119869);
        o2 *= Vector256.Create(F3_072711026); o3 *= Vector256.Create(F1_501321110);
        za *= Vector256.Create(-F0_899976223); zb *= Vector256.Create(-F2_562915447);
        zc = zc * Vector256.Create(-F1_961570560) + z5; zd = zd * Vector256.Create(-F0_390180644) + z5;
        o0 += za + zc; o1 += zb + zd; o2 += zb + zc; o3 += za + zd;

        var round = Vector256.Create(1 << (shift - 1));
        x0 = Vector256.ShiftRightArithmetic(t10 + o3 + round, shift);
        x7 = Vector256.ShiftRightArithmetic(t10 - o3 + round, shift);
        x1 = Vector256.ShiftRightArithmetic(t11 + o2 + round, shift);
        x6 = Vector256.ShiftRightArithmetic(t11 - o2 + round, shift);
        x2 = Vector256.ShiftRightArithmetic(t12 + o1 + round, shift);
        x5 = Vector256.ShiftRightArithmetic(t12 - o1 + round, shift);
        x3 = Vector256.ShiftRightArithmetic(t13 + o0 + round, shift);
        x4 = Vector256.ShiftRightArithmetic(t13 - o0 + round, shift);
    }

    /// <summary>Transposes the 8×8 matrix whose rows are r0..r7.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Transpose(ref Vector256<int> r0, ref Vector256<int> r1, ref Vector256<int> r2, ref Vector256<int> r3,
        ref Vector256<int> r4, ref Vector256<int> r5, ref Vector256<int> r6, ref Vector256<int> r7)
    {
        var t0 = Avx2.UnpackLow(r0, r1).AsInt64(); var t1 = Avx2.UnpackHigh(r0, r1).AsInt64();
        var t2 = Avx2.UnpackLow(r2, r3).AsInt64(); var t3 = Avx2.UnpackHigh(r2, r3).AsInt64();
        var t4 = Avx2.UnpackLow(r4, r5).AsInt64(); var t5 = Avx2.UnpackHigh(r4, r5).AsInt64();
        var t6 = Avx2.UnpackLow(r6, r7).AsInt64(); var t7 = Avx2.UnpackHigh(r6, r7).AsInt64();
        var u0 = Avx2.UnpackLow(t0, t2).AsInt32(); var u1 = Avx2.UnpackHigh(t0, t2).AsInt32();
        var u2 = Avx2.UnpackLow(t1, t3).AsInt32(); var u3 = Avx2.UnpackHigh(t1, t3).AsInt32();
        var u4 = Avx2.UnpackLow(t4, t6).AsInt32(); var u5 = Avx2.UnpackHigh(t4, t6).AsInt32();
        var u6 = Avx2.UnpackLow(t5, t7).AsInt32(); var u7 = Avx2.UnpackHigh(t5, t7).AsInt32();
        r0 = Avx2.Permute2x128(u0, u4, 0x20); r4 = Avx2.Permute2x128(u0, u4, 0x31);
        r1 = Avx2.Permute2x128(u1, u5, 0x20); r5 = Avx2.Permute2x128(u1, u5, 0x31);
        r2 = Avx2.Permute2x128(u2, u6, 0x20); r6 = Avx2.Permute2x128(u2, u6, 0x31);
        r3 = Avx2.Permute2x128(u3, u7, 0x20); r7 = Avx2.Permute2x128(u3, u7, 0x31);
    }
}
