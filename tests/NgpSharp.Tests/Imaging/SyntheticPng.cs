using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NgpSharp.Tests.Imaging;

/// <summary>
/// A deliberately naive PNG writer for tests, written apart from the library's encoder: any colour type and bit
/// depth, Adam7 or not, a chosen filter per row, IDAT split in several chunks, extra chunks (PLTE, tRNS, ...).
/// </summary>
internal static class SyntheticPng
{
    public static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    /// <summary>Samples per pixel stored in the file for a colour type.</summary>
    public static int FileChannels(int colorType) => colorType switch { 0 or 3 => 1, 2 => 3, 4 => 2, _ => 4 };

    /// <param name="samples">[h, w, FileChannels] file sample values (indices for colour type 3).</param>
    /// <param name="filterForRow">filter type (0–4) for the n-th row written, over all passes.</param>
    public static byte[] Build(int w, int h, int colorType, int depth, ushort[] samples, bool interlaced,
        Func<int, int> filterForRow, params (string Type, byte[] Body)[] extraChunks)
    {
        int fc = FileChannels(colorType);
        int bitsPerPixel = fc * depth, bpp = Math.Max(1, bitsPerPixel / 8);
        var rawStream = new MemoryStream();
        int rowCounter = 0;
        (int x0, int y0, int dx, int dy)[] passes = interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)];
        foreach (var (x0, y0, dx, dy) in passes)
        {
            var xs = Enumerable.Range(0, w).Where(x => x >= x0 && (x - x0) % dx == 0).ToArray();
            var ys = Enumerable.Range(0, h).Where(y => y >= y0 && (y - y0) % dy == 0).ToArray();
            if (xs.Length == 0 || ys.Length == 0) continue;
            int stride = (xs.Length * bitsPerPixel + 7) / 8;
            var prior = new byte[stride];
            foreach (int y in ys)
            {
                var row = new byte[stride];
                int bit = 0;
                foreach (int x in xs)
                    for (int c = 0; c < fc; c++, bit += depth)
                    {
                        int v = samples[(y * w + x) * fc + c];
                        if (depth == 16) { row[bit / 8] = (byte)(v >> 8); row[bit / 8 + 1] = (byte)v; }
                        else if (depth == 8) row[bit / 8] = (byte)v;
                        else row[bit / 8] |= (byte)(v << (8 - depth - bit % 8));
                    }
                int filter = filterForRow(rowCounter++);
                rawStream.WriteByte((byte)filter);
                for (int i = 0; i < stride; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    int predictor = filter switch
                    {
                        1 => a,
                        2 => b,
                        3 => (a + b) / 2,
                        4 => pa <= pb && pa <= pc ? a : pb <= pc ? b : c,
                        _ => 0,
                    };
                    rawStream.WriteByte((byte)(row[i] - predictor));
                }
                prior = row;
            }
        }
        byte[] z = Compress(rawStream.ToArray());

        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)colorType;
        ihdr[12] = (byte)(interlaced ? 1 : 0);
        var chunks = new List<(string, byte[])> { ("IHDR", ihdr) };
        chunks.AddRange(extraChunks);
        int half = z.Length / 2; // two IDAT chunks: the reader must join them
        chunks.Add(("IDAT", z[..half]));
        chunks.Add(("IDAT", z[half..]));
        chunks.Add(("IEND", []));
        return Assemble(chunks);
    }

    public static byte[] Compress(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var zs = new ZLibStream(ms, CompressionLevel.Optimal, leaveOpen: true)) zs.Write(raw);
        return ms.ToArray();
    }

    /// <summary>Signature + chunks with correct lengths and CRCs.</summary>
    public static byte[] Assemble(IEnumerable<(string Type, byte[] Body)> chunks)
    {
        var ms = new MemoryStream();
        ms.Write(Signature);
        foreach (var (type, body) in chunks) ms.Write(Chunk(type, body));
        return ms.ToArray();
    }

    public static byte[] Chunk(string type, byte[] body)
    {
        var chunk = new byte[12 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, body.Length);
        Encoding.ASCII.GetBytes(type, chunk.AsSpan(4));
        body.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + body.Length), BitwiseCrc(chunk.AsSpan(4, 4 + body.Length)));
        return chunk;
    }

    /// <summary>CRC-32 bit by bit (no table), independent of the library's.</summary>
    public static uint BitwiseCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>Recomputes the CRC of the chunk starting at <paramref name="offset"/> after a test edited it.</summary>
    public static void FixCrc(byte[] file, int offset)
    {
        int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(offset));
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(offset + 8 + length), BitwiseCrc(file.AsSpan(offset + 4, 4 + length)));
    }

    /// <summary>Offsets of each chunk (its length field) in a PNG file.</summary>
    public static List<(int Offset, string Type, int Length)> Chunks(byte[] file)
    {
        var list = new List<(int, string, int)>();
        for (int at = 8; at + 12 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(at));
            list.Add((at, Encoding.ASCII.GetString(file, at + 4, 4), length));
            at += 12 + length;
        }
        return list;
    }
}
