using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NgpSharp.Compute.Cpu;

/// <summary>Deterministic reductions over host spans (fixed chunking, summed in chunk order).</summary>
public static class CpuReductions
{
    const int Chunk = 1 << 14;

    /// <summary>Σ values in double precision; the same result for any thread count.</summary>
    public static double Sum<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double total = 0;
        for (int start = 0; start < values.Length; start += Chunk)
        {
            var chunk = values.Slice(start, Math.Min(Chunk, values.Length - start));
            total += SumChunk(chunk);
        }
        return total;
    }

    static double SumChunk<T>(ReadOnlySpan<T> chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            var f = MemoryMarshal.Cast<T, float>(chunk);
            var acc = Vector256<double>.Zero;
            int i = 0;
            for (; i + 4 <= f.Length; i += 4)
                acc += Vector256.WidenLower(Vector256.Create(Vector128.Create(f.Slice(i, 4)), Vector128<float>.Zero));
            double s = Vector256.Sum(acc);
            for (; i < f.Length; i++) s += f[i];
            return s;
        }
        double sum = 0;
        foreach (var v in chunk) sum += double.CreateTruncating(v);
        return sum;
    }

    /// <summary>True when no element is NaN or ±∞.</summary>
    public static bool AllFinite<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(float))
        {
            // x − x is 0 for finite x and NaN otherwise; NaN survives the sums.
            var f = MemoryMarshal.Cast<T, float>(values);
            var acc = Vector256<float>.Zero;
            int i = 0;
            for (; i + 8 <= f.Length; i += 8)
            {
                var v = Vector256.Create(f.Slice(i, 8));
                acc += v - v;
            }
            for (; i < f.Length; i++) if (!float.IsFinite(f[i])) return false;
            return Vector256.EqualsAll(acc, Vector256<float>.Zero);
        }
        foreach (var v in values) if (!T.IsFinite(v)) return false;
        return true;
    }
}
