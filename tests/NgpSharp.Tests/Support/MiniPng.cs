using System.Buffers.Binary;
using System.IO.Compression;

namespace NgpSharp.Tests.Support;

/// <summary>
/// Test-only PNG reader for reference images: 8-bit gray, gray+alpha, RGB, RGBA, non-interlaced, all five
/// filters. Returns [height, width, channels] bytes. Not a product decoder (no CRC checks, no palette).
/// </summary>
public static class MiniPng
{
    public static byte[] Read(string path, out int width, out int height, out int channels)
    {
        var file = File.ReadAllBytes(path);
        if (!file.AsSpan(0, 8).SequenceEqual(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 }))
            throw new InvalidDataException($"{path}: not a PNG");
        width = height = channels = 0;
        using var idat = new MemoryStream();
        for (int pos = 8; pos + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            var body = file.AsSpan(pos + 8, length);
            if (type == "IHDR")
            {
                width = BinaryPrimitives.ReadInt32BigEndian(body);
                height = BinaryPrimitives.ReadInt32BigEndian(body[4..]);
                channels = body[9] switch { 0 => 1, 4 => 2, 2 => 3, 6 => 4, _ => 0 };
                if (body[8] != 8 || channels == 0 || body[12] != 0)
                    throw new InvalidDataException($"{path}: MiniPng reads only 8-bit non-palette non-interlaced PNGs");
            }
            else if (type == "IDAT") idat.Write(body);
            else if (type == "IEND") break;
            pos += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        int rowBytes = width * channels;
        var raw = new byte[height * (rowBytes + 1)];
        z.ReadExactly(raw);
        var pixels = new byte[height * rowBytes];
        for (int y = 0; y < height; y++)
        {
            int filter = raw[y * (rowBytes + 1)];
            var src = raw.AsSpan(y * (rowBytes + 1) + 1, rowBytes);
            var cur = pixels.AsSpan(y * rowBytes, rowBytes);
            var prev = y > 0 ? pixels.AsSpan((y - 1) * rowBytes, rowBytes) : new byte[rowBytes];
            for (int i = 0; i < rowBytes; i++)
            {
                int a = i >= channels ? cur[i - channels] : 0, b = prev[i], c = i >= channels ? prev[i - channels] : 0;
                int predictor = filter switch
                {
                    0 => 0,
                    1 => a,
                    2 => b,
                    3 => (a + b) >> 1,
                    4 => Paeth(a, b, c),
                    _ => throw new InvalidDataException($"{path}: bad filter {filter}"),
                };
                cur[i] = (byte)(src[i] + predictor);
            }
        }
        return pixels;
    }

    static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
