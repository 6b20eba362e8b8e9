using System.Diagnostics;
using System.Security.Cryptography;
using NgpSharp.Compute;
using NgpSharp.Imaging;
using NgpSharp.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Imaging;

/// <summary>
/// JPEG decoding against libjpeg-turbo's own output (<c>djpeg -dct int -nosmooth</c>), EXIF orientation, and
/// robustness: every truncation, random corruption, unsupported processes and malformed headers must end in
/// an <see cref="ImageFormatException"/> naming the source, never another exception or a hang.
/// </summary>
public class JpegTests(ITestOutputHelper output)
{
    static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "Imaging", "JpegSamples", name);

    static byte[] Decode(byte[] data, string name, out int w, out int h, out int c) =>
        Jpeg.DecodeToBytes(data, name, out w, out h, out c);

    (int Max, double Mean) Compare(string name, byte[] actual, byte[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        int max = 0; long sum = 0;
        for (int i = 0; i < actual.Length; i++) { int d = Math.Abs(actual[i] - expected[i]); max = Math.Max(max, d); sum += d; }
        double mean = (double)sum / actual.Length;
        output.WriteLine($"{name}: max abs diff {max}, mean abs diff {mean:F5}");
        return (max, mean);
    }

    [Theory]
    [InlineData("astronaut_444")]
    [InlineData("astronaut_gray")]
    [InlineData("astronaut_progressive")]
    [InlineData("astronaut_restart")]
    [InlineData("astronaut_420")]
    [InlineData("astronaut_422")]
    public void SharedAstronauts_MatchDjpegExactly(string name)
    {
        var reference = MiniPng.Read(TestData.Path("images", name + ".djpeg.png"), out int rw, out int rh, out int rc);
        var bytes = Decode(File.ReadAllBytes(TestData.Path("images", name + ".jpg")), name, out int w, out int h, out int c);
        Assert.Equal((rw, rh, rc), (w, h, c));
        Assert.Equal(0, Compare(name, bytes, reference).Max);
    }

    [Theory]
    [InlineData("s420")]
    [InlineData("s422")]
    [InlineData("s440")]
    [InlineData("s444")]
    [InlineData("s411")]
    [InlineData("s_cb2x2")]
    [InlineData("gray")]
    [InlineData("rgb")]
    [InlineData("prog420")]
    [InlineData("prog444_rst")]
    [InlineData("proggray")]
    [InlineData("rst422")]
    [InlineData("rstgray")]
    [InlineData("seq_noninterleaved")]
    public void OddSizeSamples_MatchDjpegExactly(string name)
    {
        var reference = ReadPnm(Sample(name + ".pnm"), out int rw, out int rh, out int rc);
        var bytes = Decode(File.ReadAllBytes(Sample(name + ".jpg")), name, out int w, out int h, out int c);
        Assert.Equal((37, 23), (w, h));
        Assert.Equal((rw, rh, rc), (w, h, c));
        Assert.Equal(0, Compare(name, bytes, reference).Max);
    }

    [Fact]
    public void HubbleDeepField_HasSofSize_AndMatchesDjpegOutputHash()
    {
        var image = Jpeg.Read(TestData.Path("images", "hubble_deep_field.jpg"));
        Assert.Equal((1000, 872, 3), (image.Width, image.Height, image.Channels)); // SOF0: 1000×872, 3 components
        Assert.InRange(image.Data.Min(), 0f, 0.05f);
        Assert.InRange(image.Data.Max(), 0.95f, 1f);
        var bytes = Decode(File.ReadAllBytes(TestData.Path("images", "hubble_deep_field.jpg")), "hubble", out _, out _, out _);
        // SHA-256 of libjpeg-turbo 2.1.5 `djpeg -dct int -nosmooth -pnm` pixel bytes (Adobe APP14 transform 1, EXIF orientation 1).
        Assert.Equal("9a3ea9548188f81e63435188456e74de45a981ebeb791e265abe79a26d3b528b", Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    [Fact]
    public void Decode_GivesBytesOver255_AsImage()
    {
        var data = File.ReadAllBytes(Sample("s420.jpg"));
        var bytes = Decode(data, "s420", out int w, out int h, out int c);
        var image = Jpeg.Decode(data, "s420");
        Assert.Equal((w, h, c), (image.Width, image.Height, image.Channels));
        for (int i = 0; i < bytes.Length; i++) Assert.Equal(bytes[i] / 255f, image.Data[i]);
        Assert.Equal(1, Jpeg.Decode(File.ReadAllBytes(Sample("gray.jpg")), "gray").Channels);
    }

    [Theory]
    [InlineData(1, true)] [InlineData(2, true)] [InlineData(3, true)] [InlineData(4, true)]
    [InlineData(5, true)] [InlineData(6, true)] [InlineData(7, true)] [InlineData(8, true)]
    [InlineData(3, false)] [InlineData(6, false)] [InlineData(8, false)]
    public void ExifOrientation_IsApplied(int orientation, bool littleEndian)
    {
        var plain = File.ReadAllBytes(Sample("s444.jpg"));
        var stored = Decode(plain, "plain", out int w, out int h, out int c);
        var tagged = Decode(InsertAfterSoi(plain, ExifSegment(orientation, littleEndian)), "tagged", out int ow, out int oh, out int oc);
        Assert.Equal(c, oc);
        Assert.Equal(orientation >= 5 ? (h, w) : (w, h), (ow, oh));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                // Where stored pixel (x, y) is displayed (EXIF: row 0 / column 0 of the stored image → visual side).
                (int dx, int dy) = orientation switch
                {
                    1 => (x, y), 2 => (w - 1 - x, y), 3 => (w - 1 - x, h - 1 - y), 4 => (x, h - 1 - y),
                    5 => (y, x), 6 => (h - 1 - y, x), 7 => (h - 1 - y, w - 1 - x), _ => (y, w - 1 - x),
                };
                for (int k = 0; k < c; k++) Assert.Equal(stored[(y * w + x) * c + k], tagged[(dy * ow + dx) * c + k]);
            }
        var unrotated = Jpeg.DecodeToBytes(InsertAfterSoi(plain, ExifSegment(orientation, littleEndian)), "t", out int uw, out _, out _, applyOrientation: false);
        Assert.Equal(w, uw);
        Assert.Equal(stored, unrotated);
    }

    [Fact]
    public void MalformedExif_IsIgnored()
    {
        var plain = File.ReadAllBytes(Sample("s444.jpg"));
        var expected = Decode(plain, "plain", out int w, out int h, out _);
        var exif = ExifSegment(6, true);
        var truncatedIfd = exif[..^10];
        truncatedIfd[2] = 0; truncatedIfd[3] = (byte)(truncatedIfd.Length - 2);
        var badOffset = (byte[])exif.Clone();
        badOffset[14] = 0xF0; // IFD0 offset far past the segment
        foreach (var seg in new[] { truncatedIfd, badOffset })
        {
            var got = Decode(InsertAfterSoi(plain, seg), "bad-exif", out int gw, out int gh, out _);
            Assert.Equal((w, h), (gw, gh));
            Assert.Equal(expected, got);
        }
    }

    [Theory]
    [InlineData("s420.jpg")]
    [InlineData("prog420.jpg")]
    [InlineData("rst422.jpg")]
    [InlineData("prog444_rst.jpg")]
    [InlineData("seq_noninterleaved.jpg")]
    public void EveryTruncation_ThrowsImageFormatException(string name)
    {
        // Policy: truncated data is an error, never a partially grey image. The only accepted shortening is a
        // sequential file missing just its EOI marker, which decodes to the full image.
        var data = File.ReadAllBytes(Sample(name));
        var full = Decode(data, name, out _, out _, out _);
        bool progressive = name.StartsWith("prog");
        var clock = Stopwatch.StartNew();
        for (int length = 0; length < data.Length; length++)
        {
            string source = $"{name}[..{length}]";
            var cut = data[..length];
            if (!progressive && length >= data.Length - 2)
            {
                Assert.Equal(full, Decode(cut, source, out _, out _, out _));
                continue;
            }
            var e = Assert.Throws<ImageFormatException>(() => Decode(cut, source, out _, out _, out _));
            Assert.StartsWith(source + ": ", e.Message);
        }
        Assert.True(clock.Elapsed.TotalSeconds < 30 /* a hang guard, not a speed claim */, $"{data.Length} truncations took {clock.Elapsed}");
    }

    [Theory]
    [InlineData("s420.jpg", false)]
    [InlineData("prog420.jpg", false)]
    [InlineData("rst422.jpg", false)]
    [InlineData("s420.jpg", true)]
    [InlineData("prog444_rst.jpg", true)]
    public void RandomCorruption_EndsInImageOrImageFormatException(string name, bool anywhere)
    {
        var data = File.ReadAllBytes(Sample(name));
        int firstScan = FindSegment(data, 0xDA) + 2 + (data[FindSegment(data, 0xDA) + 2] << 8 | data[FindSegment(data, 0xDA) + 3]);
        int from = anywhere ? 2 : firstScan;
        var rng = new Rng(1234, (ulong)name.Length);
        int images = 0, errors = 0;
        var clock = Stopwatch.StartNew();
        for (int trial = 0; trial < 400; trial++)
        {
            var bad = (byte[])data.Clone();
            int flips = 1 + (int)(rng.NextUInt() % 4);
            for (int f = 0; f < flips; f++)
                bad[from + (int)(rng.NextUInt() % (uint)(data.Length - 2 - from))] ^= (byte)(1 + rng.NextUInt() % 255);
            try { Decode(bad, "fuzz", out _, out _, out _); images++; }
            catch (ImageFormatException e) { Assert.StartsWith("fuzz: ", e.Message); errors++; }
        }
        output.WriteLine($"{name} ({(anywhere ? "anywhere" : "entropy data")}): {images} decoded, {errors} refused in {clock.ElapsedMilliseconds} ms");
        Assert.True(clock.Elapsed.TotalSeconds < 30 /* a hang guard, not a speed claim */);
    }

    [Fact]
    public void LargeProgressive_WithCorruptEntropyData_Terminates()
    {
        var data = File.ReadAllBytes(TestData.Path("images", "astronaut_progressive.jpg"));
        var rng = new Rng(99, 1);
        var clock = Stopwatch.StartNew();
        for (int trial = 0; trial < 10; trial++)
        {
            var bad = (byte[])data.Clone();
            for (int f = 0; f < 20; f++) bad[2000 + (int)(rng.NextUInt() % (uint)(data.Length - 2002))] = (byte)rng.NextUInt();
            try { Decode(bad, "fuzz", out _, out _, out _); } catch (ImageFormatException) { }
        }
        Assert.True(clock.Elapsed.TotalSeconds < 30 /* a hang guard, not a speed claim */);
    }

    [Fact]
    public void NotAJpeg_Refused()
    {
        var png = File.ReadAllBytes(TestData.Path("images", "camera.png"));
        Assert.False(Jpeg.IsJpeg(png));
        Assert.True(Jpeg.IsJpeg(File.ReadAllBytes(Sample("s420.jpg"))));
        var e = Assert.Throws<ImageFormatException>(() => Jpeg.Decode(png, "camera.png"));
        Assert.Equal("camera.png: not a JPEG file (missing SOI marker)", e.Message);
        Assert.Throws<ImageFormatException>(() => Jpeg.Decode([], "empty"));
    }

    [Fact]
    public void MissingFile_ThrowsFileNotFound_NamingIt()
    {
        string path = Path.Combine(Path.GetTempPath(), "ngp-no-such-file.jpg");
        var e = Assert.Throws<FileNotFoundException>(() => Jpeg.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ArithmeticCoding_Refused()
    {
        var e = Assert.Throws<ImageFormatException>(() => Jpeg.Decode(File.ReadAllBytes(Sample("arith.jpg")), "arith.jpg"));
        Assert.Equal("arith.jpg: arithmetic-coded JPEG is not supported", e.Message);
    }

    public static TheoryData<string, string> HeaderDamage => new()
    {
        { "lossless", "lossless JPEG (SOF3) is not supported" },
        { "12-bit", "12-bit JPEG is not supported" },
        { "zero-width", "image width is 0" },
        { "zero-height", "height is 0" },
        { "huge", "larger than the" },
        { "big-for-its-data", "truncated JPEG" },
        { "missing-quant", "quantization table 3, which is not defined" },
        { "missing-huffman", "Huffman table 2, which is not defined" },
        { "overfull-huffman", "overfull" },
        { "bad-marker", "bad marker 0xFF02" },
        { "sos-before-sof", "scan (SOS) before the frame header" },
        { "fractional-sampling", "fractional sampling" },
    };

    [Theory]
    [MemberData(nameof(HeaderDamage))]
    public void DamagedHeaders_Refused(string damage, string expected)
    {
        var d = File.ReadAllBytes(Sample("s420.jpg"));
        int sof = FindSegment(d, 0xC0), sos = FindSegment(d, 0xDA), dht = FindSegment(d, 0xC4);
        switch (damage)
        {
            case "lossless": d[sof + 1] = 0xC3; break;
            case "12-bit": d[sof + 4] = 12; break;
            case "zero-width": d[sof + 7] = 0; d[sof + 8] = 0; break;
            case "zero-height": d[sof + 5] = 0; d[sof + 6] = 0; break;
            case "huge": d[sof + 5] = d[sof + 6] = d[sof + 7] = d[sof + 8] = 0xFF; break;
            case "big-for-its-data": d[sof + 5] = 0x30; d[sof + 7] = 0x30; break; // ~12300×12300 from < 1 KB
            case "missing-quant": d[sof + 12] = 3; break;           // Y component → DQT 3
            case "missing-huffman": d[sos + 6] = 0x22; break;       // Y component → DC/AC table 2
            case "overfull-huffman": d[dht + 5] = 3; break;         // three 1-bit codes
            case "bad-marker": d = [.. d[..2], 0xFF, 0x02, .. d[2..]]; break;
            case "sos-before-sof": d = [.. d[..2], .. d[sos..]]; break;
            case "fractional-sampling": d[sof + 11] = 0x32; break;  // Y 3×2 against chroma 1×1 is integral, so make Cb 2×1
        }
        if (damage == "fractional-sampling") d[sof + 14] = 0x21;
        var e = Assert.Throws<ImageFormatException>(() => Jpeg.Decode(d, damage));
        Assert.StartsWith(damage + ": ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Idct_VectorPathMatchesScalarReference_BitForBit()
    {
        // On AVX2 machines Transform runs the vector path; it must equal the scalar islow reference exactly.
        var rng = new Rng(5, 7);
        var coefs = new short[64];
        var quant = new ushort[64];
        var vector = new byte[8 * 12];
        var scalar = new byte[8 * 12];
        for (int trial = 0; trial < 3000; trial++)
        {
            int density = 1 + (int)(rng.NextUInt() % 64); // from DC-only blocks to dense ones
            for (int i = 0; i < 64; i++)
            {
                quant[i] = (ushort)(1 + rng.NextUInt() % (trial % 2 == 0 ? 255u : 16u));
                int limit = 2047 / quant[i];                  // dequantized values stay in the 8-bit JPEG range
                coefs[i] = rng.NextUInt() % 64 < density ? (short)((int)(rng.NextUInt() % (2 * limit + 1)) - limit) : (short)0;
            }
            vector.AsSpan().Fill(7); scalar.AsSpan().Fill(7);
            JpegIdct.Transform(coefs, quant, vector, 12);
            JpegIdct.TransformScalar(coefs, quant, scalar, 12);
            Assert.Equal(scalar, vector); // includes the 4 untouched bytes after each 8-sample row
        }
    }

    // ---- helpers ----

    /// <summary>Offset of the first segment with this marker code (walking segments from SOI).</summary>
    static int FindSegment(byte[] d, byte marker)
    {
        for (int p = 2; p + 4 <= d.Length; p += 2 + (d[p + 2] << 8 | d[p + 3]))
            if (d[p + 1] == marker) return p;
        throw new InvalidOperationException($"marker {marker:X2} not found");
    }

    static byte[] InsertAfterSoi(byte[] jpeg, byte[] segment) => [.. jpeg[..2], .. segment, .. jpeg[2..]];

    /// <summary>An APP1 segment: "Exif\0\0", a TIFF header and IFD0 with an unrelated tag then Orientation (SHORT).</summary>
    static byte[] ExifSegment(int orientation, bool little)
    {
        var tiff = new List<byte>();
        void U16(int v) { if (little) { tiff.Add((byte)v); tiff.Add((byte)(v >> 8)); } else { tiff.Add((byte)(v >> 8)); tiff.Add((byte)v); } }
        void U32(int v) { if (little) { U16(v & 0xFFFF); U16(v >> 16); } else { U16(v >> 16); U16(v & 0xFFFF); } }
        tiff.AddRange(little ? "II"u8.ToArray() : "MM"u8.ToArray());
        U16(42); U32(8);                       // IFD0 right after the header
        U16(2);                                // two entries
        U16(0x0100); U16(4); U32(1); U32(37);  // ImageWidth LONG (ignored)
        U16(0x0112); U16(3); U32(1); U16(orientation); U16(0);
        U32(0);                                // no next IFD
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int length = payload.Length + 2;
        return [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
    }

    /// <summary>Binary PGM (P5) / PPM (P6) as written by djpeg: [h, w, c] bytes.</summary>
    static byte[] ReadPnm(string path, out int w, out int h, out int c)
    {
        var d = File.ReadAllBytes(path);
        int p = 0;
        string Token()
        {
            while (char.IsWhiteSpace((char)d[p])) p++;
            int s = p;
            while (!char.IsWhiteSpace((char)d[p])) p++;
            return System.Text.Encoding.ASCII.GetString(d, s, p - s);
        }
        string magic = Token();
        c = magic == "P5" ? 1 : magic == "P6" ? 3 : throw new InvalidDataException(path);
        w = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        h = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        Token(); // maxval 255
        return d[(p + 1)..];
    }
}
