using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NgpSharp.Compute.Cpu;

/// <summary>
/// AVX2 + FMA float micro-kernel for <see cref="Gemm"/> on CPUs without AVX-512 (most laptops and desktops):
/// blocks of 6 rows × 16 columns = 12 Vector256 accumulators, which with two B vectors and a broadcast fit the
/// 16 ymm registers. Like the AVX-512 kernel it sums over p in increasing order with FMAs, so both give
/// bit-identical results. A row block past the last row re-reads the last row and skips its stores.
/// </summary>
static class GemmFloat256
{
    const int Rows = 6;

    public static void Multiply(ref float a, nint sai, nint sap, ref float b, nint ldb, ref float c, nint ldc,
        int m, int n, int k, bool accumulate)
    {
        for (int j = 0; j < n; j += 16)
            for (int i = 0; i < m; i += Rows)
                Block6x16(ref Unsafe.Add(ref a, i * sai), sai, sap, ref Unsafe.Add(ref b, j), ldb,
                    ref Unsafe.Add(ref c, i * ldc + j), ldc, Math.Min(Rows, m - i), k, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> Fma(Vector256<float> x, Vector256<float> y, Vector256<float> acc) => Vector256.FusedMultiplyAdd(x, y, acc);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector256<float> lo, Vector256<float> hi, ref float c, nint offset, bool accumulate)
    {
        if (accumulate)
        {
            lo += Vector256.LoadUnsafe(ref c, (nuint)offset);
            hi += Vector256.LoadUnsafe(ref c, (nuint)(offset + 8));
        }
        lo.StoreUnsafe(ref c, (nuint)offset);
        hi.StoreUnsafe(ref c, (nuint)(offset + 8));
    }

    static void Block6x16(ref float a, nint sai, nint sap, ref float b, nint ldb, ref float c, nint ldc, int rows, int k, bool accumulate)
    {
        nint r1 = Math.Min(1, rows - 1) * sai, r2 = Math.Min(2, rows - 1) * sai, r3 = Math.Min(3, rows - 1) * sai;
        nint r4 = Math.Min(4, rows - 1) * sai, r5 = Math.Min(5, rows - 1) * sai;
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        nint pa = 0, pb = 0;
        for (int p = 0; p < k; p++, pa += sap, pb += ldb)
        {
            var b0 = Vector256.LoadUnsafe(ref b, (nuint)pb);
            var b1 = Vector256.LoadUnsafe(ref b, (nuint)(pb + 8));
            var x = Vector256.Create(Unsafe.Add(ref a, pa));
            c00 = Fma(x, b0, c00); c01 = Fma(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref a, pa + r1));
            c10 = Fma(x, b0, c10); c11 = Fma(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref a, pa + r2));
            c20 = Fma(x, b0, c20); c21 = Fma(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref a, pa + r3));
            c30 = Fma(x, b0, c30); c31 = Fma(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref a, pa + r4));
            c40 = Fma(x, b0, c40); c41 = Fma(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref a, pa + r5));
            c50 = Fma(x, b0, c50); c51 = Fma(x, b1, c51);
        }
        Store(c00, c01, ref c, 0, accumulate);
        if (rows > 1) Store(c10, c11, ref c, ldc, accumulate);
        if (rows > 2) Store(c20, c21, ref c, 2 * ldc, accumulate);
        if (rows > 3) Store(c30, c31, ref c, 3 * ldc, accumulate);
        if (rows > 4) Store(c40, c41, ref c, 4 * ldc, accumulate);
        if (rows > 5) Store(c50, c51, ref c, 5 * ldc, accumulate);
    }
}
