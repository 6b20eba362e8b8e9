using System.Buffers.Binary;

namespace NgpSharp.Imaging;

/// <summary>
/// Parses a JPEG's markers and drives scan decoding, IDCT and colour conversion (ITU T.81 / JFIF / EXIF).
/// Supports baseline and extended sequential (SOF0/SOF1) and progressive (SOF2) Huffman coding, 8-bit, one or
/// three components with sampling factors 1–4 in integer ratios. Truncated entropy data is an error, not a
/// partial image.
/// </summary>
internal sealed class JpegDecoder
{
    /// <summary>Largest accepted width × height; bigger frames are refused before anything is allocated.</summary>
    public const long MaxPixels = 1L << 28;

    readonly byte[] data;
    readonly string source;
    readonly ushort[]?[] quantTables = new ushort[4][];
    readonly JpegHuffmanTable?[] dcTables = new JpegHuffmanTable[4];
    readonly JpegHuffmanTable?[] acTables = new JpegHuffmanTable[4];
    readonly JpegScanDecoder scanDecoder;
    JpegFrame? frame;
    int restartInterval;
    int scanCount;
    bool sawJfif, sawExifOrientation;
    int adobeTransform = -1;

    public JpegDecoder(ReadOnlySpan<byte> bytes, string source)
    {
        data = bytes.ToArray();
        this.source = source;
        scanDecoder = new JpegScanDecoder(new JpegBitReader(data, source), source);
    }

    /// <summary>EXIF orientation 1–8 (1 when the file has none).</summary>
    public int Orientation { get; private set; } = 1;

    /// <summary>Decodes the whole file: [height, width, channels] bytes, before EXIF orientation.</summary>
    public byte[] Decode(out int width, out int height, out int channels)
    {
        if (data.Length < 2 || data[0] != 0xFF || data[1] != 0xD8)
            throw Error("not a JPEG file (missing SOI marker)");
        int pos = 2;
        bool sawEoi = false;
        while (!sawEoi)
        {
            int marker = NextMarker(ref pos);
            if (marker < 0) break; // data ended without EOI
            switch (marker)
            {
                case 0xD8: throw Error($"unexpected second SOI marker at byte {pos - 2}");
                case 0xD9: sawEoi = true; break;
                case >= 0xD0 and <= 0xD7: case 0x01: break; // stray RSTn / TEM carry no segment
                case 0xC0 or 0xC1 or 0xC2: ReadFrame(Segment(ref pos, "SOF"), marker == 0xC2); break;
                case 0xC3 or 0xC7 or 0xCB or 0xCF: throw Error($"lossless JPEG (SOF{marker - 0xC0}) is not supported");
                case 0xC5 or 0xC6: throw Error($"hierarchical JPEG (SOF{marker - 0xC0}) is not supported");
                case 0xC9 or 0xCA or 0xCD or 0xCE: throw Error("arithmetic-coded JPEG is not supported");
                case 0xC4: ReadHuffmanTables(Segment(ref pos, "DHT")); break;
                case 0xDB: ReadQuantTables(Segment(ref pos, "DQT")); break;
                case 0xDD: ReadRestartInterval(Segment(ref pos, "DRI")); break;
                case 0xDA:
                    var header = Segment(ref pos, "SOS");
                    pos = DecodeScan(header, pos);
                    break;
                case 0xE0: ReadApp0(Segment(ref pos, "APP0")); break;
                case 0xE1: ReadApp1(Segment(ref pos, "APP1")); break;
                case 0xEE: ReadApp14(Segment(ref pos, "APP14")); break;
                case >= 0xC0: Segment(ref pos, $"0xFF{marker:X2}"); break; // other APPn, COM, DNL, JPGn, DAC: skipped
                default: throw Error($"bad marker 0xFF{marker:X2} at byte {pos - 2}");
            }
        }
        if (frame is null) throw Error(sawEoi ? "no frame (SOF) before EOI" : "truncated JPEG: data ended before the frame header (SOF)");
        foreach (var c in frame.Components)
            if (c.Coefs is null)
                throw Error(sawEoi ? $"component {c.Id} has no scan data" : "truncated JPEG: data ended before all scans");
        if (!sawEoi && frame.Progressive) throw Error("truncated JPEG: progressive data ended without EOI (scans may be missing)");

        var planes = new byte[frame.Components.Length][];
        for (int i = 0; i < planes.Length; i++) planes[i] = InverseTransform(frame.Components[i]);
        width = frame.Width;
        height = frame.Height;
        channels = frame.Components.Length;
        return JpegColor.ToPixels(frame, planes, channels == 3 && IsYcc());
    }

    /// <summary>Colour space of three components as libjpeg decides it: JFIF, Adobe's transform flag, component ids.</summary>
    bool IsYcc()
    {
        if (sawJfif) return true;
        if (adobeTransform >= 0) return adobeTransform != 0;
        var c = frame!.Components;
        return !(c[0].Id == 'R' && c[1].Id == 'G' && c[2].Id == 'B');
    }

    static byte[] InverseTransform(JpegComponent c)
    {
        int stride = c.Stride * 8;
        var plane = new byte[(long)stride * c.Rows * 8];
        var coefs = c.Coefs!;
        var quant = c.Quant!;
        for (int by = 0; by < c.Rows; by++)
            for (int bx = 0; bx < c.Stride; bx++)
                JpegIdct.Transform(coefs.AsSpan((by * c.Stride + bx) * 64, 64), quant,
                    plane.AsSpan(by * 8 * stride + bx * 8), stride);
        return plane;
    }

    ImageFormatException Error(string message) => new($"{source}: {message}");

    /// <summary>The next marker code at <paramref name="pos"/> (fill 0xFF bytes skipped), or −1 at the end of the data.</summary>
    int NextMarker(ref int pos)
    {
        if (pos >= data.Length) return -1;
        if (data[pos] != 0xFF) throw Error($"expected a marker at byte {pos}, found 0x{data[pos]:X2}");
        while (pos < data.Length && data[pos] == 0xFF) pos++;
        if (pos >= data.Length) return -1;
        return data[pos++];
    }

    /// <summary>The payload of the length-prefixed segment at <paramref name="pos"/>, advancing past it.</summary>
    ReadOnlySpan<byte> Segment(ref int pos, string name)
    {
        if (pos + 2 > data.Length) throw Error($"truncated JPEG: {name} segment length missing at byte {pos}");
        int length = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(pos, 2));
        if (length < 2) throw Error($"bad {name} segment length {length} at byte {pos}");
        if (pos + length > data.Length) throw Error($"truncated JPEG: {name} segment at byte {pos} needs {length} bytes, {data.Length - pos} remain");
        var payload = data.AsSpan(pos + 2, length - 2);
        pos += length;
        return payload;
    }

    void ReadQuantTables(ReadOnlySpan<byte> s)
    {
        while (s.Length > 0)
        {
            int precision = s[0] >> 4, id = s[0] & 15;
            if (precision > 1 || id > 3) throw Error($"bad DQT table id/precision byte 0x{s[0]:X2}");
            int size = precision == 0 ? 64 : 128;
            if (s.Length < 1 + size) throw Error("DQT segment is shorter than its table");
            var table = new ushort[64];
            for (int k = 0; k < 64; k++)
                table[JpegScanDecoder.ZigZag[k]] = precision == 0 ? s[1 + k] : BinaryPrimitives.ReadUInt16BigEndian(s.Slice(1 + 2 * k, 2));
            quantTables[id] = table;
            s = s[(1 + size)..];
        }
    }

    void ReadHuffmanTables(ReadOnlySpan<byte> s)
    {
        while (s.Length > 0)
        {
            int tableClass = s[0] >> 4, id = s[0] & 15;
            if (tableClass > 1 || id > 3) throw Error($"bad DHT table class/id byte 0x{s[0]:X2}");
            if (s.Length < 17) throw Error("DHT segment is shorter than its code counts");
            var counts = s.Slice(1, 16);
            int total = 0;
            foreach (byte n in counts) total += n;
            if (total > 256 || s.Length < 17 + total) throw Error($"DHT table with {total} symbols does not fit its segment");
            var table = JpegHuffmanTable.Build(counts, s.Slice(17, total), tableClass == 0, out string? why)
                ?? throw Error($"bad Huffman table ({(tableClass == 0 ? "DC" : "AC")} {id}): {why}");
            (tableClass == 0 ? dcTables : acTables)[id] = table;
            s = s[(17 + total)..];
        }
    }

    void ReadRestartInterval(ReadOnlySpan<byte> s)
    {
        if (s.Length < 2) throw Error("DRI segment is too short");
        restartInterval = BinaryPrimitives.ReadUInt16BigEndian(s);
    }

    void ReadApp0(ReadOnlySpan<byte> s)
    {
        if (s.Length >= 5 && s[..5].SequenceEqual("JFIF\0"u8)) sawJfif = true;
    }

    void ReadApp1(ReadOnlySpan<byte> s)
    {
        int o = JpegOrientation.Read(s);
        if (o == 0 || sawExifOrientation) return; // the first EXIF orientation wins
        Orientation = o;
        sawExifOrientation = true;
    }

    void ReadApp14(ReadOnlySpan<byte> s)
    {
        if (s.Length >= 12 && s[..5].SequenceEqual("Adobe"u8)) adobeTransform = s[11];
    }

    void ReadFrame(ReadOnlySpan<byte> s, bool progressive)
    {
        if (frame is not null) throw Error("more than one frame (SOF) in the file");
        if (s.Length < 6) throw Error("SOF segment is too short");
        int precision = s[0];
        int height = BinaryPrimitives.ReadUInt16BigEndian(s[1..]);
        int width = BinaryPrimitives.ReadUInt16BigEndian(s[3..]);
        int count = s[5];
        if (precision != 8) throw Error($"{precision}-bit JPEG is not supported (only 8-bit)");
        if (width == 0) throw Error("image width is 0");
        if (height == 0) throw Error("image height is 0 (height defined by a DNL marker is not supported)");
        if ((long)width * height > MaxPixels) throw Error($"image {width}×{height} is larger than the {MaxPixels} pixel limit");
        if (count is 2 or 4) throw Error($"{count}-component JPEG ({(count == 4 ? "CMYK/YCCK" : "two-channel")}) is not supported");
        if (count is not (1 or 3)) throw Error($"bad component count {count}");
        if (s.Length < 6 + 3 * count) throw Error("SOF segment is shorter than its component list");
        var components = new JpegComponent[count];
        for (int i = 0; i < count; i++)
        {
            var d = s.Slice(6 + 3 * i, 3);
            var c = new JpegComponent { Id = d[0], Index = i, H = d[1] >> 4, V = d[1] & 15, QuantTableId = d[2] };
            if (c.H is < 1 or > 4 || c.V is < 1 or > 4) throw Error($"component {c.Id} has bad sampling factors {c.H}×{c.V}");
            if (c.QuantTableId > 3) throw Error($"component {c.Id} names quantization table {c.QuantTableId} (0–3 allowed)");
            for (int j = 0; j < i; j++)
                if (components[j].Id == c.Id) throw Error($"component id {c.Id} appears twice");
            components[i] = c;
        }
        var f = new JpegFrame { Width = width, Height = height, Progressive = progressive, Components = components };
        f.ComputeGeometry();
        foreach (var c in components)
            if (count > 1 && (f.HMax % c.H != 0 || f.VMax % c.V != 0))
                throw Error($"fractional sampling ({c.H}×{c.V} against {f.HMax}×{f.VMax}) is not supported");
        frame = f;
    }

    /// <summary>Validates an SOS header, sets up its components and decodes its data; returns the position after it.</summary>
    int DecodeScan(ReadOnlySpan<byte> s, int start)
    {
        var f = frame ?? throw Error("scan (SOS) before the frame header (SOF)");
        scanCount++;
        if (s.Length < 1) throw Error("SOS segment is too short");
        int n = s[0];
        if (n < 1 || n > 4 || s.Length < 4 + 2 * n) throw Error($"bad SOS segment ({n} components in {s.Length} bytes)");
        int ss = s[1 + 2 * n], se = s[2 + 2 * n], ah = s[3 + 2 * n] >> 4, al = s[3 + 2 * n] & 15;
        JpegScanKind kind;
        if (!f.Progressive) kind = JpegScanKind.Sequential;
        else
        {
            bool dc = ss == 0;
            if (dc ? se != 0 : se < ss || se > 63 || n != 1)
                throw Error($"bad progressive scan parameters (Ss={ss}, Se={se}, {n} components)");
            if (al > 13 || (ah != 0 && ah != al + 1)) throw Error($"bad successive approximation (Ah={ah}, Al={al})");
            kind = dc ? (ah == 0 ? JpegScanKind.DcFirst : JpegScanKind.DcRefine) : (ah == 0 ? JpegScanKind.AcFirst : JpegScanKind.AcRefine);
        }

        var components = new JpegComponent[n];
        int blocksPerMcu = 0, previous = -1;
        for (int i = 0; i < n; i++)
        {
            int id = s[1 + 2 * i], tables = s[2 + 2 * i];
            var c = Array.Find(f.Components, x => x.Id == id) ?? throw Error($"scan names component {id}, which the frame lacks");
            if (c.Index <= previous) throw Error($"scan lists component {id} twice or out of frame order");
            previous = c.Index;
            blocksPerMcu += c.H * c.V;
            int dcId = tables >> 4, acId = tables & 15;
            bool needDc = kind is JpegScanKind.Sequential or JpegScanKind.DcFirst;
            bool needAc = kind is JpegScanKind.Sequential or JpegScanKind.AcFirst or JpegScanKind.AcRefine;
            if (needDc) c.DcTable = (dcId < 4 ? dcTables[dcId] : null) ?? throw Error($"scan uses DC Huffman table {dcId}, which is not defined");
            if (needAc) c.AcTable = (acId < 4 ? acTables[acId] : null) ?? throw Error($"scan uses AC Huffman table {acId}, which is not defined");
            if (kind is JpegScanKind.AcFirst or JpegScanKind.AcRefine && !c.DcSeen)
                throw Error($"progressive AC scan for component {id} comes before its DC scan");
            if (kind is JpegScanKind.DcRefine && !c.DcSeen) throw Error($"DC refinement scan for component {id} before its first DC scan");
            if (kind is JpegScanKind.Sequential or JpegScanKind.DcFirst) c.DcSeen = true;
            if (c.Coefs is null) Allocate(f, c, n, start);
            components[i] = c;
        }
        if (n > 1 && blocksPerMcu > 10) throw Error($"scan has {blocksPerMcu} blocks per MCU (at most 10 allowed)");
        return scanDecoder.Decode(f, components, kind, ss, se, al, restartInterval, start, scanCount);
    }

    /// <summary>
    /// Allocates a component's coefficients at its first scan, after checking the remaining data could hold it:
    /// every block of a first (sequential or DC) scan takes at least one bit, so a tiny file cannot claim a huge image.
    /// </summary>
    void Allocate(JpegFrame f, JpegComponent c, int scanComponents, int start)
    {
        c.Quant = quantTables[c.QuantTableId] ?? throw Error($"component {c.Id} uses quantization table {c.QuantTableId}, which is not defined");
        long blocks = scanComponents == 1 ? (long)c.BlocksWide * c.BlocksHigh : (long)c.Stride * c.Rows;
        long availableBits = 8L * (data.Length - start);
        if (blocks > availableBits)
            throw Error($"truncated JPEG: component {c.Id} has {blocks} blocks but only {data.Length - start} bytes of data remain");
        c.Coefs = new short[(long)c.Stride * c.Rows * 64];
    }
}
