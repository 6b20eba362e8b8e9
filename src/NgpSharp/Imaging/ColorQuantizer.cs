namespace NgpSharp.Imaging;

/// <summary>How colours between palette entries are rendered.</summary>
public enum GifDither { None, Ordered, FloydSteinberg }

/// <summary>
/// Palettes for indexed images: exact when there are ≤ maxColors distinct colours, else median cut (split the box
/// with the widest channel range at its pixel-weighted median, palette = weighted box means). Colours are packed
/// 0xRRGGBB ints.
/// </summary>
static class ColorQuantizer
{
    /// <summary>A palette for <paramref name="pixels"/>; <paramref name="exact"/> says every pixel colour is in it.</summary>
    public static int[] BuildPalette(ReadOnlySpan<int> pixels, int maxColors, out bool exact)
    {
        var counts = new Dictionary<int, int>();
        foreach (int p in pixels) counts[p] = counts.GetValueOrDefault(p) + 1;
        exact = counts.Count <= maxColors;
        if (exact) return [.. counts.Keys.Order()];
        var colors = counts.Keys.ToArray();
        var weights = new long[colors.Length];
        for (int i = 0; i < colors.Length; i++) weights[i] = counts[colors[i]];
        // Each box remembers its widest channel and that channel's range, so picking the next split is O(boxes).
        var boxes = new List<(int Start, int Length, int Range, int Channel)> { Measure(colors, 0, colors.Length) };
        while (boxes.Count < maxColors)
        {
            int best = -1, bestRange = 0;
            for (int b = 0; b < boxes.Count; b++)
                if (boxes[b].Length > 1 && boxes[b].Range > bestRange) { bestRange = boxes[b].Range; best = b; }
            if (best < 0) break;
            var (start, length, _, channel) = boxes[best];
            int shift = 16 - 8 * channel;
            var keys = new int[length];
            for (int i = 0; i < length; i++) keys[i] = (((colors[start + i] >> shift) & 255) << 24) | (colors[start + i] & 0xFFFFFF);
            var order = Enumerable.Range(start, length).ToArray();
            Array.Sort(keys, order);
            var sortedColors = order.Select(i => colors[i]).ToArray();
            var sortedWeights = order.Select(i => weights[i]).ToArray();
            sortedColors.CopyTo(colors, start);
            sortedWeights.CopyTo(weights, start);
            long total = 0;
            for (int i = start; i < start + length; i++) total += weights[i];
            long acc = 0;
            int split = start + 1;
            for (int i = start; i < start + length - 1; i++)
            {
                acc += weights[i];
                split = i + 1;
                if (2 * acc >= total) break;
            }
            boxes[best] = Measure(colors, start, split - start);
            boxes.Add(Measure(colors, split, start + length - split));
        }
        var palette = new int[boxes.Count];
        for (int b = 0; b < boxes.Count; b++)
        {
            double r = 0, g = 0, bl = 0, w = 0;
            for (int i = boxes[b].Start; i < boxes[b].Start + boxes[b].Length; i++)
            {
                int c = colors[i];
                r += weights[i] * ((c >> 16) & 255); g += weights[i] * ((c >> 8) & 255); bl += weights[i] * (c & 255); w += weights[i];
            }
            palette[b] = ((int)Math.Round(r / w) << 16) | ((int)Math.Round(g / w) << 8) | (int)Math.Round(bl / w);
        }
        return palette;
    }

    static (int Start, int Length, int Range, int Channel) Measure(int[] colors, int start, int length)
    {
        int bestRange = -1, bestChannel = 0;
        for (int c = 0; c < 3; c++)
        {
            int shift = 16 - 8 * c, lo = 255, hi = 0;
            for (int i = start; i < start + length; i++) { int v = (colors[i] >> shift) & 255; lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            if (hi - lo > bestRange) { bestRange = hi - lo; bestChannel = c; }
        }
        return (start, length, bestRange, bestChannel);
    }

    /// <summary>Palette indices for pixels: [height, width] row-major. Exact palettes map exactly (no dithering).</summary>
    public static byte[] Map(ReadOnlySpan<int> pixels, int width, int height, int[] palette, GifDither dither)
    {
        var result = new byte[pixels.Length];
        var cache = new Dictionary<int, byte>();
        for (int i = 0; i < palette.Length; i++) cache.TryAdd(palette[i], (byte)i);
        byte Nearest(int c)
        {
            if (cache.TryGetValue(c, out byte idx)) return idx;
            int r = (c >> 16) & 255, g = (c >> 8) & 255, b = c & 255, best = 0, bestD = int.MaxValue;
            for (int i = 0; i < palette.Length; i++)
            {
                int p = palette[i], dr = r - ((p >> 16) & 255), dg = g - ((p >> 8) & 255), db = b - (p & 255);
                int d = dr * dr + dg * dg + db * db;
                if (d < bestD) { bestD = d; best = i; }
            }
            cache[c] = (byte)best;
            return (byte)best;
        }
        bool allInPalette = true;
        foreach (int p in pixels) if (!cache.ContainsKey(p)) { allInPalette = false; break; }
        if (allInPalette || dither == GifDither.None)
        {
            for (int i = 0; i < pixels.Length; i++) result[i] = Nearest(pixels[i]);
            return result;
        }
        if (dither == GifDither.Ordered)
        {
            double spread = 255.0 / Math.Cbrt(palette.Length);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    double t = (Bayer8(x & 7, y & 7) + 0.5) / 64.0 - 0.5;
                    int o = (int)Math.Round(t * spread);
                    int c = pixels[y * width + x];
                    result[y * width + x] = Nearest(Pack(((c >> 16) & 255) + o, ((c >> 8) & 255) + o, (c & 255) + o));
                }
            return result;
        }
        // Floyd–Steinberg: error spread 7/16 right, 3/16 down-left, 5/16 down, 1/16 down-right.
        var err = new float[2, width + 2, 3];
        for (int y = 0; y < height; y++)
        {
            int cur = y & 1, nxt = cur ^ 1;
            for (int x = 0; x < width + 2; x++) for (int ch = 0; ch < 3; ch++) err[nxt, x, ch] = 0;
            for (int x = 0; x < width; x++)
            {
                int c = pixels[y * width + x];
                Span<int> want = [((c >> 16) & 255) + (int)MathF.Round(err[cur, x + 1, 0]), ((c >> 8) & 255) + (int)MathF.Round(err[cur, x + 1, 1]), (c & 255) + (int)MathF.Round(err[cur, x + 1, 2])];
                byte idx = Nearest(Pack(want[0], want[1], want[2]));
                result[y * width + x] = idx;
                int p = palette[idx];
                Span<int> got = [(p >> 16) & 255, (p >> 8) & 255, p & 255];
                for (int ch = 0; ch < 3; ch++)
                {
                    float e = Math.Clamp(want[ch], 0, 255) - got[ch];
                    err[cur, x + 2, ch] += e * 7 / 16;
                    err[nxt, x, ch] += e * 3 / 16;
                    err[nxt, x + 1, ch] += e * 5 / 16;
                    err[nxt, x + 2, ch] += e * 1 / 16;
                }
            }
        }
        return result;
    }

    static int Pack(int r, int g, int b) => (Math.Clamp(r, 0, 255) << 16) | (Math.Clamp(g, 0, 255) << 8) | Math.Clamp(b, 0, 255);

    // The 8×8 Bayer threshold matrix, value 0..63.
    static int Bayer8(int x, int y)
    {
        int v = 0;
        for (int bit = 0; bit < 3; bit++)
        {
            int xb = (x >> bit) & 1, yb = (y >> bit) & 1;
            v = (v << 2) | ((xb ^ yb) << 1) | yb;
        }
        return v;
    }
}
