using System.Text;
using NgpSharp.Compute;

namespace NgpSharp.Imaging;

/// <summary>Settings for <see cref="GifWriter"/>.</summary>
public sealed record GifOptions
{
    /// <summary>Frame delay in 1/100 s (4 ≈ 25 fps; browsers treat values below 2 as 10).</summary>
    public int DelayCentiseconds { get; init; } = 4;

    /// <summary>NETSCAPE2.0 loop count: 0 = forever; null = no loop extension (play once).</summary>
    public int? LoopCount { get; init; } = 0;

    public GifDither Dither { get; init; } = GifDither.None;

    /// <summary>One palette built from all frames (only for <see cref="GifWriter.Encode"/>, which sees them all); else one per frame.</summary>
    public bool GlobalPalette { get; init; }

    /// <summary>Palette size limit, 2–256.</summary>
    public int MaxColors { get; init; } = 256;

    /// <summary>The delay for a frame rate: round(100 / fps), at least 2.</summary>
    public static int DelayForFps(double fps) => Math.Max(2, (int)Math.Round(100.0 / fps));
}

/// <summary>
/// An animated GIF89a encoder: frames are quantised to ≤ 256 colours (exact when they have that few; else median
/// cut, optionally dithered), LZW-compressed, with a per-frame delay and an optional NETSCAPE2.0 loop. Frames
/// stream: each <see cref="AddFrame(Image)"/> writes one frame. Images: RGB/RGBA/gray/gray+alpha, values in [0, 1]
/// (sRGB), alpha ignored. Call <see cref="Finish"/> to write the trailer.
/// </summary>
public sealed class GifWriter
{
    readonly Stream _output;
    readonly GifOptions _options;
    readonly int[]? _globalPalette;
    bool _finished;

    /// <summary>
    /// Starts a GIF of <paramref name="width"/>×<paramref name="height"/> on <paramref name="output"/> (header and loop
    /// extension written now). <paramref name="globalPalette"/>: packed 0xRRGGBB colours written as the global colour
    /// table (every frame then uses it), or null for a palette per frame.
    /// </summary>
    public GifWriter(Stream output, int width, int height, GifOptions? options = null, int[]? globalPalette = null)
    {
        if (width is < 1 or > 65535 || height is < 1 or > 65535) throw new ArgumentOutOfRangeException(nameof(width), $"GIF size {width}×{height} must be 1–65535 per side");
        _options = options ?? new GifOptions();
        if (_options.MaxColors is < 2 or > 256) throw new ArgumentOutOfRangeException(nameof(options), "MaxColors must be 2–256");
        if (_options.DelayCentiseconds is < 0 or > 65535) throw new ArgumentOutOfRangeException(nameof(options), "DelayCentiseconds must be 0–65535");
        _output = output;
        Width = width;
        Height = height;
        _globalPalette = globalPalette;
        WriteHeader();
    }

    public int Width { get; }
    public int Height { get; }
    public int FrameCount { get; private set; }

    /// <summary>Encodes all frames into GIF bytes (with <see cref="GifOptions.GlobalPalette"/>: one palette from all frames).</summary>
    public static byte[] Encode(IReadOnlyList<Image> frames, GifOptions? options = null)
    {
        if (frames.Count == 0) throw new ArgumentException("a GIF needs at least one frame", nameof(frames));
        options ??= new GifOptions();
        var ms = new MemoryStream();
        int[]? global = null;
        if (options.GlobalPalette)
        {
            // Build from a subsample so a long video does not hold every pixel at once.
            int stride = Math.Max(1, (int)((long)frames.Count * frames[0].Width * frames[0].Height / 4_000_000));
            var sample = new List<int>();
            foreach (var f in frames) { var px = ToRgb(f); for (int i = 0; i < px.Length; i += stride) sample.Add(px[i]); }
            global = ColorQuantizer.BuildPalette(sample.ToArray(), options.MaxColors, out _);
        }
        var writer = new GifWriter(ms, frames[0].Width, frames[0].Height, options, global);
        foreach (var f in frames) writer.AddFrame(f);
        writer.Finish();
        return ms.ToArray();
    }

    /// <summary>Writes an animated GIF file atomically.</summary>
    public static void Write(string path, IReadOnlyList<Image> frames, GifOptions? options = null) =>
        AtomicFile.WriteAllBytes(path, Encode(frames, options));

    /// <summary>Packed 0xRRGGBB per pixel, [height, width] row-major; values clamped to [0, 1] and rounded to 8 bits.</summary>
    public static int[] ToRgb(Image image)
    {
        var px = new int[image.Width * image.Height];
        int ch = image.Channels;
        var d = image.Data;
        static int B(float v) => (int)MathF.Round(Math.Clamp(float.IsNaN(v) ? 0 : v, 0f, 1f) * 255f);
        for (int i = 0; i < px.Length; i++)
        {
            int o = i * ch;
            px[i] = ch >= 3 ? (B(d[o]) << 16) | (B(d[o + 1]) << 8) | B(d[o + 2]) : B(d[o]) * 0x010101;
        }
        return px;
    }

    public void AddFrame(Image frame)
    {
        if (frame.Width != Width || frame.Height != Height) throw new ArgumentException($"frame {FrameCount} is {frame.Width}×{frame.Height}, the GIF is {Width}×{Height}");
        AddFrame(ToRgb(frame));
    }

    /// <summary>rgb: [height, width] packed 0xRRGGBB.</summary>
    public void AddFrame(ReadOnlySpan<int> rgb)
    {
        if (_finished) throw new InvalidOperationException("the GIF is finished");
        if (rgb.Length != Width * Height) throw new ArgumentException($"frame {FrameCount} has {rgb.Length} pixels, expected {Width * Height}");
        int[] palette = _globalPalette ?? ColorQuantizer.BuildPalette(rgb, _options.MaxColors, out _);
        byte[] indices = ColorQuantizer.Map(rgb, Width, Height, palette, _options.Dither);
        int tableBits = TableBits(palette.Length);

        // Graphic control extension: disposal 1 (leave in place), no transparency, the delay.
        _output.Write([0x21, 0xF9, 0x04, 0x04, (byte)_options.DelayCentiseconds, (byte)(_options.DelayCentiseconds >> 8), 0x00, 0x00]);
        // Image descriptor, then the local colour table when the frame has its own palette.
        _output.WriteByte(0x2C);
        WriteU16(0); WriteU16(0); WriteU16(Width); WriteU16(Height);
        _output.WriteByte(_globalPalette is null ? (byte)(0x80 | (tableBits - 1)) : (byte)0);
        if (_globalPalette is null) WriteColorTable(palette, tableBits);
        GifLzw.Encode(indices, Math.Max(2, tableBits), _output);
        FrameCount++;
    }

    /// <summary>Writes the trailer; the stream is left open.</summary>
    public void Finish()
    {
        if (_finished) return;
        if (FrameCount == 0) throw new InvalidOperationException("a GIF needs at least one frame");
        _output.WriteByte(0x3B);
        _output.Flush();
        _finished = true;
    }

    void WriteHeader()
    {
        _output.Write("GIF89a"u8);
        WriteU16(Width);
        WriteU16(Height);
        int globalBits = _globalPalette is null ? 0 : TableBits(_globalPalette.Length);
        // Packed: global table flag, colour resolution 8 bits, not sorted, table size.
        _output.WriteByte(_globalPalette is null ? (byte)0x70 : (byte)(0x80 | 0x70 | (globalBits - 1)));
        _output.WriteByte(0); // background colour index
        _output.WriteByte(0); // pixel aspect ratio: unspecified
        if (_globalPalette is not null) WriteColorTable(_globalPalette, globalBits);
        if (_options.LoopCount is int loops)
        {
            _output.Write([0x21, 0xFF, 0x0B]);
            _output.Write(Encoding.ASCII.GetBytes("NETSCAPE2.0"));
            _output.Write([0x03, 0x01, (byte)loops, (byte)(loops >> 8), 0x00]);
        }
    }

    // Colour tables hold 2^bits entries (bits 1–8); unused entries are black.
    static int TableBits(int colors)
    {
        int bits = 1;
        while ((1 << bits) < colors) bits++;
        return bits;
    }

    void WriteColorTable(int[] palette, int bits)
    {
        var table = new byte[3 << bits];
        for (int i = 0; i < palette.Length; i++)
        {
            table[3 * i] = (byte)(palette[i] >> 16);
            table[3 * i + 1] = (byte)(palette[i] >> 8);
            table[3 * i + 2] = (byte)palette[i];
        }
        _output.Write(table);
    }

    void WriteU16(int v) { _output.WriteByte((byte)v); _output.WriteByte((byte)(v >> 8)); }
}
