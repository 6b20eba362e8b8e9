using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using Xunit;

namespace NgpSharp.Tests.Compute;

public class GemmTests
{
    /// <summary>The float kernels (every block shape and row tail) against a double triple loop, A read both ways.</summary>
    [Theory]
    [InlineData(1, 16, 5)]
    [InlineData(3, 64, 128)]
    [InlineData(9, 32, 7)]
    [InlineData(13, 112, 33)]   // 64 + 32 + 16 columns, 13 rows
    [InlineData(130, 48, 64)]
    [InlineData(4, 16, 0)]
    public void Float_MatchesDoubleReference(int m, int n, int k)
    {
        var rng = new Rng(7);
        int ldb = n + 16, ldc = n + 32;
        var a = new float[Math.Max(1, m * k)];
        var b = new float[Math.Max(1, k * ldb)];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextFloat() * 2 - 1;
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextFloat() * 2 - 1;
        foreach (bool transposedA in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
        {
            int sai = transposedA ? 1 : k, sap = transposedA ? m : 1;
            var c = new float[m * ldc];
            for (int i = 0; i < c.Length; i++) c[i] = i % 5 - 2f;
            var before = (float[])c.Clone();
            Gemm.Multiply<float>(a, sai, sap, b, ldb, c, ldc, m, n, k, accumulate);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < ldc; j++)
                {
                    if (j >= n) { Assert.Equal(before[i * ldc + j], c[i * ldc + j]); continue; } // beyond n: untouched
                    double sum = accumulate ? before[i * ldc + j] : 0;
                    for (int p = 0; p < k; p++) sum += (double)a[i * sai + p * sap] * b[p * ldb + j];
                    Assert.True(Math.Abs(c[i * ldc + j] - sum) <= 1e-5 * (1 + k), $"C[{i},{j}] = {c[i * ldc + j]}, expected {sum} (Aᵀ {transposedA}, acc {accumulate})");
                }
        }
    }

    [Fact]
    public void RejectsUnpaddedWidthsAndShortViews()
    {
        var x = new float[64];
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(x, 1, 1, x, 16, x, 16, 1, 15, 1, false));
        Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(x, 4, 1, x, 16, x, 16, 4, 16, 8, false));
        Assert.Equal(32, Gemm.PaddedWidth(17));
        Assert.Equal(16, Gemm.PaddedWidth(16));
    }

    [Theory]
    [InlineData(1, 16, 3)]
    [InlineData(7, 32, 64)]
    [InlineData(13, 64, 32)]
    [InlineData(100, 48, 17)]
    public void Avx2Kernel_MatchesDoubleReference_AndTheAvx512KernelBitForBit(int m, int n, int k)
    {
        if (!System.Runtime.Intrinsics.X86.Fma.IsSupported) return; // the kernel needs FMA; nothing to check here
        var rng = new NgpSharp.Compute.Rng(11);
        var a = new float[m * k]; var b = new float[k * n];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextFloat() * 2 - 1;
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextFloat() * 2 - 1;
        foreach (bool transposedA in new[] { false, true })
        foreach (bool accumulate in new[] { false, true })
        {
            nint sai = transposedA ? 1 : k, sap = transposedA ? m : 1;
            var c256 = new float[m * n + 5]; var c512 = new float[m * n + 5];
            for (int i = 0; i < c256.Length; i++) c256[i] = c512[i] = i * 0.01f;
            GemmFloat256.Multiply(ref a[0], sai, sap, ref b[0], n, ref c256[0], n, m, n, k, accumulate);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double expected = accumulate ? (i * n + j) * 0.01f : 0;
                    for (int p = 0; p < k; p++) expected += (double)a[i * sai + p * sap] * b[p * n + j];
                    Assert.True(Math.Abs(c256[i * n + j] - expected) <= 1e-5 * (1 + Math.Abs(expected)), $"C[{i},{j}] = {c256[i * n + j]}, expected {expected}");
                }
            for (int i = m * n; i < c256.Length; i++) Assert.Equal(i * 0.01f, c256[i]); // nothing written past C
            if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
            {
                GemmFloat512.Multiply(ref a[0], sai, sap, ref b[0], n, ref c512[0], n, m, n, k, accumulate);
                Assert.Equal(c512, c256);
            }
        }
    }
}
