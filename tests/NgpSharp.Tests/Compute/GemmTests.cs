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
}
