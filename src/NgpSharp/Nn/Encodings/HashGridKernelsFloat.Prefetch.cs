using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NgpSharp.Nn.Encodings;

// Software prefetch for large tables: random samples make every corner read a cache miss, and one step of 8 samples
// has too many dependent instructions for the out-of-order window to reach the next step's loads. So each step first
// computes the corner entries of the step PrefetchSteps ahead and prefetches them; results are unchanged.
internal static unsafe partial class HashGridKernelsFloat
{
    /// <summary>Steps (of 8 samples) between prefetch and use.</summary>
    const int PrefetchSteps = 2;
    /// <summary>Tables of at most this many bytes stay in L2 anyway: no prefetch. (Nor for d &lt; 3: with 2^d ≤ 4
    /// corners a step is short enough for the out-of-order window, and recomputing the corners measured slower.)</summary>
    const long PrefetchMinTableBytes = 512 * 1024;

    /// <summary>Its own corner scratch, so that prefetching does not clobber the step in flight.</summary>
    struct Prefetcher
    {
        public Scratch S;
        public Vector256<int>* Index;
        public Vector256<float>* Weight;
        public byte* Table;
        public int EntryShift;
        public bool Enabled;
    }

    const int PrefetcherBytes = 12 * 32 + 8 * 32 + 16 * 32 + 16 * 32 + 16 * 4 + 31;

    /// <summary>A prefetcher for <paramref name="table"/> (entries of F floats), enabled for tables larger than L2.</summary>
    static Prefetcher NewPrefetcher(Span<byte> block, in GridLevel level, int dims, int features, float* table)
    {
        byte* at = (byte*)(((nint)Unsafe.AsPointer(ref block[0]) + 31) & ~(nint)31);
        var ints = (Vector256<int>*)at; at += 12 * 32;
        var floats = (Vector256<float>*)at; at += 8 * 32;
        var index = (Vector256<int>*)at; at += 16 * 32;
        var weight = (Vector256<float>*)at; at += 16 * 32;
        var s = NewScratch(ints, floats, (int*)at);
        PrepareDense(level, dims, s.CornerOffset);
        return new Prefetcher
        {
            S = s, Index = index, Weight = weight, Table = (byte*)table,
            EntryShift = System.Numerics.BitOperations.Log2((uint)features * 4),
            Enabled = Sse.IsSupported && dims >= 3 && (long)level.Size * features * 4 > PrefetchMinTableBytes,
        };
    }

    /// <summary>Prefetches the corner entries of samples [i, i + 8) when the prefetcher is on and they are in range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Prefetch(in Prefetcher p, in GridLevel level, int dims, bool smoothstep, float* xSoa, int batch, int i, int vecEnd)
    {
        if (!p.Enabled || i + Lanes > vecEnd) return;
        Corners(level, dims, smoothstep, xSoa, batch, i, p.S, p.Index, p.Weight);
        int* idx = (int*)p.Index;
        int count = (1 << dims) * Lanes;
        for (int k = 0; k < count; k++) Sse.Prefetch0(p.Table + ((nint)idx[k] << p.EntryShift));
    }
}
