using System.Globalization;
using NgpSharp.Data.Npy;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>The arrays numpy 1.24.2 wrote in shared/data/npy, checked against every value its expected.txt lists.</summary>
public class NpyReferenceFileTests
{
    static string File(string name) => TestData.Path("npy", name);

    /// <summary>expected.txt: line "a (...)" is followed by the 60 values of a; "i8_1d:" and "bool_2d ...:" list theirs inline.</summary>
    static readonly Lazy<(double[] A, long[] I8, int[] Bool)> Expected = new(() =>
    {
        var lines = System.IO.File.ReadAllLines(File("expected.txt"));
        int aLine = Array.FindIndex(lines, l => l.StartsWith("a (", StringComparison.Ordinal));
        double[] a = lines[aLine + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        static string After(string line) => line[(line.IndexOf(':') + 1)..];
        long[] i8 = After(lines.Single(l => l.StartsWith("i8_1d:", StringComparison.Ordinal))).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        int[] b = After(lines.Single(l => l.StartsWith("bool_2d", StringComparison.Ordinal))).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        return (a, i8, b);
    });

    [Fact]
    public void ExpectedFileParsesToTheListedCounts()
    {
        var (a, i8, b) = Expected.Value;
        Assert.Equal(60, a.Length);
        Assert.Equal(12, i8.Length);
        Assert.Equal(20, b.Length);
    }

    [Theory]
    [InlineData("f8_c.npy")]
    [InlineData("f8_bigendian.npy")]
    public void Float64FilesHoldEveryValueExactly(string name)
    {
        var a = Npy.Read(File(name));
        Assert.Equal(NpyDType.Float64, a.DType);
        Assert.Equal([3, 4, 5], a.Shape);
        Assert.Equal(Expected.Value.A, a.ToDoubles());
        Assert.Equal(Expected.Value.A[1 * 20 + 2 * 5 + 3], a.GetDouble(1, 2, 3));
    }

    [Fact]
    public void FortranFloat32FileIsExposedInCOrder()
    {
        var a = Npy.Read(File("f4_fortran.npy"));
        Assert.Equal(NpyDType.Float32, a.DType);
        Assert.Equal([3, 4, 5], a.Shape);
        Assert.Equal(Expected.Value.A.Select(v => (float)v).ToArray(), a.ToArray<float>());
        Assert.Equal((float)Expected.Value.A[2 * 20 + 3 * 5 + 4], (float)a.GetDouble(2, 3, 4));
    }

    [Fact]
    public void Int64AndBoolFiles()
    {
        var i8 = Npy.Read(File("i8_1d.npy"));
        Assert.Equal(NpyDType.Int64, i8.DType);
        Assert.Equal([12], i8.Shape);
        Assert.Equal(Expected.Value.I8, i8.ToInt64s());
        Assert.Equal(Expected.Value.I8.Select(v => (int)v).ToArray(), i8.ToInt32s());

        var b = Npy.Read(File("bool_2d.npy"));
        Assert.Equal(NpyDType.Bool, b.DType);
        Assert.Equal([4, 5], b.Shape);
        Assert.Equal(Expected.Value.Bool.Select(v => v != 0).ToArray(), b.ToBooleans());
        // bool_2d is a[0] > 0
        Assert.Equal(Expected.Value.A.Take(20).Select(v => v > 0).ToArray(), b.ToBooleans());
    }

    [Theory]
    [InlineData("mixed.npz")]
    [InlineData("mixed_compressed.npz")]
    public void NpzArchivesStoredAndDeflated(string name)
    {
        var z = Npz.Read(File(name));
        Assert.Equal(["a", "b", "c"], z.Keys.Order());
        Assert.Equal(Expected.Value.A, z["a"].ToDoubles());
        Assert.Equal([3, 4, 5], z["a"].Shape);
        Assert.Equal(NpyDType.Int32, z["b"].DType);
        Assert.Equal(Enumerable.Range(0, 10).ToArray(), z["b"].ToArray<int>());
        Assert.Equal(System.Numerics.Matrix4x4.Identity, z["c"].ToMatrix4x4());
    }

    [Theory]
    [InlineData("chessboard_GRAY_U8", new[] { 200, 200 }, 5_100_000L)]
    [InlineData("chessboard_RGB_U8", new[] { 200, 200, 3 }, 15_300_000L)]
    public void ScikitImageChessboards(string name, int[] shape, long sum)
    {
        var npy = Npy.Read(File(name + ".npy")); // a 2011 header padded to 16 bytes, not 64
        Assert.Equal(NpyDType.UInt8, npy.DType);
        Assert.Equal(shape, npy.Shape);
        var pixels = npy.ToArray<byte>();
        Assert.Equal(sum, pixels.Sum(p => (long)p));
        Assert.Equal(new byte[] { 0, 44, 50, 80, 175, 205, 211, 255 }, pixels.Distinct().Order().ToArray());
        int c = shape.Length == 3 ? 3 : 1;
        Assert.Equal(255, pixels[(0 * 200 + 0) * c]);
        Assert.Equal(50, pixels[(100 * 200 + 37) * c]);
        var npz = Npz.Read(File(name + ".npz"));
        Assert.Equal(["arr_0"], npz.Keys);
        Assert.Equal(pixels, npz["arr_0"].ToArray<byte>());
    }
}
