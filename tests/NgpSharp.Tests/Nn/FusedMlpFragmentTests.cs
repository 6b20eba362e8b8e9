using NgpSharp.Compute;
using Xunit;

namespace NgpSharp.Tests.Nn;

/// <summary>
/// CPU simulation of the tensor-core index maps of FullyFusedMlp.cu. A warp's ldmatrix.x4 (plain and .trans)
/// and mma.m16n8k16 are emulated from the PTX ISA tables (transcribed independently below), and driven with
/// exactly the kernel's address expressions (ff_tile_product) and epilogue mapping (FF_ACC_ROW/COL). If an
/// address or a fragment order in the kernel were wrong, the simulated tile products would not equal the plain
/// matrix products. Keep <see cref="TileProduct"/> in step with ff_tile_product.
/// </summary>
public class FusedMlpFragmentTests
{
    const int Skew = 8;

    // ---- PTX ISA 9.7.14.5.8 (mma.m16n8k16, .f16 A/B, .f32 C/D); g = lane >> 2, t = lane % 4 ----
    static (int Row, int Col) AElement(int lane, int i) =>
        ((lane >> 2) + ((i is >= 2 and < 4) || i >= 6 ? 8 : 0), (lane % 4) * 2 + (i & 1) + (i >= 4 ? 8 : 0));

    static (int Row, int Col) BElement(int lane, int i) => ((lane % 4) * 2 + (i & 1) + (i >= 2 ? 8 : 0), lane >> 2);

    static (int Row, int Col) CElement(int lane, int i) => ((lane >> 2) + (i >= 2 ? 8 : 0), (lane % 4) * 2 + (i & 1));

    /// <summary>D = A·B + C for one warp; a[lane][reg] = (lo, hi) f16x2 pairs, element 2·reg + half.</summary>
    static float[][] Mma(float[][][] a, float[][][] b, float[][] c)
    {
        var A = new float[16, 16];
        var B = new float[16, 8];
        for (int lane = 0; lane < 32; lane++)
        {
            for (int i = 0; i < 8; i++) { var (r, k) = AElement(lane, i); A[r, k] = a[lane][i / 2][i & 1]; }
            for (int i = 0; i < 4; i++) { var (k, n) = BElement(lane, i); B[k, n] = b[lane][i / 2][i & 1]; }
        }
        var d = new float[32][];
        for (int lane = 0; lane < 32; lane++)
        {
            d[lane] = new float[4];
            for (int i = 0; i < 4; i++)
            {
                var (r, n) = CElement(lane, i);
                float s = c[lane][i];
                for (int k = 0; k < 16; k++) s += A[r, k] * B[k, n];
                d[lane][i] = s;
            }
        }
        return d;
    }

    // ---- ldmatrix.sync.aligned.m8n8.x4(.trans).b16: lanes 8j..8j+7 address rows 0..7 of matrix j ----
    /// <summary>Result [lane][matrix j] = (lo, hi).</summary>
    static float[][][] LdMatrixX4(float[] smem, int[] rowAddress, bool trans)
    {
        var r = new float[32][][];
        for (int lane = 0; lane < 32; lane++)
        {
            r[lane] = new float[4][];
            for (int j = 0; j < 4; j++)
            {
                float At(int row, int col) => smem[rowAddress[8 * j + row] + col];
                r[lane][j] = trans
                    ? [At(2 * (lane % 4), lane / 4), At(2 * (lane % 4) + 1, lane / 4)]
                    : [At(lane / 4, 2 * (lane % 4)), At(lane / 4, 2 * (lane % 4) + 1)];
            }
        }
        return r;
    }

    /// <summary>The kernel's ff_tile_product: acc[lane][8] for output tile (rowTile, strip).</summary>
    static float[][] TileProduct(float[] smem, int actBase, int lda, int wBase, int ldw, int red, int rowTile, int strip, bool trans)
    {
        var acc = new float[32][];
        for (int lane = 0; lane < 32; lane++) acc[lane] = new float[8];
        for (int k0 = 0; k0 < red; k0 += 16)
        {
            var aAddr = new int[32];
            var bAddr = new int[32];
            for (int lane = 0; lane < 32; lane++)
            {
                int mrow = lane & 7, mj = lane >> 3;
                aAddr[lane] = actBase + (rowTile * 16 + mrow + (mj & 1) * 8) * lda + (mj >> 1) * 8 + k0;
                bAddr[lane] = !trans
                    ? wBase + (strip * 16 + mrow + (mj >> 1) * 8) * ldw + k0 + (mj & 1) * 8
                    : wBase + (k0 + mrow + (mj & 1) * 8) * ldw + strip * 16 + (mj >> 1) * 8;
            }
            var a = LdMatrixX4(smem, aAddr, trans: false);
            var bq = LdMatrixX4(smem, bAddr, trans);
            var b0 = new float[32][][];
            var b1 = new float[32][][];
            var lo = new float[32][];
            var hi = new float[32][];
            for (int lane = 0; lane < 32; lane++)
            {
                b0[lane] = [bq[lane][0], bq[lane][1]];
                b1[lane] = [bq[lane][2], bq[lane][3]];
                lo[lane] = acc[lane][..4];
                hi[lane] = acc[lane][4..];
            }
            lo = Mma(a, b0, lo);
            hi = Mma(a, b1, hi);
            for (int lane = 0; lane < 32; lane++) { lo[lane].CopyTo(acc[lane], 0); hi[lane].CopyTo(acc[lane], 4); }
        }
        return acc;
    }

    /// <summary>FF_ACC_ROW / FF_ACC_COL: acc[4h + 2r + e] is at tile row g + 8r, column 8h + 2t + e.</summary>
    static (int Row, int Col) AccPosition(int lane, int index) =>
        ((lane >> 2) + 8 * ((index >> 1) & 1), 8 * (index >> 2) + 2 * (lane & 3) + (index & 1));

    static float[] SmallIntegers(int count, ulong seed)
    {
        // Small integers: every product and sum is exact in float, so the comparison can be exact.
        var rng = new Rng(seed);
        var v = new float[count];
        for (int i = 0; i < count; i++) v[i] = (int)(rng.NextFloat() * 9) - 4;
        return v;
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(32, 64)]
    [InlineData(128, 16)]
    [InlineData(64, 128)]
    public void ForwardTilesEqualActivationsTimesWeightsTransposed(int k, int n)
    {
        // act [128, K] (row stride K + 8), W [N, K] (row stride K + 8): Y = act · Wᵀ.
        int lda = k + Skew, ldw = k + Skew, rows = 128, wBase = rows * lda;
        var smem = SmallIntegers(wBase + n * ldw, (ulong)(k * 1000 + n));
        for (int rowTile = 0; rowTile < rows / 16; rowTile++)
            for (int strip = 0; strip < n / 16; strip++)
            {
                var acc = TileProduct(smem, 0, lda, wBase, ldw, k, rowTile, strip, trans: false);
                for (int lane = 0; lane < 32; lane++)
                    for (int i = 0; i < 8; i++)
                    {
                        var (r, c) = AccPosition(lane, i);
                        int row = rowTile * 16 + r, col = strip * 16 + c;
                        float expected = 0;
                        for (int kk = 0; kk < k; kk++) expected += smem[row * lda + kk] * smem[wBase + col * ldw + kk];
                        Assert.Equal(expected, acc[lane][i]);
                    }
            }
    }

    [Theory]
    [InlineData(16, 16)]
    [InlineData(64, 32)]
    [InlineData(16, 128)]
    [InlineData(128, 128)]
    public void BackwardTilesEqualDeltaTimesWeights(int k, int n)
    {
        // δ [128, N] (row stride LDA), W [N, K] (row stride K + 8): dX = δ · W, [128, K].
        int lda = Math.Max(k, n) + Skew, ldw = k + Skew, rows = 128, wBase = rows * lda;
        var smem = SmallIntegers(wBase + n * ldw, (ulong)(k * 7 + n));
        for (int rowTile = 0; rowTile < rows / 16; rowTile++)
            for (int strip = 0; strip < k / 16; strip++)
            {
                var acc = TileProduct(smem, 0, lda, wBase, ldw, n, rowTile, strip, trans: true);
                for (int lane = 0; lane < 32; lane++)
                    for (int i = 0; i < 8; i++)
                    {
                        var (r, c) = AccPosition(lane, i);
                        int row = rowTile * 16 + r, col = strip * 16 + c;
                        float expected = 0;
                        for (int nn = 0; nn < n; nn++) expected += smem[row * lda + nn] * smem[wBase + nn * ldw + col];
                        Assert.Equal(expected, acc[lane][i]);
                    }
            }
    }

    [Fact]
    public void PtxTablesCoverEachTileElementOnce()
    {
        var a = new int[16, 16];
        var b = new int[16, 8];
        var c = new int[16, 8];
        for (int lane = 0; lane < 32; lane++)
        {
            for (int i = 0; i < 8; i++) { var (r, k) = AElement(lane, i); a[r, k]++; }
            for (int i = 0; i < 4; i++) { var (k, n) = BElement(lane, i); b[k, n]++; c[CElement(lane, i).Row, CElement(lane, i).Col]++; }
        }
        Assert.All(a.Cast<int>(), v => Assert.Equal(1, v));
        Assert.All(b.Cast<int>(), v => Assert.Equal(1, v));
        Assert.All(c.Cast<int>(), v => Assert.Equal(1, v));
    }

    [Fact]
    public void LdmatrixRowAddressesAre16ByteAlignedAndBankConflictFree()
    {
        // Row strides of the activation and weight tiles: (K + 8) halves for K ∈ {16, 32, 64, 128}.
        foreach (int k in new[] { 16, 32, 64, 128 })
        {
            int strideBytes = (k + Skew) * 2;
            Assert.Equal(0, strideBytes % 16);
            // One 8-row phase of ldmatrix reads 8 rows × 16 bytes: the 8 rows must hit 8 disjoint groups of 4 banks.
            var banks = new HashSet<int>();
            for (int row = 0; row < 8; row++)
                for (int w = 0; w < 4; w++) banks.Add((row * strideBytes / 4 + w) % 32);
            Assert.Equal(32, banks.Count);
        }
    }
}
