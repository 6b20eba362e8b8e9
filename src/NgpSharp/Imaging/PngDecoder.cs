using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NgpSharp.Imaging;

/// <summary>
/// PNG reader: parses and CRC-checks chunks, validates IHDR before allocating anything large, inflates the IDAT
/// stream, undoes filters (both interlace methods) and expands samples to <see cref="PngRaw"/>.
/// </summary>
internal sealed class PngDecoder
{
    /// <summary>Largest accepted width or height.</summary>
    public const int MaxDimension = 1 << 24;

    /// <summary>Largest accepted width × height × channels (decoded samples).</summary>
    public const long MaxSamples = 1L << 30;

    /// <summary>Deflate cannot expand data by more than about 1032:1; a larger claim means truncated IDAT data.</summary>
    const long MaxInflateRatio = 1032;

    static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    readonly string _source;
    PngHeader _header;
    bool _haveHeader;
    byte[]? _palette;           // PLTE: RGB triplets
    byte[]? _paletteAlpha;      // tRNS for colour type 3, padded to the palette length with 255
    ushort[]? _colorKey;        // tRNS for colour types 0 (1 value) and 2 (3 values)

    PngDecoder(string source) => _source = source;

    public static PngRaw Decode(ReadOnlySpan<byte> data, string source) => new PngDecoder(source).Run(data);

    ImageFormatException Fail(string problem) => new($"{_source}: {problem}");

    PngRaw Run(ReadOnlySpan<byte> data)
    {
        if (data.Length < Signature.Length)
            throw Fail($"not a PNG file: only {data.Length} bytes, shorter than the 8-byte signature");
        if (!data[..Signature.Length].SequenceEqual(Signature))
            throw Fail("not a PNG file (wrong signature)");

        var idat = new List<(int Offset, int Length)>();
        long idatBytes = 0;
        int pos = Signature.Length;
        while (true)
        {
            if (pos == data.Length) throw Fail(idat.Count == 0 ? "truncated: file ends before any IDAT chunk" : "truncated: file ends before the IEND chunk");
            if (data.Length - pos < 12) throw Fail($"truncated chunk at offset {pos}: {data.Length - pos} bytes left, a chunk needs at least 12");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            var typeBytes = data.Slice(pos + 4, 4);
            foreach (byte b in typeBytes)
                if (!(b is >= (byte)'A' and <= (byte)'Z' || b is >= (byte)'a' and <= (byte)'z'))
                    throw Fail($"invalid chunk type bytes {Convert.ToHexString(typeBytes)} at offset {pos}");
            string type = Encoding.ASCII.GetString(typeBytes);
            if (length > int.MaxValue) throw Fail($"{type} chunk at offset {pos} has invalid length {length}");
            if (data.Length - pos - 12 < length)
                throw Fail($"truncated {type} chunk at offset {pos}: needs {length} data bytes + CRC, only {data.Length - pos - 8} bytes left");
            var body = data.Slice(pos + 8, (int)length);
            uint stored = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + (int)length)..]);
            uint computed = Crc32.Compute(data.Slice(pos + 4, (int)length + 4));
            if (stored != computed) throw Fail($"bad CRC in {type} chunk at offset {pos} (stored 0x{stored:X8}, computed 0x{computed:X8})");
            if (!_haveHeader && type != "IHDR") throw Fail($"first chunk is {type}, expected IHDR");

            switch (type)
            {
                case "IHDR":
                    if (_haveHeader) throw Fail("more than one IHDR chunk");
                    ReadHeader(body);
                    break;
                case "PLTE":
                    ReadPalette(body);
                    break;
                case "tRNS":
                    ReadTransparency(body);
                    break;
                case "IDAT":
                    idat.Add((pos + 8, (int)length));
                    idatBytes += length;
                    break;
                case "IEND":
                    break;
                default:
                    // Bit 5 of the first byte clear = critical: we may not ignore what we do not understand.
                    if ((typeBytes[0] & 0x20) == 0) throw Fail($"unknown critical chunk {type} at offset {pos}");
                    break; // ancillary (gAMA, sRGB, pHYs, tEXt, ...): skipped
            }
            pos += 12 + (int)length;
            if (type == "IEND") break;
        }

        if (idat.Count == 0) throw Fail("no IDAT chunk (no image data)");
        if (_header.ColorType == 3 && _palette is null) throw Fail("palette image (colour type 3) without a PLTE chunk");

        var h = _header;
        int channels = OutputChannels();
        long samples = (long)h.Width * h.Height * channels;
        if (samples > MaxSamples) throw Fail($"image {h.Width}×{h.Height}×{channels} has more than {MaxSamples} samples, refusing to decode");
        long inflated = h.InflatedSize();
        if (inflated > idatBytes * MaxInflateRatio + 1024)
            throw Fail($"image data is truncated: {idatBytes} bytes of IDAT cannot hold the {inflated} bytes a {h.Width}×{h.Height} image needs");

        byte[] raw = Inflate(data, idat, idatBytes, (int)inflated);
        var output = new ushort[samples];
        Reconstruct(raw, output, channels);
        return new PngRaw(h.Width, h.Height, channels, h.BitDepth == 16 ? 16 : 8, output);
    }

    void ReadHeader(ReadOnlySpan<byte> body)
    {
        if (body.Length != 13) throw Fail($"IHDR chunk has {body.Length} bytes, expected 13");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colorType = body[9], compression = body[10], filter = body[11], interlace = body[12];
        if (width == 0 || height == 0) throw Fail($"invalid image size {width}×{height}: width and height must be positive");
        if (width > MaxDimension || height > MaxDimension) throw Fail($"image size {width}×{height} is absurd (limit {MaxDimension} per side)");
        bool depthOk = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => throw Fail($"invalid colour type {colorType}"),
        };
        if (!depthOk) throw Fail($"invalid bit depth {depth} for colour type {colorType}");
        if (compression != 0) throw Fail($"unknown compression method {compression}");
        if (filter != 0) throw Fail($"unknown filter method {filter}");
        if (interlace > 1) throw Fail($"unknown interlace method {interlace}");
        _header = new PngHeader((int)width, (int)height, depth, colorType, interlace == 1);
        _haveHeader = true;
        long samples = (long)width * height * _header.FileChannels;
        if (samples > MaxSamples) throw Fail($"image {width}×{height}×{_header.FileChannels} has more than {MaxSamples} samples, refusing to decode");
    }

    void ReadPalette(ReadOnlySpan<byte> body)
    {
        if (body.Length % 3 != 0 || body.Length == 0 || body.Length > 256 * 3)
            throw Fail($"PLTE chunk has {body.Length} bytes, expected a multiple of 3 between 3 and 768");
        if (_palette is not null) throw Fail("more than one PLTE chunk");
        _palette = body.ToArray(); // colour types 2 and 6 may carry a suggested palette: kept but unused
    }

    void ReadTransparency(ReadOnlySpan<byte> body)
    {
        switch (_header.ColorType)
        {
            case 3:
                if (_palette is null) throw Fail("tRNS chunk before PLTE");
                int entries = _palette.Length / 3;
                if (body.Length > entries) throw Fail($"tRNS has {body.Length} entries, the palette only {entries}");
                _paletteAlpha = new byte[entries];
                _paletteAlpha.AsSpan().Fill(255);
                body.CopyTo(_paletteAlpha);
                break;
            case 0:
                if (body.Length != 2) throw Fail($"tRNS for a gray image has {body.Length} bytes, expected 2");
                _colorKey = [BinaryPrimitives.ReadUInt16BigEndian(body)];
                break;
            case 2:
                if (body.Length != 6) throw Fail($"tRNS for an RGB image has {body.Length} bytes, expected 6");
                _colorKey = [BinaryPrimitives.ReadUInt16BigEndian(body), BinaryPrimitives.ReadUInt16BigEndian(body[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(body[4..])];
                break;
            default:
                break; // not allowed with an alpha channel; ignored like libpng does
        }
    }

    int OutputChannels() => _header.ColorType switch
    {
        0 => _colorKey is null ? 1 : 2,
        2 => _colorKey is null ? 3 : 4,
        3 => _paletteAlpha is null ? 3 : 4,
        4 => 2,
        _ => 4,
    };

    byte[] Inflate(ReadOnlySpan<byte> data, List<(int Offset, int Length)> idat, long idatBytes, int inflated)
    {
        if (idatBytes > Array.MaxLength) throw Fail($"IDAT data of {idatBytes} bytes is too large");
        var compressed = new byte[idatBytes];
        int at = 0;
        foreach (var (offset, length) in idat)
        {
            data.Slice(offset, length).CopyTo(compressed.AsSpan(at));
            at += length;
        }
        var raw = new byte[inflated];
        int got = 0;
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            while (got < inflated)
            {
                int n = zlib.Read(raw, got, inflated - got);
                if (n == 0) break;
                got += n;
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)   // zlib reports some corrupt streams as ZLibException (an IOException)
        {
            throw new ImageFormatException($"{_source}: corrupt zlib data in IDAT ({e.Message})", e);
        }
        if (got < inflated)
            throw Fail($"image data is truncated: IDAT inflates to {got} bytes, a {_header.Width}×{_header.Height} image needs {inflated}");
        return raw;
    }

    /// <summary>Undoes the filters pass by pass (one pass unless Adam7) and writes samples into <paramref name="output"/>.</summary>
    void Reconstruct(byte[] raw, ushort[] output, int channels)
    {
        var h = _header;
        int bpp = Math.Max(1, h.BitsPerPixel / 8);
        var zeros = new byte[h.RowBytes(h.Width)];
        var expander = new PngRowExpander(h, _palette, _paletteAlpha, _colorKey, output, channels);
        int at = 0;
        foreach (var pass in h.Passes())
        {
            int passWidth = pass.Width(h.Width), passHeight = pass.Height(h.Height);
            if (passWidth == 0 || passHeight == 0) continue;
            int stride = h.RowBytes(passWidth);
            for (int r = 0; r < passHeight; r++)
            {
                int filter = raw[at];
                var row = raw.AsSpan(at + 1, stride);
                ReadOnlySpan<byte> prior = r == 0 ? zeros : raw.AsSpan(at - stride, stride);
                if (!PngFilters.Unfilter(filter, row, prior, bpp))
                    throw Fail($"bad filter type {filter} in row {r} of pass {pass.Index}");
                int y = pass.Y0 + r * pass.DY;
                int bad = expander.ExpandRow(row, passWidth, y, pass.X0, pass.DX);
                if (bad >= 0) throw Fail($"palette index {bad} out of range (palette has {_palette!.Length / 3} entries) in row {y}");
                at += 1 + stride;
            }
        }
    }
}
