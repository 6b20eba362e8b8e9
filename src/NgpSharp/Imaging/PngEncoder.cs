using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NgpSharp.Imaging;

/// <summary>
/// PNG writer: 8/16-bit gray, gray+alpha, RGB, RGBA, not interlaced; per-row filter chosen by the minimum sum of
/// absolute filtered bytes (libpng's heuristic); zlib at the default level; IDAT split into 64 KiB chunks.
/// </summary>
internal static class PngEncoder
{
    const int IdatChunkSize = 1 << 16;

    public static byte[] Encode(Image image, int bitDepth)
    {
        if (bitDepth is not (8 or 16)) throw new ArgumentOutOfRangeException(nameof(bitDepth), bitDepth, "PNG bit depth must be 8 or 16");
        int channels = image.Channels;
        int colorType = channels switch { 1 => 0, 2 => 4, 3 => 2, _ => 6 };
        int bytesPerSample = bitDepth / 8;
        int bpp = channels * bytesPerSample;
        long strideLong = (long)image.Width * bpp;
        if ((strideLong + 1) * image.Height > Array.MaxLength)
            throw new ArgumentException($"image {image.Width}×{image.Height}×{channels} at {bitDepth} bits is too large for one PNG buffer");
        int stride = (int)strideLong;

        var filtered = new byte[(long)(stride + 1) * image.Height];
        var current = new byte[stride];
        var prior = new byte[stride];
        var candidate = new byte[stride];
        var data = image.Data;
        float max = bitDepth == 16 ? 65535f : 255f;
        for (int y = 0; y < image.Height; y++)
        {
            var src = data.AsSpan(y * image.Width * channels, image.Width * channels);
            if (bitDepth == 8)
                for (int i = 0; i < src.Length; i++) current[i] = (byte)Quantize(src[i], max);
            else
                for (int i = 0; i < src.Length; i++) BinaryPrimitives.WriteUInt16BigEndian(current.AsSpan(2 * i), (ushort)Quantize(src[i], max));

            var target = filtered.AsSpan(y * (stride + 1) + 1, stride);
            long best = long.MaxValue;
            for (int type = PngFilters.None; type <= PngFilters.Paeth; type++)
            {
                PngFilters.Filter(type, current, prior, bpp, candidate);
                long cost = 0;
                foreach (byte b in candidate) cost += b < 128 ? b : 256 - b; // |b| read as signed
                if (cost < best)
                {
                    best = cost;
                    filtered[y * (stride + 1)] = (byte)type;
                    candidate.CopyTo(target);
                }
            }
            (current, prior) = (prior, current);
        }

        var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(filtered);

        var output = new MemoryStream();
        output.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = (byte)bitDepth;
        header[9] = (byte)colorType;
        header[10] = header[11] = header[12] = 0; // deflate, adaptive filtering, no interlace
        WriteChunk(output, "IHDR", header);
        var z = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        for (int at = 0; at < z.Length; at += IdatChunkSize)
            WriteChunk(output, "IDAT", z.Slice(at, Math.Min(IdatChunkSize, z.Length - at)));
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    /// <summary>Clamps to [0, 1] (NaN → 0) and rounds to the nearest integer level.</summary>
    static int Quantize(float v, float max)
    {
        if (!(v > 0f)) return 0;
        if (v >= 1f) return (int)max;
        return (int)(v * max + 0.5f);
    }

    static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        output.Write(word);
        Span<byte> typeBytes = stackalloc byte[4];
        Encoding.ASCII.GetBytes(type, typeBytes);
        output.Write(typeBytes);
        output.Write(body);
        uint crc = Crc32.Finish(Crc32.Update(Crc32.Update(Crc32.Start, typeBytes), body));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        output.Write(word);
    }
}
