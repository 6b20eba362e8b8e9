namespace NgpSharp.Imaging;

/// <summary>
/// JPEG reader: baseline/extended sequential and progressive Huffman JPEG, 8-bit, gray or YCbCr/RGB, any
/// integer chroma subsampling (4:4:4, 4:2:2, 4:2:0, 4:4:0, …), restart markers, EXIF orientation applied.
/// Output matches libjpeg's <c>djpeg -dct int -nosmooth</c> (accurate integer IDCT, chroma by replication).
/// Arithmetic-coded, lossless, hierarchical, 12-bit and CMYK files are refused with an
/// <see cref="ImageFormatException"/>, as is any malformed or truncated file: truncated entropy data is an error,
/// never a partly grey image (a sequential file lacking only its final EOI marker is accepted). Frames over
/// 2^28 pixels, or larger than the remaining data could encode, are refused before allocating.
/// </summary>
public static class Jpeg
{
    static readonly float[] ByteToUnit = CreateByteToUnit();

    static float[] CreateByteToUnit()
    {
        var t = new float[256];
        for (int i = 0; i < 256; i++) t[i] = i / 255f;
        return t;
    }

    /// <summary>True when <paramref name="header"/> starts like a JPEG file (SOI followed by a marker).</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> header) => header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF;

    /// <summary>
    /// Reads and decodes the JPEG file at <paramref name="path"/> (see <see cref="Decode"/>); a missing or
    /// unreadable file throws the usual <see cref="FileNotFoundException"/>/<see cref="IOException"/> naming it.
    /// </summary>
    public static Image Read(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>
    /// Decodes a JPEG file's bytes to an image with 1 (gray) or 3 (RGB) channels, values byte/255, EXIF
    /// orientation applied. <paramref name="source"/> names the data in error messages.
    /// </summary>
    public static Image Decode(ReadOnlySpan<byte> data, string source)
    {
        var bytes = DecodeToBytes(data, source, out int width, out int height, out int channels);
        var pixels = new float[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) pixels[i] = ByteToUnit[bytes[i]];
        return new Image(width, height, channels, pixels);
    }

    /// <summary>
    /// Decodes to 8-bit samples: [height, width, channels] row-major, channels 1 (gray) or 3 (RGB).
    /// <paramref name="applyOrientation"/> false leaves the pixels as stored, ignoring EXIF orientation.
    /// </summary>
    public static byte[] DecodeToBytes(ReadOnlySpan<byte> data, string source, out int width, out int height,
        out int channels, bool applyOrientation = true)
    {
        var decoder = new JpegDecoder(data, source);
        var pixels = decoder.Decode(out int w, out int h, out channels);
        if (!applyOrientation || decoder.Orientation == 1) { width = w; height = h; return pixels; }
        return JpegOrientation.Apply(pixels, w, h, channels, decoder.Orientation, out width, out height);
    }
}
