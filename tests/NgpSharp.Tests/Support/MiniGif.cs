namespace NgpSharp.Tests.Support;

/// <summary>A small GIF89a decoder for tests: frames as packed 0xRRGGBB, delays, loop count. No interlace.</summary>
public static class MiniGif
{
    public sealed record Frame(int Left, int Top, int Width, int Height, int[] Rgb, int DelayCentiseconds, int LocalPaletteSize);

    public sealed record Gif(int Width, int Height, int? LoopCount, int GlobalPaletteSize, List<Frame> Frames);

    public static Gif Decode(byte[] data)
    {
        int pos = 0;
        byte U8() => pos < data.Length ? data[pos++] : throw new InvalidDataException($"truncated at {pos}");
        int U16() { int lo = U8(); return lo | (U8() << 8); }
        string sig = System.Text.Encoding.ASCII.GetString(data, 0, 6);
        if (sig != "GIF89a" && sig != "GIF87a") throw new InvalidDataException("not a GIF");
        pos = 6;
        int width = U16(), height = U16();
        int flags = U8(); U8(); U8();
        int[]? global = null;
        if ((flags & 0x80) != 0) global = ReadTable(1 << ((flags & 7) + 1));
        int? loops = null;
        int delay = 0;
        var frames = new List<Frame>();
        while (true)
        {
            byte b = U8();
            if (b == 0x3B) break;
            if (b == 0x21)
            {
                byte label = U8();
                var blocks = ReadSubBlocks();
                if (label == 0xF9) delay = blocks[1] | (blocks[2] << 8);
                if (label == 0xFF && System.Text.Encoding.ASCII.GetString(blocks, 0, 11) == "NETSCAPE2.0") loops = blocks[12] | (blocks[13] << 8);
                continue;
            }
            if (b != 0x2C) throw new InvalidDataException($"unexpected block 0x{b:X2} at {pos - 1}");
            int left = U16(), top = U16(), w = U16(), h = U16();
            int f = U8();
            if ((f & 0x40) != 0) throw new NotSupportedException("interlaced");
            int[]? local = (f & 0x80) != 0 ? ReadTable(1 << ((f & 7) + 1)) : null;
            var palette = local ?? global ?? throw new InvalidDataException("no colour table");
            int minCode = U8();
            var indices = Lzw(ReadSubBlocks(), minCode, w * h);
            frames.Add(new Frame(left, top, w, h, indices.Select(i => palette[i]).ToArray(), delay, local?.Length ?? 0));
        }
        return new Gif(width, height, loops, global?.Length ?? 0, frames);

        int[] ReadTable(int n)
        {
            var t = new int[n];
            for (int i = 0; i < n; i++) t[i] = (U8() << 16) | (U8() << 8) | U8();
            return t;
        }

        byte[] ReadSubBlocks()
        {
            var ms = new MemoryStream();
            while (true)
            {
                int len = U8();
                if (len == 0) return ms.ToArray();
                if (pos + len > data.Length) throw new InvalidDataException("truncated sub-block");
                ms.Write(data, pos, len);
                pos += len;
            }
        }
    }

    /// <summary>LZW decoding with variable code width (no early change), clear and end codes.</summary>
    public static byte[] Lzw(byte[] bytes, int minCode, int pixelCount)
    {
        int clear = 1 << minCode, end = clear + 1;
        var prefix = new int[4096];
        var suffix = new byte[4096];
        var length = new int[4096];
        for (int i = 0; i < clear; i++) { prefix[i] = -1; suffix[i] = (byte)i; length[i] = 1; }
        int width = minCode + 1, next = end + 1, prev = -1;
        var output = new List<byte>(pixelCount);
        long bitPos = 0;
        bool sawEnd = false;
        while (bitPos + width <= bytes.Length * 8L)
        {
            int code = 0;
            for (int i = 0; i < width; i++, bitPos++) code |= ((bytes[bitPos >> 3] >> (int)(bitPos & 7)) & 1) << i;
            if (code == clear) { width = minCode + 1; next = end + 1; prev = -1; continue; }
            if (code == end) { sawEnd = true; break; }
            if (code > next || (code == next && prev < 0)) throw new InvalidDataException($"bad LZW code {code} (next {next})");
            byte[] entry;
            if (code < next) entry = Expand(code);
            else { var p = Expand(prev); entry = [.. p, p[0]]; }
            output.AddRange(entry);
            if (prev >= 0 && next < 4096)
            {
                prefix[next] = prev; suffix[next] = entry[0]; length[next] = length[prev] + 1;
                next++;
                if (next == (1 << width) && width < 12) width++;
            }
            prev = code;
        }
        if (!sawEnd) throw new InvalidDataException("no LZW end code");
        if (output.Count != pixelCount) throw new InvalidDataException($"LZW gave {output.Count} pixels, expected {pixelCount}");
        return [.. output];

        byte[] Expand(int code)
        {
            var e = new byte[length[code]];
            for (int i = e.Length - 1, c = code; i >= 0; i--, c = prefix[c]) e[i] = suffix[c];
            return e;
        }
    }
}
