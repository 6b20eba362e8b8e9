namespace NgpSharp.Imaging;

/// <summary>Reads PNG or JPEG files, telling them apart by their first bytes.</summary>
public static class ImageFile
{
    /// <summary>Decodes a PNG or JPEG file into a float image.</summary>
    public static Image Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: image file not found", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes PNG or JPEG bytes; <paramref name="source"/> names them in errors.</summary>
    public static Image Decode(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length >= 8 && data[..8].SequenceEqual("\x89PNG\r\n\x1a\n"u8)) return Png.Decode(data, source);
        if (data.Length >= 2 && data[0] == 0xFF && data[1] == 0xD8) return Jpeg.Decode(data, source);
        throw new ImageFormatException($"{source}: not a PNG or JPEG file (it starts with {Convert.ToHexString(data[..Math.Min(8, data.Length)])})");
    }
}
