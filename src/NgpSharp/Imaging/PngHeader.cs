namespace NgpSharp.Imaging;

/// <summary>A validated IHDR, with the row and pass geometry derived from it.</summary>
internal readonly record struct PngHeader(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
{
    /// <summary>Samples per pixel as stored: gray 1, RGB 3, palette index 1, gray+alpha 2, RGBA 4.</summary>
    public int FileChannels => ColorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };

    public int BitsPerPixel => FileChannels * BitDepth;

    /// <summary>Bytes of one row of <paramref name="pixels"/> pixels, without the filter byte.</summary>
    public int RowBytes(int pixels) => (int)(((long)pixels * BitsPerPixel + 7) / 8);

    /// <summary>Total bytes of the inflated IDAT stream: every non-empty pass row plus its filter byte.</summary>
    public long InflatedSize()
    {
        long total = 0;
        foreach (var pass in Passes())
        {
            int w = pass.Width(Width), h = pass.Height(Height);
            if (w > 0 && h > 0) total += (long)h * (1 + RowBytes(w));
        }
        return total;
    }

    /// <summary>The 7 Adam7 passes, or a single pass covering the image.</summary>
    public IEnumerable<PngPass> Passes() => Interlaced ? Adam7 : [new PngPass(0, 0, 0, 1, 1)];

    static readonly PngPass[] Adam7 =
    [
        new(1, 0, 0, 8, 8), new(2, 4, 0, 8, 8), new(3, 0, 4, 4, 8), new(4, 2, 0, 4, 4),
        new(5, 0, 2, 2, 4), new(6, 1, 0, 2, 2), new(7, 0, 1, 1, 2),
    ];
}

/// <summary>One interlace pass: pixels (X0 + i·DX, Y0 + j·DY). Index 0 is the non-interlaced image.</summary>
internal readonly record struct PngPass(int Index, int X0, int Y0, int DX, int DY)
{
    public int Width(int imageWidth) => imageWidth <= X0 ? 0 : (imageWidth - X0 + DX - 1) / DX;
    public int Height(int imageHeight) => imageHeight <= Y0 ? 0 : (imageHeight - Y0 + DY - 1) / DY;
}
