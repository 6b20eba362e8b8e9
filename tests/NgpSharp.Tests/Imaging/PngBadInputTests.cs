using System.Buffers.Binary;
using System.Diagnostics;
using NgpSharp.Compute;
using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Imaging;

/// <summary>Malformed input: always an <see cref="ImageFormatException"/> naming the source and the problem.</summary>
public class PngBadInputTests
{
    const string Source = "bad.png";

    static ImageFormatException Fails(byte[] file, string expectedWords)
    {
        var e = Assert.Throws<ImageFormatException>(() => Png.DecodeRaw(file, Source));
        Assert.StartsWith(Source + ":", e.Message);
        Assert.Contains(expectedWords, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    static byte[] Ihdr(uint w, uint h, byte depth, byte colorType, byte interlace = 0)
    {
        var body = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(body, w);
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), h);
        body[8] = depth;
        body[9] = colorType;
        body[12] = interlace;
        return body;
    }

    /// <summary>A 4×3 RGB 8-bit file with the given raw (filter byte + row) stream.</summary>
    static byte[] RgbFile(byte[] rawRows, params (string, byte[])[] before) =>
        SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 2)), .. before, ("IDAT", SyntheticPng.Compress(rawRows)), ("IEND", [])]);

    static byte[] SmallValidFile()
    {
        var rng = new Rng(1, 1);
        var samples = Enumerable.Range(0, 6 * 5 * 2).Select(_ => (ushort)(rng.NextUInt() & 255)).ToArray();
        return SyntheticPng.Build(6, 5, 4, 8, samples, true, r => r % 5, ("tEXt", "k\0v"u8.ToArray()));
    }

    [Fact]
    public void WrongSignature()
    {
        var file = SmallValidFile();
        file[1] = (byte)'J';
        Fails(file, "signature");
        Fails("GIF89a.........."u8.ToArray(), "signature");
        Fails([], "not a PNG");
    }

    [Fact]
    public void EveryPrefix_OfValidFiles_IsAFormatError()
    {
        foreach (var file in new[] { SmallValidFile(), File.ReadAllBytes(TestData.Path("images", "foo3x5x4indexed.png")) })
        {
            Png.DecodeRaw(file, Source); // the whole file is fine
            for (int length = 0; length < file.Length; length++)
            {
                var e = Assert.Throws<ImageFormatException>(() => Png.DecodeRaw(file.AsSpan(0, length), Source));
                Assert.StartsWith(Source + ":", e.Message);
            }
        }
    }

    [Fact]
    public void EveryChunkCrc_IsChecked()
    {
        var good = SmallValidFile();
        foreach (var (offset, type, length) in SyntheticPng.Chunks(good))
        {
            var file = (byte[])good.Clone();
            file[offset + 8 + length + 3] ^= 0x01; // last byte of the stored CRC
            var e = Fails(file, "CRC");
            Assert.Contains(type, e.Message);
            file = (byte[])good.Clone();
            if (length > 0)
            {
                file[offset + 8] ^= 0x80; // data byte changed, CRC left stale
                Fails(file, "CRC");
            }
        }
    }

    [Fact]
    public void RandomCorruption_WithValidCrcs_NeverThrowsAnythingElse()
    {
        var good = SmallValidFile();
        var chunks = SyntheticPng.Chunks(good);
        var rng = new Rng(99, 5);
        int formatErrors = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            var file = (byte[])good.Clone();
            var (offset, _, length) = chunks[(int)(rng.NextUInt() % (uint)chunks.Count)];
            if (length == 0) continue;
            int flips = 1 + (int)(rng.NextUInt() % 3);
            for (int f = 0; f < flips; f++) file[offset + 8 + (int)(rng.NextUInt() % (uint)length)] ^= (byte)(1 << (int)(rng.NextUInt() % 8));
            SyntheticPng.FixCrc(file, offset);
            try { Png.DecodeRaw(file, Source); }
            catch (ImageFormatException e) { Assert.StartsWith(Source + ":", e.Message); formatErrors++; }
        }
        Assert.True(formatErrors > 100, $"only {formatErrors} corruptions were detected");
    }

    [Theory]
    [InlineData(0u, 10u, "width and height must be positive")]
    [InlineData(10u, 0u, "width and height must be positive")]
    [InlineData((1u << 24) + 1, 1u, "absurd")]
    [InlineData(1u, 0xFFFFFFFFu, "absurd")]
    [InlineData(1u << 24, 1u << 24, "refusing")]        // valid per side, but 2^48 pixels
    [InlineData(1u << 15, 1u << 15, "refusing")]        // 2^30 pixels × 3 channels
    [InlineData(1u << 14, 1u << 14, "truncated")]       // 2^28 pixels within limits, but the IDAT is tiny
    public void AbsurdSizes_FailFast_WithoutAllocating(uint w, uint h, string words)
    {
        var file = SyntheticPng.Assemble([("IHDR", Ihdr(w, h, 8, 2)), ("IDAT", SyntheticPng.Compress(new byte[100])), ("IEND", [])]);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        Fails(file, words);
        Assert.True(sw.ElapsedMilliseconds < 10_000, $"took {sw.ElapsedMilliseconds} ms"); // a hang guard; the memory bound is the real check
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated more than 1 MiB before refusing");
    }

    [Theory]
    [InlineData(4, 2)] [InlineData(3, 2)] [InlineData(16, 3)] [InlineData(1, 2)] [InlineData(2, 4)] [InlineData(4, 6)] [InlineData(8, 5)] [InlineData(8, 7)]
    public void InvalidBitDepthColourTypeCombination(byte depth, byte colorType)
    {
        var file = SyntheticPng.Assemble([("IHDR", Ihdr(2, 2, depth, colorType)), ("IDAT", SyntheticPng.Compress(new byte[40])), ("IEND", [])]);
        Fails(file, colorType is 5 or 7 ? "colour type" : "bit depth");
    }

    [Fact]
    public void BadFilterType()
    {
        var rows = new byte[3 * 13];
        rows[13] = 5; // second row: filter 5 does not exist
        var e = Fails(RgbFile(rows), "filter type 5");
        Assert.Contains("row 1", e.Message);
    }

    [Fact]
    public void TooLittleImageData_IsTruncated()
    {
        Fails(RgbFile(new byte[2 * 13 + 5]), "truncated");
        Fails(RgbFile([]), "truncated");
    }

    [Fact]
    public void CorruptZlibStream()
    {
        var file = SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 2)), ("IDAT", [0x78, 0x9C, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x12]), ("IEND", [])]);
        Assert.Throws<ImageFormatException>(() => Png.DecodeRaw(file, Source));
        var header = SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 2)), ("IDAT", [0x12, 0x34, 0x56, 0x78]), ("IEND", [])]);
        Fails(header, "zlib");
    }

    [Fact]
    public void MissingChunks()
    {
        var rows = new byte[3 * 13];
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 2)), ("IEND", [])]), "no IDAT");
        Fails(SyntheticPng.Assemble([("IDAT", SyntheticPng.Compress(rows)), ("IEND", [])]), "expected IHDR");
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 2)), ("IDAT", SyntheticPng.Compress(rows))]), "IEND");
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 3)), ("IDAT", SyntheticPng.Compress(rows)), ("IEND", [])]), "PLTE");
        Fails(RgbFile(rows, ("XyZw", [1, 2])), "unknown critical chunk XyZw");
        Png.DecodeRaw(RgbFile(rows, ("zzZZ", [1, 2])), Source); // unknown ancillary: skipped
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(4, 3, 8, 2)[..12]), ("IDAT", SyntheticPng.Compress(rows)), ("IEND", [])]), "IHDR chunk has 12 bytes");
    }

    [Fact]
    public void ChunkLengthBeyondFile_IsTruncated()
    {
        var file = SmallValidFile();
        var (offset, _, _) = SyntheticPng.Chunks(file)[1];
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(offset), 0x7FFFFFF0);
        Fails(file, "truncated");
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(offset), 0xFFFFFFF0);
        Fails(file, "invalid length");
    }

    [Fact]
    public void PaletteIndexOutOfRange()
    {
        // 2×1, 8-bit indices 1 and 3 into a 2-entry palette.
        var file = SyntheticPng.Assemble([("IHDR", Ihdr(2, 1, 8, 3)), ("PLTE", [1, 2, 3, 4, 5, 6]),
            ("IDAT", SyntheticPng.Compress([0, 1, 3])), ("IEND", [])]);
        Fails(file, "palette index 3 out of range");
    }

    [Fact]
    public void BadPaletteAndTransparencyChunks()
    {
        var rows = new byte[] { 0, 0, 0 };
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(2, 1, 8, 3)), ("PLTE", [1, 2, 3, 4]), ("IDAT", SyntheticPng.Compress(rows)), ("IEND", [])]), "PLTE chunk has 4 bytes");
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(2, 1, 8, 3)), ("PLTE", [1, 2, 3]), ("tRNS", [1, 2]), ("IDAT", SyntheticPng.Compress(rows)), ("IEND", [])]), "tRNS has 2 entries");
        Fails(SyntheticPng.Assemble([("IHDR", Ihdr(2, 1, 8, 3)), ("tRNS", [1]), ("PLTE", [1, 2, 3]), ("IDAT", SyntheticPng.Compress(rows)), ("IEND", [])]), "tRNS chunk before PLTE");
        Fails(RgbFile(new byte[39], ("tRNS", [0, 1])), "tRNS for an RGB image has 2 bytes");
    }

    [Fact]
    public void MissingFile_NamesThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "missing.png");
        var e = Assert.ThrowsAny<IOException>(() => Png.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ReadErrors_StartWithThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "ngp-bad-" + Guid.NewGuid().ToString("N") + ".png");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        try
        {
            var e = Assert.Throws<ImageFormatException>(() => Png.Read(path));
            Assert.StartsWith(path + ":", e.Message);
        }
        finally { File.Delete(path); }
    }
}
