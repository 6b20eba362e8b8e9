using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NgpSharp.Compute.Cpu;

/// <summary>
/// Small dense matrix products for batch tiles: C[i, j] (+)= Σ_p A(i, p) · B[p, j], where A is read through two
/// strides (so Aᵀ costs nothing) and B, C are row-major. One routine serves the three products of an MLP layer:
/// forward Y = X·Wᵀ (B = Wᵀ packed), input gradient dX = δ·W (B = W), weight gradient dW = δᵀ·X (A = δ strided).
/// </summary>
/// <remarks>
/// The float path is a register-blocked AVX-512 micro-kernel (4 rows × 64 columns of accumulators, one FMA per
/// element and p), or an AVX2 + FMA one (6 × 16) on CPUs without AVX-512. Its column count must be a multiple of <see cref="ColumnBlock"/>: callers pad B and C to
/// <see cref="PaddedWidth"/> columns. Products over p never touch padding, so padded columns of B may hold
/// anything finite; the matching columns of C are then meaningless and simply not read back.
/// Every element of C is a sum over p in increasing order, so results do not depend on the blocking.
/// </remarks>
public static class Gemm
{
    /// <summary>Columns per SIMD vector in the float kernel; C and B widths must be multiples of this.</summary>
    public const int ColumnBlock = 16;

    /// <summary><paramref name="width"/> rounded up to a multiple of <see cref="ColumnBlock"/>.</summary>
    public static int PaddedWidth(int width) => (width + ColumnBlock - 1) / ColumnBlock * ColumnBlock;

    /// <summary>
    /// C[i·ldc + j] = (accumulate ? C[i·ldc + j] : 0) + Σ_{p&lt;k} A[i·aRowStride + p·aColStride] · B[p·ldb + j]
    /// for i &lt; m, j &lt; n. n must be a multiple of <see cref="ColumnBlock"/>.
    /// </summary>
    public static void Multiply<T>(ReadOnlySpan<T> a, int aRowStride, int aColStride, ReadOnlySpan<T> b, int ldb,
        Span<T> c, int ldc, int m, int n, int k, bool accumulate) where T : unmanaged, INumberBase<T>
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentOutOfRangeException(nameof(m), $"negative GEMM shape m={m}, n={n}, k={k}");
        if (n % ColumnBlock != 0) throw new ArgumentException($"GEMM column count {n} is not a multiple of {ColumnBlock}", nameof(n));
        if (m == 0 || n == 0) return;
        if (ldc < n || ldb < n) throw new ArgumentException($"GEMM leading dimensions ldb={ldb}, ldc={ldc} are smaller than n={n}");
        if (k > 0)
        {
            long aLast = (long)(m - 1) * aRowStride + (long)(k - 1) * aColStride;
            if (aRowStride < 0 || aColStride < 0 || aLast >= a.Length) throw new ArgumentException($"GEMM A view (last index {aLast}) exceeds its {a.Length} elements");
            if ((long)(k - 1) * ldb + n > b.Length) throw new ArgumentException($"GEMM B [{k}, {n}] with ldb {ldb} exceeds its {b.Length} elements");
        }
        if ((long)(m - 1) * ldc + n > c.Length) throw new ArgumentException($"GEMM C [{m}, {n}] with ldc {ldc} exceeds its {c.Length} elements");
        MultiplyUnchecked(ref MemoryMarshal.GetReference(a), aRowStride, aColStride, ref MemoryMarshal.GetReference(b), ldb,
            ref MemoryMarshal.GetReference(c), ldc, m, n, k, accumulate);
    }

    /// <summary><see cref="Multiply"/> without bounds checks (callers inside the library that sized the views).</summary>
    internal static void MultiplyUnchecked<T>(ref T a, nint aRowStride, nint aColStride, ref T b, nint ldb,
        ref T c, nint ldc, int m, int n, int k, bool accumulate) where T : unmanaged, INumberBase<T>
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            GemmFloat512.Multiply(ref Unsafe.As<T, float>(ref a), aRowStride, aColStride, ref Unsafe.As<T, float>(ref b), ldb,
                ref Unsafe.As<T, float>(ref c), ldc, m, n, k, accumulate);
            return;
        }
        if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported)
        {
            GemmFloat256.Multiply(ref Unsafe.As<T, float>(ref a), aRowStride, aColStride, ref Unsafe.As<T, float>(ref b), ldb,
                ref Unsafe.As<T, float>(ref c), ldc, m, n, k, accumulate);
            return;
        }
        MultiplyScalar(ref a, aRowStride, aColStride, ref b, ldb, ref c, ldc, m, n, k, accumulate);
    }

    /// <summary>The readable reference: i, p, j loops (j innermost and contiguous).</summary>
    static void MultiplyScalar<T>(ref T a, nint aRowStride, nint aColStride, ref T b, nint ldb,
        ref T c, nint ldc, int m, int n, int k, bool accumulate) where T : unmanaged, INumberBase<T>
    {
        for (int i = 0; i < m; i++)
        {
            ref T cRow = ref Unsafe.Add(ref c, i * ldc);
            if (!accumulate)
                for (int j = 0; j < n; j++) Unsafe.Add(ref cRow, j) = T.Zero;
            for (int p = 0; p < k; p++)
            {
                T aip = Unsafe.Add(ref a, i * aRowStride + p * aColStride);
                ref T bRow = ref Unsafe.Add(ref b, p * ldb);
                for (int j = 0; j < n; j++) Unsafe.Add(ref cRow, j) += aip * Unsafe.Add(ref bRow, j);
            }
        }
    }
}
