using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NgpSharp.Compute.Cpu;

/// <summary>
/// AVX-512 float micro-kernels for <see cref="Gemm"/>: blocks of 4 × 64, 8 × 32 and 8 × 16 (rows × columns) held in
/// Vector512 accumulators; per p, one broadcast of A per row and one load of B per 16 columns feed the FMAs.
/// A row block past the last row re-reads the last row (clamped) and skips its stores, so there is no scalar tail.
/// </summary>
static class GemmFloat512
{
    const int Rows = 4;

    public static void Multiply(ref float a, nint sai, nint sap, ref float b, nint ldb, ref float c, nint ldc,
        int m, int n, int k, bool accumulate)
    {
        int j = 0;
        for (; j + 64 <= n; j += 64)
            for (int i = 0; i < m; i += Rows)
                Block4x4(ref Unsafe.Add(ref a, i * sai), sai, sap, ref Unsafe.Add(ref b, j), ldb,
                    ref Unsafe.Add(ref c, i * ldc + j), ldc, Math.Min(Rows, m - i), k, accumulate);
        for (; j + 32 <= n; j += 32)
            for (int i = 0; i < m; i += 2 * Rows)
                Block8x2(ref Unsafe.Add(ref a, i * sai), sai, sap, ref Unsafe.Add(ref b, j), ldb,
                    ref Unsafe.Add(ref c, i * ldc + j), ldc, Math.Min(2 * Rows, m - i), k, accumulate);
        for (; j < n; j += 16)
            for (int i = 0; i < m; i += 2 * Rows)
                Block8x1(ref Unsafe.Add(ref a, i * sai), sai, sap, ref Unsafe.Add(ref b, j), ldb,
                    ref Unsafe.Add(ref c, i * ldc + j), ldc, Math.Min(2 * Rows, m - i), k, accumulate);
    }

    /// <summary>Offset of row r of a block with <paramref name="rows"/> valid rows (clamped to the last one).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static nint RowOffset(int r, int rows, nint stride) => Math.Min(r, rows - 1) * stride;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Fma(Vector512<float> x, Vector512<float> y, Vector512<float> acc) => Vector512.FusedMultiplyAdd(x, y, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<float> v, ref float c, nint offset, bool accumulate)
    {
        if (accumulate) v += Vector512.LoadUnsafe(ref c, (nuint)offset);
        v.StoreUnsafe(ref c, (nuint)offset);
    }

    static void Block4x4(ref float a, nint sai, nint sap, ref float b, nint ldb, ref float c, nint ldc, int rows, int k, bool accumulate)
    {
        nint r1 = RowOffset(1, rows, sai), r2 = RowOffset(2, rows, sai), r3 = RowOffset(3, rows, sai);
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        nint pa = 0, pb = 0;
        for (int p = 0; p < k; p++, pa += sap, pb += ldb)
        {
            var b0 = Vector512.LoadUnsafe(ref b, (nuint)pb);
            var b1 = Vector512.LoadUnsafe(ref b, (nuint)(pb + 16));
            var b2 = Vector512.LoadUnsafe(ref b, (nuint)(pb + 32));
            var b3 = Vector512.LoadUnsafe(ref b, (nuint)(pb + 48));
            var x = Vector512.Create(Unsafe.Add(ref a, pa));
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01); c02 = Fma(x, b2, c02); c03 = Fma(x, b3, c03);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r1));
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11); c12 = Fma(x, b2, c12); c13 = Fma(x, b3, c13);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r2));
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21); c22 = Fma(x, b2, c22); c23 = Fma(x, b3, c23);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r3));
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31); c32 = Fma(x, b2, c32); c33 = Fma(x, b3, c33);
        }
        Store(c00, ref c, 0, accumulate); Store(c01, ref c, 16, accumulate); Store(c02, ref c, 32, accumulate); Store(c03, ref c, 48, accumulate);
        if (rows < 2) return;
        Store(c10, ref c, ldc, accumulate); Store(c11, ref c, ldc + 16, accumulate); Store(c12, ref c, ldc + 32, accumulate); Store(c13, ref c, ldc + 48, accumulate);
        if (rows < 3) return;
        nint o = 2 * ldc;
        Store(c20, ref c, o, accumulate); Store(c21, ref c, o + 16, accumulate); Store(c22, ref c, o + 32, accumulate); Store(c23, ref c, o + 48, accumulate);
        if (rows < 4) return;
        o = 3 * ldc;
        Store(c30, ref c, o, accumulate); Store(c31, ref c, o + 16, accumulate); Store(c32, ref c, o + 32, accumulate); Store(c33, ref c, o + 48, accumulate);
    }

    static void Block8x2(ref float a, nint sai, nint sap, ref float b, nint ldb, ref float c, nint ldc, int rows, int k, bool accumulate)
    {
        nint r1 = RowOffset(1, rows, sai), r2 = RowOffset(2, rows, sai), r3 = RowOffset(3, rows, sai);
        nint r4 = RowOffset(4, rows, sai), r5 = RowOffset(5, rows, sai), r6 = RowOffset(6, rows, sai), r7 = RowOffset(7, rows, sai);
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        nint pa = 0, pb = 0;
        for (int p = 0; p < k; p++, pa += sap, pb += ldb)
        {
            var b0 = Vector512.LoadUnsafe(ref b, (nuint)pb);
            var b1 = Vector512.LoadUnsafe(ref b, (nuint)(pb + 16));
            var x = Vector512.Create(Unsafe.Add(ref a, pa));
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r1));
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r2));
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r3));
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r4));
            c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r5));
            c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r6));
            c60 = Fma(x, b0, c60); c61 = Fma(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref a, pa + r7));
            c70 = Fma(x, b0, c70); c71 = Fma(x, b1, c71);
        }
        Store(c00, ref c, 0, accumulate); Store(c01, ref c, 16, accumulate);
        if (rows < 2) return;
        Store(c10, ref c, ldc, accumulate); Store(c11, ref c, ldc + 16, accumulate);
        if (rows < 3) return;
        Store(c20, ref c, 2 * ldc, accumulate); Store(c21, ref c, 2 * ldc + 16, accumulate);
        if (rows < 4) return;
        Store(c30, ref c, 3 * ldc, accumulate); Store(c31, ref c, 3 * ldc + 16, accumulate);
        if (rows < 5) return;
        Store(c40, ref c, 4 * ldc, accumulate); Store(c41, ref c, 4 * ldc + 16, accumulate);
        if (rows < 6) return;
        Store(c50, ref c, 5 * ldc, accumulate); Store(c51, ref c, 5 * ldc + 16, accumulate);
        if (rows < 7) return;
        Store(c60, ref c, 6 * ldc, accumulate); Store(c61, ref c, 6 * ldc + 16, accumulate);
        if (rows < 8) return;
        Store(c70, ref c, 7 * ldc, accumulate); Store(c71, ref c, 7 * ldc + 16, accumulate);
    }

    static void Block8x1(ref float a, nint sai, nint sap, ref float b, nint ldb, ref float c, nint ldc, int rows, int k, bool accumulate)
    {
        nint r1 = RowOffset(1, rows, sai), r2 = RowOffset(2, rows, sai), r3 = RowOffset(3, rows, sai);
        nint r4 = RowOffset(4, rows, sai), r5 = RowOffset(5, rows, sai), r6 = RowOffset(6, rows, sai), r7 = RowOffset(7, rows, sai);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        nint pa = 0, pb = 0;
        for (int p = 0; p < k; p++, pa += sap, pb += ldb)
        {
            var b0 = Vector512.LoadUnsafe(ref b, (nuint)pb);
            c0 = Fma(Vector512.Create(Unsafe.Add(ref a, pa)), b0, c0);
            c1 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r1)), b0, c1);
            c2 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r2)), b0, c2);
            c3 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r3)), b0, c3);
            c4 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r4)), b0, c4);
            c5 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r5)), b0, c5);
            c6 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r6)), b0, c6);
            c7 = Fma(Vector512.Create(Unsafe.Add(ref a, pa + r7)), b0, c7);
        }
        Store(c0, ref c, 0, accumulate);
        if (rows > 1) Store(c1, ref c, ldc, accumulate);
        if (rows > 2) Store(c2, ref c, 2 * ldc, accumulate);
        if (rows > 3) Store(c3, ref c, 3 * ldc, accumulate);
        if (rows > 4) Store(c4, ref c, 4 * ldc, accumulate);
        if (rows > 5) Store(c5, ref c, 5 * ldc, accumulate);
        if (rows > 6) Store(c6, ref c, 6 * ldc, accumulate);
        if (rows > 7) Store(c7, ref c, 7 * ldc, accumulate);
    }
}
