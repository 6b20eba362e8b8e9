namespace NgpSharp.Imaging;

/// <summary>
/// PNG files: read every standard form (colour types 0/2/3/4/6, bit depths 1–16, palette + tRNS, Adam7) and
/// write 8/16-bit gray, gray+alpha, RGB, RGBA. Malformed input raises <see cref="ImageFormatException"/> whose
/// message starts with the source name.
/// </summary>
public static class Png
{
    /// <summary>Decodes to integer samples (see <see cref="PngRaw"/>). <paramref name="source"/> names the data in errors.</summary>
    public static PngRaw DecodeRaw(ReadOnlySpan<byte> data, string source) => PngDecoder.Decode(data, source);

    /// <summary>Decodes to a float image: 8-bit values v/255, 16-bit values v/65535; [H, W, C].</summary>
    public static Image Decode(ReadOnlySpan<byte> data, string source) => DecodeRaw(data, source).ToImage();

    /// <summary>Reads and decodes a PNG file (a missing file raises FileNotFoundException naming the path).</summary>
    public static Image Read(string path) => Decode(File.ReadAllBytes(path), path);

    /// <summary>Reads a PNG file to integer samples.</summary>
    public static PngRaw ReadRaw(string path) => DecodeRaw(File.ReadAllBytes(path), path);

    /// <summary>
    /// Encodes <paramref name="image"/> with its channel count (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA) at
    /// <paramref name="bitDepth"/> 8 or 16; values are clamped to [0, 1] and rounded to the nearest level.
    /// </summary>
    public static byte[] Encode(Image image, int bitDepth = 8) => PngEncoder.Encode(image, bitDepth);

    /// <summary>Writes <paramref name="image"/> as a PNG, atomically (temp file in the same folder, then rename).</summary>
    public static void Write(string path, Image image, int bitDepth = 8)
    {
        NgpSharp.Compute.AtomicFile.WriteAllBytes(path, Encode(image, bitDepth));
    }
}
