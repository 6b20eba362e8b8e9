using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// AVX2/FMA float kernels for Linear and Smoothstep grids: 8 samples per step, cell and index math in int vectors,
/// table reads by AVX2 gathers. Results are bit-identical to <see cref="HashGridKernels{T}"/> with T = float (same
/// operation order, fused multiply-adds in the same places); the remainder of a range runs the scalar kernel.
/// </summary>
[SkipLocalsInit]
internal static unsafe partial class HashGridKernelsFloat
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>Samples per SIMD step.</summary>
    const int Lanes = 8;

    /// <summary>Per-level SIMD constants and scratch, set up once per kernel call (no stackalloc per step).</summary>
    struct Scratch
    {
        public Vector256<int>* Cell, Lo, Hi;
        public Vector256<float>* W1;
        /// <summary>When set, Corners also writes scale · interp'(f) per dimension here (for position derivatives).</summary>
        public Vector256<float>* D1;
        /// <summary>Dense index offset of each corner: Σ_d bit_d · res^d.</summary>
        public int* CornerOffset;
    }

    static void PrepareDense(in GridLevel level, int dims, int* cornerOffset)
    {
        uint* strides = stackalloc uint[4];
        uint stride = 1;
        for (int d = 0; d < dims; d++) { strides[d] = stride; stride = unchecked(stride * level.Resolution); }
        for (int c = 0; c < 1 << dims; c++)
        {
            uint offset = 0;
            for (int d = 0; d < dims; d++) if ((c & (1 << d)) != 0) offset = unchecked(offset + strides[d]);
            cornerOffset[c] = (int)offset;
        }
    }

    /// <summary>Corner entry indices (in entries, not floats) and weights of 8 samples: [corner] × 8 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Corners(in GridLevel level, int dims, bool smoothstep, float* xSoa, int batch, int i,
        in Scratch s, Vector256<int>* index, Vector256<float>* weight)
    {
        Vector256<float> scale = Vector256.Create(level.Scale), half = Vector256.Create(0.5f), one = Vector256<float>.One;
        for (int d = 0; d < dims; d++)
        {
            var x = Avx.LoadVector256(xSoa + d * batch + i);
            var pos = Fma.MultiplyAdd(x, scale, half);
            var floor = Avx.Floor(pos);
            var f = pos - floor;
            s.Cell[d] = Avx.ConvertToVector256Int32WithTruncation(floor);
            s.W1[d] = smoothstep ? f * f * (Vector256.Create(3f) - Vector256.Create(2f) * f) : f;
            // The scalar PosFract order: (6f)(1 − f), then · scale.
            if (s.D1 != null) s.D1[d] = smoothstep ? Vector256.Create(6f) * f * (one - f) * scale : scale;
        }

        int corners = 1 << dims;
        for (int c = 0; c < corners; c++)
        {
            var w = one;
            for (int d = 0; d < dims; d++) w *= (c & (1 << d)) != 0 ? s.W1[d] : one - s.W1[d];
            weight[c] = w;
        }

        if (level.Hashed)
        {
            // XOR_d (cell_d + bit_d)·π_d with uint32 wrap-around; hashed levels have a power-of-two size.
            for (int d = 0; d < dims; d++)
            {
                var prime = Vector256.Create((int)HashGridLayout.Primes[d]);
                s.Lo[d] = Avx2.MultiplyLow(s.Cell[d], prime);
                s.Hi[d] = s.Lo[d] + prime;
            }
            var mask = Vector256.Create((int)(level.Size - 1));
            for (int c = 0; c < corners; c++)
            {
                var h = (c & 1) != 0 ? s.Hi[0] : s.Lo[0];
                for (int d = 1; d < dims; d++) h ^= (c & (1 << d)) != 0 ? s.Hi[d] : s.Lo[d];
                index[c] = h & mask;
            }
            return;
        }

        if (!level.DenseIndexable)
        {
            for (int c = 0; c < corners; c++) index[c] = Vector256<int>.Zero;
            return;
        }
        var baseIndex = s.Cell[0];
        int stride = (int)level.Resolution;
        for (int d = 1; d < dims; d++)
        {
            baseIndex += Avx2.MultiplyLow(s.Cell[d], Vector256.Create(stride));
            stride = unchecked(stride * (int)level.Resolution);
        }
        for (int c = 0; c < corners; c++) index[c] = Modulo(baseIndex + Vector256.Create(s.CornerOffset[c]), level);
    }

    /// <summary>index mod Size as uint32: a mask, one conditional subtraction (the upper grid edge), or per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<int> Modulo(Vector256<int> index, in GridLevel level)
    {
        if (level.SizeIsPow2) return index & Vector256.Create((int)(level.Size - 1));
        var size = Vector256.Create(level.Size);
        var u = index.AsUInt32();
        u = Vector256.ConditionalSelect(Vector256.GreaterThanOrEqual(u, size), u - size, u);
        return Vector256.LessThanAll(u, size) ? u.AsInt32() : ModuloPerLane(index, level.Size);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static Vector256<int> ModuloPerLane(Vector256<int> index, uint size)
    {
        uint* lanes = stackalloc uint[Lanes];
        index.AsUInt32().Store(lanes);
        for (int j = 0; j < Lanes; j++) lanes[j] %= size;
        return Vector256.Load(lanes).AsInt32();
    }

    /// <summary>
    /// Float forward of one level for samples [start, end) (shapes as <see cref="HashGridKernels{T}.ForwardLevel"/>);
    /// the table starts at parameters[paramOffset + level.Offset·F], the level's output rows at features[featureOffset].
    /// </summary>
    public static void ForwardLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        float[] xSoa, int batch, float[] parameters, long paramOffset, float[] levelFeatures, int featureOffset, int start, int end)
    {
        bool smoothstep = interpolation == GridInterpolation.Smoothstep;
        int corners = 1 << dims;
        int shift = System.Numerics.BitOperations.Log2((uint)features);
        int vecEnd = start + (end - start) / Lanes * Lanes;
        Vector256<int>* index = stackalloc Vector256<int>[16];
        Vector256<float>* weight = stackalloc Vector256<float>[16];
        Vector256<float>* acc = stackalloc Vector256<float>[8];
        Vector256<int>* ints = stackalloc Vector256<int>[12];
        Vector256<float>* floats = stackalloc Vector256<float>[4];
        int* offsets = stackalloc int[16];
        var s = NewScratch(ints, floats, offsets);
        PrepareDense(level, dims, s.CornerOffset);
        long tableStart = paramOffset + level.Offset * features;
        fixed (float* x = xSoa, p = parameters, y = levelFeatures)
        {
            float* table = p + tableStart;
            float* outRows = y + featureOffset;
            var prefetcher = NewPrefetcher(stackalloc byte[PrefetcherBytes], level, dims, features, table);
            for (int i = start; i < vecEnd; i += Lanes)
            {
                Prefetch(prefetcher, level, dims, smoothstep, x, batch, i + PrefetchSteps * Lanes, vecEnd);
                Corners(level, dims, smoothstep, x, batch, i, s, index, weight);
                if (features == 2)
                {
                    ForwardTwoFeatures((double*)table, corners, index, weight, outRows + i * 2);
                    continue;
                }
                for (int f = 0; f < features; f++) acc[f] = Vector256<float>.Zero;
                for (int c = 0; c < corners; c++)
                {
                    var at = Vector256.ShiftLeft(index[c], shift);
                    for (int f = 0; f < features; f++)
                        acc[f] = Fma.MultiplyAdd(weight[c], Avx2.GatherVector256(table + f, at, 4), acc[f]);
                }
                float* lanes = (float*)index; // index is consumed: reuse it to interleave [lane, F]
                for (int f = 0; f < features; f++) acc[f].Store(lanes + f * Lanes);
                for (int j = 0; j < Lanes; j++)
                    for (int f = 0; f < features; f++) outRows[(i + j) * features + f] = lanes[f * Lanes + j];
            }
        }
        if (vecEnd < end)
        {
            var table = parameters.AsSpan((int)tableStart, (int)level.Size * features);
            HashGridKernels<float>.ForwardLevel(level, dims, features, interpolation, xSoa, batch, table,
                levelFeatures.AsSpan(featureOffset, features * batch), vecEnd, end);
        }
    }

    /// <summary>
    /// Float param-gradient scatter of one level, in sample order (see <see cref="HashGridKernels{T}.BackwardLevel"/>);
    /// the level's dL/dy rows start at gradOutSoa[gradOutOffset], its gradient slice at gradients[gradientOffset + level.Offset·F].
    /// </summary>
    public static void BackwardLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        float[] xSoa, int batch, float[] gradOutSoa, int gradOutOffset, float[] gradients, long gradientOffset, int start, int end)
    {
        bool smoothstep = interpolation == GridInterpolation.Smoothstep;
        int corners = 1 << dims;
        int vecEnd = start + (end - start) / Lanes * Lanes;
        Vector256<int>* index = stackalloc Vector256<int>[16];
        Vector256<float>* weight = stackalloc Vector256<float>[16];
        Vector256<int>* ints = stackalloc Vector256<int>[12];
        Vector256<float>* floats = stackalloc Vector256<float>[4];
        int* offsets = stackalloc int[16];
        var s = NewScratch(ints, floats, offsets);
        PrepareDense(level, dims, s.CornerOffset);
        int* idx = (int*)index;
        float* wt = (float*)weight;
        double* pairs = stackalloc double[16 * Lanes];
        long gradStart = gradientOffset + level.Offset * features;
        fixed (float* x = xSoa, dy = gradOutSoa, g = gradients)
        {
            float* grad = g + gradStart;
            float* dyRows = dy + gradOutOffset;
            var prefetcher = NewPrefetcher(stackalloc byte[PrefetcherBytes], level, dims, features, grad);
            for (int i = start; i < vecEnd; i += Lanes)
            {
                Prefetch(prefetcher, level, dims, smoothstep, x, batch, i + PrefetchSteps * Lanes, vecEnd);
                Corners(level, dims, smoothstep, x, batch, i, s, index, weight);
                if (features == 2)
                {
                    BackwardTwoFeatures((double*)grad, corners, idx, weight, pairs, dyRows + i * 2);
                    continue;
                }
                for (int j = 0; j < Lanes; j++)
                {
                    for (int c = 0; c < corners; c++)
                    {
                        float* entry = grad + idx[c * Lanes + j] * features;
                        float wj = wt[c * Lanes + j];
                        for (int f = 0; f < features; f++) entry[f] += wj * dyRows[(i + j) * features + f];
                    }
                }
            }
        }
        if (vecEnd < end)
        {
            var grad = gradients.AsSpan((int)gradStart, (int)level.Size * features);
            HashGridKernels<float>.BackwardLevel(level, dims, features, interpolation, xSoa, batch,
                gradOutSoa.AsSpan(gradOutOffset, features * batch), grad, vecEnd, end);
        }
    }

    /// <summary>
    /// F = 2: each entry is one 8-byte pair, fetched by 64-bit gathers (4 per instruction, half the element loads of
    /// two float gathers) and accumulated as (f0, f1) pairs in corner order like the scalar kernel; the pairs are
    /// already the [batch, 2] layout of the level block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void ForwardTwoFeatures(double* table, int corners, Vector256<int>* index, Vector256<float>* weight, float* outPairs)
    {
        var dupLo = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var dupHi = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        var accLo = Vector256<float>.Zero; // samples 0..3
        var accHi = Vector256<float>.Zero; // samples 4..7
        for (int c = 0; c < corners; c++)
        {
            var gLo = Avx2.GatherVector256(table, index[c].GetLower(), 8).AsSingle();
            var gHi = Avx2.GatherVector256(table, index[c].GetUpper(), 8).AsSingle();
            accLo = Fma.MultiplyAdd(Avx2.PermuteVar8x32(weight[c], dupLo), gLo, accLo);
            accHi = Fma.MultiplyAdd(Avx2.PermuteVar8x32(weight[c], dupHi), gHi, accHi);
        }
        accLo.Store(outPairs);
        accHi.Store(outPairs + 8);
    }

    /// <summary>
    /// F = 2 scatter: contributions w·dL/dy as (f0, f1) pairs, added to each entry with one 8-byte load/add/store, in
    /// sample-then-corner order (the same additions as the scalar kernel, so the same bits).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void BackwardTwoFeatures(double* grad, int corners, int* idx, Vector256<float>* weight, double* pairs, float* dyPairs)
    {
        var dupLo = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var dupHi = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        var dyLo = Avx.LoadVector256(dyPairs);
        var dyHi = Avx.LoadVector256(dyPairs + 8);
        for (int c = 0; c < corners; c++)
        {
            (Avx2.PermuteVar8x32(weight[c], dupLo) * dyLo).AsDouble().Store(pairs + c * Lanes);
            (Avx2.PermuteVar8x32(weight[c], dupHi) * dyHi).AsDouble().Store(pairs + c * Lanes + 4);
        }
        for (int j = 0; j < Lanes; j++)
        {
            for (int c = 0; c < corners; c++)
            {
                double* entry = grad + idx[c * Lanes + j];
                var sum = Sse.Add(Sse2.LoadScalarVector128(entry).AsSingle(), Sse2.LoadScalarVector128(pairs + c * Lanes + j).AsSingle());
                Sse2.StoreScalar(entry, sum.AsDouble());
            }
        }
    }

    static Scratch NewScratch(Vector256<int>* ints, Vector256<float>* floats, int* offsets) =>
        new() { Cell = ints, Lo = ints + 4, Hi = ints + 8, W1 = floats, CornerOffset = offsets };
}
