using System.Buffers.Binary;
using System.IO.Compression;
using NgpSharp.Imaging;
using NgpSharp.Tests.Imaging;
using NgpSharp.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Fuzz;

/// <summary>PNG and JPEG decoders under mutated input: an image or an <see cref="ImageFormatException"/>, nothing else.</summary>
public sealed class ImageFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Png_Fuzz()
    {
        var seeds = FuzzDriver.Files([TestData.Path("images", "foo3x5x4indexed.png"), TestData.Path("images", "green_palette.png")]);
        seeds.AddRange(SyntheticPngSeeds());
        seeds.AddRange(FuzzDriver.Files(new[] { "camera.png", "astronaut_interlaced.png", "camera_gray16.png", "astronaut_rgba.png" }.Select(f => TestData.Path("images", f)), heavy: true));
        FuzzDriver.Run(output, new FuzzTarget("png", seeds, b => Png.Decode(b, "fuzz.png"), typeof(ImageFormatException))
        {
            Cases = 3000, Fields = PngFields, Fixup = PngFixup, ExtraMutations = [MutateIdat],
        });
    }

    [Fact]
    public void Jpeg_Fuzz()
    {
        string samples = Path.Combine(AppContext.BaseDirectory, "Imaging", "JpegSamples");
        var seeds = FuzzDriver.Files(Directory.GetFiles(samples, "*.jpg").Order(StringComparer.Ordinal));
        seeds.AddRange(FuzzDriver.Files(new[] { "astronaut_420.jpg", "astronaut_progressive.jpg", "astronaut_restart.jpg" }.Select(f => TestData.Path("images", f)), heavy: true));
        FuzzDriver.Run(output, new FuzzTarget("jpeg", seeds, b => Jpeg.Decode(b, "fuzz.jpg"), typeof(ImageFormatException))
        {
            Cases = 2000, Fields = JpegFields,
        });
    }

    /// <summary>Small PNGs of every colour type and bit depth, plain and Adam7, palette with tRNS.</summary>
    static IEnumerable<FuzzSeed> SyntheticPngSeeds()
    {
        var cases = new (int Type, int Depth)[] { (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16) };
        foreach (var (type, depth) in cases)
            foreach (bool interlaced in new[] { false, true })
            {
                int w = 7, h = 5, channels = SyntheticPng.FileChannels(type);
                int max = type == 3 ? 3 : (1 << depth) - 1;
                var samples = new ushort[w * h * channels];
                for (int i = 0; i < samples.Length; i++) samples[i] = (ushort)(i * 37 % (max + 1));
                var extra = type == 3
                    ? new[] { ("PLTE", new byte[] { 255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9 }), ("tRNS", new byte[] { 0, 128 }) }
                    : type == 2 ? [("tRNS", new byte[] { 0, 1, 0, 2, 0, 3 })] : [];
                yield return new FuzzSeed($"ct{type}-d{depth}{(interlaced ? "-adam7" : "")}", SyntheticPng.Build(w, h, type, depth, samples, interlaced, row => row % 5, extra));
            }
    }

    /// <summary>The chunks (offset of the length field, type, length) up to the first one that does not fit.</summary>
    static List<(int Offset, string Type, int Length)> Chunks(byte[] png)
    {
        var list = new List<(int, string, int)>();
        for (long at = 8; at + 12 <= png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan((int)at));
            if (length < 0 || at + 12 + length > png.Length) break;
            list.Add(((int)at, System.Text.Encoding.ASCII.GetString(png, (int)at + 4, 4), length));
            at += 12 + length;
        }
        return list;
    }

    /// <summary>Chunk length fields and the IHDR fields (width, height, depth, colour type, interlace).</summary>
    static IReadOnlyList<int> PngFields(byte[] png)
    {
        var fields = new List<int>();
        foreach (var (offset, type, _) in Chunks(png))
        {
            fields.Add(offset);
            if (type == "IHDR") fields.AddRange([offset + 8, offset + 12, offset + 16, offset + 17, offset + 20]);
        }
        return fields;
    }

    /// <summary>Recomputes the CRC of every chunk that still fits in the file.</summary>
    static byte[] PngFixup(byte[] png)
    {
        var fixedUp = (byte[])png.Clone();
        foreach (var (offset, _, length) in Chunks(fixedUp))
            SyntheticPng.FixCrc(fixedUp, offset);
        return fixedUp;
    }

    /// <summary>Mutates the decompressed image data (filter bytes, rows) and recompresses it, so that the filters and the row expander see garbage with valid zlib and CRCs.</summary>
    static byte[] MutateIdat(byte[] png, FuzzRandom r, System.Text.StringBuilder log)
    {
        var chunks = Chunks(png);
        var idat = chunks.Where(c => c.Type == "IDAT").ToList();
        if (idat.Count == 0) return png;
        byte[] raw;
        try
        {
            using var z = new ZLibStream(new MemoryStream(idat.SelectMany(c => png.AsSpan(c.Offset + 8, c.Length).ToArray()).ToArray()), CompressionMode.Decompress);
            var ms = new MemoryStream();
            z.CopyTo(ms);
            raw = ms.ToArray();
        }
        catch (InvalidDataException) { return png; }
        log.Append("idat: ");
        raw = FuzzMutator.MutateBytes(raw, r, null, log);
        var rest = chunks.Where(c => c.Type != "IDAT" && c.Type != "IEND").Select(c => (c.Type, png.AsSpan(c.Offset + 8, c.Length).ToArray()));
        return SyntheticPng.Assemble([.. rest, ("IDAT", SyntheticPng.Compress(raw)), ("IEND", [])]);
    }

    /// <summary>Marker segment lengths, and in SOFn the precision, height, width and component count.</summary>
    static IReadOnlyList<int> JpegFields(byte[] jpeg)
    {
        var fields = new List<int>();
        for (int at = 2; at + 4 <= jpeg.Length && jpeg[at] == 0xFF;)
        {
            byte marker = jpeg[at + 1];
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg.AsSpan(at + 2));
            fields.Add(at + 2);
            if (marker is >= 0xC0 and <= 0xC2) fields.AddRange([at + 4, at + 5, at + 7, at + 9, at + 10, at + 11]);
            if (marker == 0xDA) { fields.Add(at + 4); break; }
            at += 2 + length;
        }
        return fields;
    }
}
