using System.Numerics;
using NgpSharp.Data.Npy;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>Writer → reader round trips for every dtype, both memory orders and byte orders, 0-d and empty arrays.</summary>
public class NpyRoundTripTests
{
    static NpyArray RoundTrip(NpyArray a, bool fortran = false, bool big = false)
    {
        var ms = new MemoryStream();
        Npy.Write(ms, a, fortran, big);
        ms.Position = 0;
        return Npy.Read(ms, "round-trip");
    }

    public static TheoryData<string, bool, bool> Cases()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (var d in NpyDType.All)
            foreach (bool fortran in new[] { false, true })
                foreach (bool big in new[] { false, true })
                    data.Add(d.Name, fortran, big);
        return data;
    }

    /// <summary>An array of the named dtype, shape (2, 3, 4), element i = a value that depends on i and survives the type.</summary>
    static NpyArray Sample(string dtype)
    {
        int[] shape = [2, 3, 4];
        var i = Enumerable.Range(0, 24).ToArray();
        return dtype switch
        {
            "f2" => NpyArray.Create<Half>(i.Select(v => (Half)(v * 0.25 - 2)).ToArray(), shape),
            "f4" => NpyArray.Create<float>(i.Select(v => v * 0.1f - 1.3f).ToArray(), shape),
            "f8" => NpyArray.Create<double>(i.Select(v => Math.PI * v - 7).ToArray(), shape),
            "i1" => NpyArray.Create<sbyte>(i.Select(v => (sbyte)(v * 11 - 128)).ToArray(), shape),
            "i2" => NpyArray.Create<short>(i.Select(v => (short)(v * 1000 - 12000)).ToArray(), shape),
            "i4" => NpyArray.Create<int>(i.Select(v => v * 100_000_000 - 1_200_000_000).ToArray(), shape),
            "i8" => NpyArray.Create<long>(i.Select(v => v * (1L << 40) - (1L << 62)).ToArray(), shape),
            "u1" => NpyArray.Create<byte>(i.Select(v => (byte)(v * 11)).ToArray(), shape),
            "u2" => NpyArray.Create<ushort>(i.Select(v => (ushort)(v * 2800)).ToArray(), shape),
            "u4" => NpyArray.Create<uint>(i.Select(v => (uint)v * 180_000_000u).ToArray(), shape),
            "u8" => NpyArray.Create<ulong>(i.Select(v => (ulong)v * (1UL << 59)).ToArray(), shape),
            "b1" => NpyArray.Create<bool>(i.Select(v => v % 3 == 0).ToArray(), shape),
            _ => throw new ArgumentException(dtype),
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryDTypeOrderAndByteOrder(string dtype, bool fortran, bool big)
    {
        var a = Sample(dtype);
        var back = RoundTrip(a, fortran, big);
        Assert.Equal(a.DType, back.DType);
        Assert.Equal(a.Shape, back.Shape);
        Assert.Equal(a.RawBytes.ToArray(), back.RawBytes.ToArray());
        Assert.Equal(a.ToDoubles(), back.ToDoubles());
    }

    [Fact]
    public void FortranFileBytesAreTransposed()
    {
        // (2, 3) C order 0 1 2 / 3 4 5 is stored in Fortran order as 0 3 1 4 2 5
        var a = NpyArray.Create<int>([0, 1, 2, 3, 4, 5], 2, 3);
        var ms = new MemoryStream();
        Npy.Write(ms, a, fortranOrder: true);
        var bytes = ms.ToArray();
        int dataStart = 10 + (bytes[8] | bytes[9] << 8);
        Assert.Equal(0, dataStart % 64);
        Assert.Equal(dataStart + 24, bytes.Length);
        var stored = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(bytes.AsSpan(dataStart)).ToArray();
        Assert.Equal([0, 3, 1, 4, 2, 5], stored);
        string header = System.Text.Encoding.Latin1.GetString(bytes, 10, dataStart - 10);
        Assert.StartsWith("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", header);
        Assert.EndsWith("\n", header);
    }

    [Fact]
    public void BigEndianBytesAreSwapped()
    {
        var ms = new MemoryStream();
        Npy.Write(ms, NpyArray.Create<int>([0x01020304], 1), bigEndian: true);
        var bytes = ms.ToArray();
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, bytes[^4..]);
        Assert.Contains("'>i4'", System.Text.Encoding.Latin1.GetString(bytes));
    }

    [Fact]
    public void ZeroDimensionalAndEmptyArrays()
    {
        var scalar = RoundTrip(NpyArray.Scalar(2.5));
        Assert.Empty(scalar.Shape);
        Assert.Equal(1, scalar.Length);
        Assert.Equal(2.5, scalar.GetDouble());
        Assert.Equal([2.5], scalar.ToDoubles());

        foreach (int[] shape in new[] { new[] { 0 }, new[] { 3, 0 }, new[] { 0, 5, 2 } })
        {
            var empty = RoundTrip(NpyArray.Create<float>([], shape), fortran: true);
            Assert.Equal(shape, empty.Shape);
            Assert.Equal(0, empty.Length);
            Assert.Empty(empty.ToFloats());
        }
    }

    [Fact]
    public void HeaderIsPaddedTo64BytesAndUsesFormat1()
    {
        var ms = new MemoryStream();
        Npy.Write(ms, NpyArray.Create<double>(new double[7], 7));
        var bytes = ms.ToArray();
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
        int headerLength = bytes[8] | bytes[9] << 8;
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Contains("'shape': (7,)", System.Text.Encoding.Latin1.GetString(bytes, 10, headerLength));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Version2And3HeadersAreRead(int major)
    {
        // hand-made: 4-byte header length (format 3.0 differs only in decoding the header as UTF-8)
        var headerBytes = System.Text.Encoding.Latin1.GetBytes("{'descr': '<i2', 'fortran_order': False, 'shape': (3,), }   \n");
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        ms.Write(BitConverter.GetBytes(headerBytes.Length));
        ms.Write(headerBytes);
        ms.Write(new byte[] { 1, 0, 0xFF, 0xFF, 0x00, 0x80 });
        ms.Position = 0;
        Assert.Equal([1, -1, short.MinValue], Npy.Read(ms, "v.npy").ToArray<short>());
    }

    [Fact]
    public void DoubleQuotesPython2LongsAndAnyKeyOrderAreAccepted()
    {
        string dict = "{\"descr\": \"<u2\", \"shape\": (2L,), \"fortran_order\": False}\n"; // double quotes, Python 2 'L', any key order
        var headerBytes = System.Text.Encoding.UTF8.GetBytes(dict);
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 3, 0]);
        ms.Write(BitConverter.GetBytes(headerBytes.Length));
        ms.Write(headerBytes);
        ms.Write(new byte[] { 7, 0, 0, 1 });
        ms.Position = 0;
        Assert.Equal(new ushort[] { 7, 256 }, Npy.Read(ms, "v3.npy").ToArray<ushort>());
    }

    [Fact]
    public void NpzRoundTripStoredAndDeflated()
    {
        var arrays = new Dictionary<string, NpyArray>
        {
            ["world_mat_0"] = NpyArray.Create<double>(Enumerable.Range(0, 16).Select(v => v * 0.5).ToArray(), 4, 4),
            ["labels"] = NpyArray.Create<byte>(new byte[1000], 10, 100),
            ["scalar"] = NpyArray.Scalar(7L),
        };
        foreach (bool compressed in new[] { false, true })
        {
            string path = Path.Combine(Path.GetTempPath(), $"ngp-npz-{Guid.NewGuid():N}.npz");
            try
            {
                Npz.Write(path, arrays, compressed);
                using (var zip = System.IO.Compression.ZipFile.OpenRead(path))
                {
                    Assert.Equal(["world_mat_0.npy", "labels.npy", "scalar.npy"], zip.Entries.Select(e => e.FullName));
                    var labels = zip.GetEntry("labels.npy")!;
                    if (compressed) Assert.True(labels.CompressedLength < labels.Length / 4);
                    else Assert.Equal(labels.Length, labels.CompressedLength);
                }
                var back = Npz.Read(path);
                Assert.Equal(arrays.Keys, back.Keys);
                var m = back["world_mat_0"].ToMatrix4x4();
                Assert.Equal(new Matrix4x4(0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7, 7.5f), m);
                Assert.Equal(arrays["labels"].RawBytes.ToArray(), back["labels"].RawBytes.ToArray());
                Assert.Equal(7L, back["scalar"].ToInt64s().Single());
            }
            finally { File.Delete(path); }
        }
    }

    [Fact]
    public void ConversionsAndTheirRefusals()
    {
        var f = NpyArray.Create<double>([1.5, -2], 2);
        Assert.Equal([1.5f, -2f], f.ToFloats());
        Assert.Throws<InvalidOperationException>(() => f.ToInt64s());
        Assert.Throws<InvalidOperationException>(() => f.ToArray<float>());
        Assert.Throws<InvalidOperationException>(() => f.ToMatrix4x4());
        Assert.Throws<ArgumentOutOfRangeException>(() => f.GetDouble(2));
        Assert.Throws<ArgumentException>(() => f.GetDouble(0, 0));
        var big = NpyArray.Create<ulong>([ulong.MaxValue], 1);
        Assert.Equal((double)ulong.MaxValue, big.ToDoubles()[0]);
        Assert.Throws<InvalidOperationException>(() => big.ToInt64s());
        Assert.Throws<InvalidOperationException>(() => NpyArray.Create<long>([1L << 40], 1).ToInt32s());
        Assert.Equal([1, 0, 1], NpyArray.Create<bool>([true, false, true], 3).ToInt32s());
        Assert.Throws<ArgumentException>(() => NpyArray.Create<int>([1, 2, 3], 2, 2));
        Assert.Throws<NotSupportedException>(() => NpyArray.Create<decimal>([1m], 1));
    }
}
