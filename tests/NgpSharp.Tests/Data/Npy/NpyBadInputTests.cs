using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NgpSharp.Data.Npy;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>Malformed .npy/.npz input: always an <see cref="NpyFormatException"/> naming the file (and entry) and the problem.</summary>
public class NpyBadInputTests
{
    static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>A format-1.0 file with the given header dictionary and data bytes.</summary>
    static byte[] NpyBytes(string dict, byte[] data, byte major = 1, byte minor = 0)
    {
        var header = Encoding.Latin1.GetBytes(dict + "\n");
        var ms = new MemoryStream();
        ms.Write(Magic);
        ms.Write([major, minor]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)header.Length));
        else ms.Write(BitConverter.GetBytes(header.Length));
        ms.Write(header);
        ms.Write(data);
        return ms.ToArray();
    }

    static NpyFormatException Fails(byte[] bytes, params string[] words) => Fails(new MemoryStream(bytes), words);

    static NpyFormatException Fails(Stream stream, params string[] words)
    {
        var e = Assert.Throws<NpyFormatException>(() => Npy.Read(stream, "bad.npy"));
        Assert.StartsWith("bad.npy: ", e.Message);
        foreach (var w in words) Assert.Contains(w, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Theory]
    [InlineData("i8_1d.npy", 12)]
    [InlineData("bool_2d.npy", 20)]
    [InlineData("f4_fortran.npy", 60)]
    public void EveryTruncationLengthIsReportedAsTruncated(string name, int length)
    {
        var bytes = File.ReadAllBytes(TestData.Path("npy", name));
        for (int n = 0; n < bytes.Length; n++)
        {
            Fails(bytes[..n], "truncated");
            Fails(new NonSeekableStream(bytes[..n]), "truncated");
        }
        Assert.Equal(length, Npy.Read(new NonSeekableStream(bytes), "whole").Length);
    }

    [Fact]
    public void EveryTruncationOfAnNpzIsAnError()
    {
        var bytes = File.ReadAllBytes(TestData.Path("npy", "mixed_compressed.npz"));
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = Assert.Throws<NpyFormatException>(() => Npz.Read(new MemoryStream(bytes[..n]), "cut.npz"));
            Assert.StartsWith("cut.npz", e.Message);
        }
    }

    [Fact]
    public void WrongMagicAndUnsupportedVersions()
    {
        Fails(Encoding.ASCII.GetBytes("PK\x03\x04 this is a zip, not an npy"), "not an .npy file", "wrong magic");
        Fails(NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8], major: 4), "version 4.0");
        Fails(NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8], minor: 1), "version 1.1");
    }

    [Theory]
    [InlineData("{'descr': '<f8', 'fortran_order': False}", "missing 'shape'")]
    [InlineData("{'fortran_order': False, 'shape': (1,)}", "missing 'descr'")]
    [InlineData("{'descr': '<f8', 'shape': (1,)}", "missing 'fortran_order'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'extra': 1}", "unexpected key 'extra'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'descr': '<f8'}", "duplicate key")]
    [InlineData("{'descr': '<f8', 'fortran_order': 'no', 'shape': (1,)}", "'fortran_order' must be True or False")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': 1}", "'shape' must be a tuple")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (-1,)}", "negative")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1.5,)}", "malformed number")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': ('a',)}", "shape[0] is 'a'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", "missing '}'")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)} x", "after the dictionary")]
    [InlineData("{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}", "expected ','")]
    [InlineData("{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", "bad header")]
    [InlineData("{'descr': eval('1'), 'fortran_order': False, 'shape': (1,)}", "unknown name 'eval'")]
    [InlineData("['descr', '<f8']", "expected a dictionary")]
    [InlineData("", "unexpected end of header")]
    [InlineData("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", "object arrays", "pickle")]
    [InlineData("{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '<c16' (complex)")]
    [InlineData("{'descr': '<U3', 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '<U3' (strings)")]
    [InlineData("{'descr': '<f16', 'fortran_order': False, 'shape': (1,)}", "unsupported dtype '<f16'")]
    [InlineData("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,)}", "structured dtypes")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999,)}", "absurd shape")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000, 100000)}", "absurd shape")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)}", "more than 64 items")]
    public void CorruptedHeaders(string dict, params string[] words) => Fails(NpyBytes(dict, new byte[8]), words);

    [Fact]
    public void HeaderLengthBeyondTheFileOrAbsurd()
    {
        var bytes = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8]);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), 60000);
        Fails(bytes, "truncated", "header needs 60010 bytes");
        var v2 = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", new byte[8], major: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(v2.AsSpan(8), 0xFFFFFFF0);
        Fails(v2, "header length 4294967280 bytes is absurd");
        Fails(new NonSeekableStream(v2), "absurd");
    }

    [Fact]
    public void ForgedShapesAreRefusedBeforeAllocating()
    {
        // 800 MB claimed, 16 bytes present: refused on a seekable stream by length, on a non-seekable one after ≤ 1 MiB
        var forged = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000,), }", new byte[16]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Fails(forged, "truncated", "needs 800000000 data bytes", "has 16");
        Fails(new NonSeekableStream(forged), "truncated", "needs 800000000 data bytes", "has 16");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 8 << 20, "a forged shape must not allocate its claimed size");
    }

    [Fact]
    public void HugeDimensionsWithAZeroAreAnEmptyArray()
    {
        var a = Npy.Read(new MemoryStream(NpyBytes("{'descr': '<f8', 'fortran_order': True, 'shape': (2000000000, 2000000000, 0), }", [])), "empty.npy");
        Assert.Equal([2000000000, 2000000000, 0], a.Shape);
        Assert.Equal(0, a.Length);
    }

    [Fact]
    public void DataBeyondTheShapeIsAnError()
    {
        var bytes = NpyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new byte[12]);
        Fails(bytes, "4 bytes after the array data");
        Fails(new NonSeekableStream(bytes), "bytes after the array data");
    }

    [Fact]
    public void NpyFileErrorsNameThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ngp-bad-{Guid.NewGuid():N}.npy");
        try
        {
            File.WriteAllBytes(path, NpyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
            var e = Assert.Throws<NpyFormatException>(() => Npy.Read(path));
            Assert.StartsWith(path + ": ", e.Message);
            Assert.Throws<FileNotFoundException>(() => Npy.Read(path + ".missing"));
        }
        finally { File.Delete(path); }
    }

    /// <summary>A zip with one entry per (name, bytes), stored or deflated.</summary>
    static byte[] Zip(bool deflate, params (string Name, byte[] Bytes)[] entries)
    {
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, bytes) in entries)
            {
                using var s = zip.CreateEntry(name, deflate ? CompressionLevel.Optimal : CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
        return ms.ToArray();
    }

    static NpyFormatException FailsNpz(byte[] zip, params string[] words)
    {
        var e = Assert.Throws<NpyFormatException>(() => Npz.Read(new MemoryStream(zip), "bad.npz"));
        Assert.StartsWith("bad.npz", e.Message);
        foreach (var w in words) Assert.Contains(w, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    /// <summary>Overwrites the uncompressed-size fields of every local and central header of a zip.</summary>
    static void ForgeUncompressedSize(byte[] zip, uint size)
    {
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (sig == 0x04034b50) BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 22), size);
            else if (sig == 0x02014b50) BinaryPrimitives.WriteUInt32LittleEndian(zip.AsSpan(i + 24), size);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZipBombishForgedSizesAreRefusedWithoutAllocatingThem(bool deflate)
    {
        // The array header claims 800 MB of doubles and the zip headers agree: only 16 bytes of data exist.
        var npy = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000,), }", new byte[16]);
        var zip = Zip(deflate, ("huge.npy", npy));
        ForgeUncompressedSize(zip, (uint)(npy.Length - 16 + 800_000_000));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<NpyFormatException>(() => Npz.Read(new MemoryStream(zip), "bomb.npz"));
        Assert.StartsWith("bomb.npz[huge.npy]: ", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("has 16", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a forged size must not be allocated");
    }

    [Fact]
    public void ZipSizeSmallerThanTheHeaderNeedsIsAnError()
    {
        var npy = NpyBytes("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", new byte[32]);
        var zip = Zip(true, ("a.npy", npy));
        ForgeUncompressedSize(zip, (uint)(npy.Length - 8));
        FailsNpz(zip, "bad.npz[a.npy]", "truncated", "needs 32 data bytes", "has 24");
    }

    [Fact]
    public void BadEntriesAreNamed()
    {
        var good = NpyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        var bad = NpyBytes("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]);
        FailsNpz(Zip(true, ("ok.npy", good), ("world_mat_3.npy", bad)), "bad.npz[world_mat_3.npy]", "object arrays");
        FailsNpz(Zip(false, ("a.npy", good), ("a.npy", good)), "'a.npy' twice");
        FailsNpz(Encoding.ASCII.GetBytes("definitely not a zip archive"), "not an .npz file");
        // non-.npy entries and folders are ignored
        var z = Npz.Read(new MemoryStream(Zip(false, ("README.txt", [1, 2, 3]), ("dir/", []), ("x.npy", good))), "ok.npz");
        Assert.Equal(["x"], z.Keys);
    }

    [Fact]
    public void UnsupportedCompressionMethodIsNamed()
    {
        var good = NpyBytes("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        var zip = Zip(false, ("a.npy", good));
        for (int i = 0; i + 4 <= zip.Length; i++)
        {
            uint sig = BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(i));
            if (sig == 0x04034b50) BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(i + 8), 12); // bzip2
            else if (sig == 0x02014b50) BinaryPrimitives.WriteUInt16LittleEndian(zip.AsSpan(i + 10), 12);
        }
        FailsNpz(zip, "bad.npz[a.npy]", "unsupported zip entry");
    }

    /// <summary>A read-only stream that cannot seek or tell its length (like a deflated zip entry).</summary>
    sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
