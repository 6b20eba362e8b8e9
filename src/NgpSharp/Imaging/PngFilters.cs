using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NgpSharp.Imaging;

/// <summary>The five PNG row filters (None, Sub, Up, Average, Paeth), both directions.</summary>
internal static class PngFilters
{
    public const int None = 0, Sub = 1, Up = 2, Average = 3, Paeth = 4;

    /// <summary>
    /// Undoes filter <paramref name="type"/> on <paramref name="row"/> in place. <paramref name="prior"/> is the
    /// already reconstructed previous row of the same pass (all zeros for the first row), same length.
    /// <paramref name="bpp"/> is bytes per complete pixel, at least 1. Returns false for an unknown filter type.
    /// </summary>
    public static bool Unfilter(int type, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        int n = row.Length;
        prior = prior[..n];
        switch (type)
        {
            case None:
                return true;
            case Sub:
                for (int i = bpp; i < n; i++) row[i] += row[i - bpp];
                return true;
            case Up:
                for (int i = 0; i < n; i++) row[i] += prior[i];
                return true;
            case Average:
                for (int i = 0; i < bpp && i < n; i++) row[i] += (byte)(prior[i] >> 1);
                for (int i = bpp; i < n; i++) row[i] += (byte)((row[i - bpp] + prior[i]) >> 1);
                return true;
            case Paeth:
                for (int i = 0; i < bpp && i < n; i++) row[i] += prior[i]; // left and upper-left are 0: predictor is up
                UnPaeth(row, prior, bpp);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Paeth reconstruction from byte <paramref name="bpp"/> on; the hot loop of most decodes, so without bounds checks.</summary>
    static void UnPaeth(Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        int n = row.Length;
        if (n <= bpp) return;
        ref byte r = ref MemoryMarshal.GetReference(row);
        ref byte p = ref MemoryMarshal.GetReference(prior); // prior.Length == n, checked by the caller's slice
        for (int i = bpp; i < n; i++)
        {
            int a = Unsafe.Add(ref r, i - bpp), b = Unsafe.Add(ref p, i), c = Unsafe.Add(ref p, i - bpp);
            int pa = Math.Abs(b - c), pb = Math.Abs(a - c), pc = Math.Abs(a + b - c - c);
            int predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            Unsafe.Add(ref r, i) += (byte)predicted;
        }
    }

    /// <summary>
    /// Writes filter <paramref name="type"/> of <paramref name="row"/> (given the previous raw row
    /// <paramref name="prior"/>, zeros for the first) into <paramref name="output"/>, same length.
    /// </summary>
    public static void Filter(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        int n = row.Length;
        for (int i = 0; i < n; i++)
        {
            int left = i >= bpp ? row[i - bpp] : 0;
            int upLeft = i >= bpp ? prior[i - bpp] : 0;
            int up = prior[i];
            int predicted = type switch
            {
                Sub => left,
                Up => up,
                Average => (left + up) >> 1,
                Paeth => PaethPredictor(left, up, upLeft),
                _ => 0,
            };
            output[i] = (byte)(row[i] - predicted);
        }
    }

    /// <summary>The Paeth predictor of the PNG spec: whichever of a (left), b (up), c (upper-left) is nearest a+b−c.</summary>
    static byte PaethPredictor(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc) return (byte)a;
        return pb <= pc ? (byte)b : (byte)c;
    }
}
