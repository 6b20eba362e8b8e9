namespace NgpSharp.Imaging;

/// <summary>
/// A float image: <see cref="Data"/> is [Height, Width, Channels] row-major, top row first, values nominally in
/// [0, 1] as stored in the file (sRGB-encoded unless said otherwise). Channels: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
/// </summary>
public sealed class Image
{
    public Image(int width, int height, int channels, float[]? data = null)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}×{height} must be positive");
        if (channels is < 1 or > 4) throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be 1–4");
        long n = (long)width * height * channels;
        if (n > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(width), $"image {width}×{height}×{channels} is too large");
        if (data is not null && data.Length != n) throw new ArgumentException($"data has {data.Length} values, a {width}×{height}×{channels} image needs {n}");
        Width = width;
        Height = height;
        Channels = channels;
        Data = data ?? new float[n];
    }

    public int Width { get; }
    public int Height { get; }
    public int Channels { get; }

    /// <summary>[Height, Width, Channels] row-major.</summary>
    public float[] Data { get; }

    public float this[int x, int y, int c]
    {
        get => Data[((long)y * Width + x) * Channels + c];
        set => Data[((long)y * Width + x) * Channels + c] = value;
    }

    public bool HasAlpha => Channels is 2 or 4;
}
