namespace NgpSharp.Imaging;

/// <summary>Reads PNG or JPEG files, telling them apart by their first bytes.</summary>
public static class ImageFile
{
    static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Decodes a PNG or JPEG file into a float image.</summary>
    public static Image Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image file not found", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes PNG or JPEG bytes; <paramref name="source"/> names them in errors.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, string source)
    {
        if (data.StartsWith(PngSignature)) return Png.Decode(data, source);
        if (data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8) return Jpeg.Decode(data, source);
        throw new ImageFormatException($"{source}: not a PNG or JPEG file (it starts with {Convert.ToHexString(data[..Math.Min(8, data.Length)])})");
    }
}
