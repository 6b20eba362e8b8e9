using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NgpSharp.Nn.Encodings;

// Position derivatives of a level for F = 2 (the common case; other F run the scalar kernels): the input gradient
// (dL/dx), the Jacobian-vector product J·v and the parameter gradient of a loss on J·v. 8 samples per step, the
// corners' weights w_c and position derivatives ∂w_c/∂x_d computed once per level and sample, table pairs fetched by
// 64-bit gathers. Operation order is that of HashGridKernels<float> / HashGridJacobianKernels<float> (bit-identical).
// Layouts: xSoa, vSoa, dxSoa: [dims, batch]; per-level feature blocks (dL/dy, cotangent, J·v): [batch, 2] pairs.
internal static unsafe partial class HashGridKernelsFloat
{
    /// <summary>Scratch of the derivative kernels: the corner data of 8 samples.</summary>
    struct DerivativeScratch
    {
        public Scratch S;
        public Vector256<int>* Index;          // [corners]
        public Vector256<float>* Weight;       // [corners]
        public Vector256<float>* DWeight;      // [corners, dims] ∂w_c/∂x_d
    }

    /// <summary>Corners, weights and ∂w_c/∂x_d = (±scale·interp'(f_d)) · Π_{o≠d} (w_o or 1 − w_o), o in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void CornersWithDerivatives(in GridLevel level, int dims, bool smoothstep, float* xSoa, int batch, int i, in DerivativeScratch t)
    {
        Corners(level, dims, smoothstep, xSoa, batch, i, t.S, t.Index, t.Weight);
        var one = Vector256<float>.One;
        int corners = 1 << dims;
        for (int c = 0; c < corners; c++)
            for (int d = 0; d < dims; d++)
            {
                var partial = (c & (1 << d)) != 0 ? t.S.D1[d] : -t.S.D1[d];
                for (int o = 0; o < dims; o++)
                    if (o != d) partial *= (c & (1 << o)) != 0 ? t.S.W1[o] : one - t.S.W1[o];
                t.DWeight[c * dims + d] = partial;
            }
    }

    /// <summary>ω_c = Σ_d ∂w_c/∂x_d · v_d (d in order, fused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector256<float> DirectionalWeight(in DerivativeScratch t, int c, int dims, Vector256<float>* v)
    {
        var omega = t.DWeight[c * dims] * v[0];
        for (int d = 1; d < dims; d++) omega = Fma.MultiplyAdd(t.DWeight[c * dims + d], v[d], omega);
        return omega;
    }

    /// <summary>
    /// dL/dx share of one level for samples [start, end): dx_d = Σ_c ∂w_c/∂x_d · ⟨θ[c], dL/dy⟩.
    /// table: the level's [Size, 2] entries; dyPairs: the level's dL/dy block [batch, 2]; dxSoa: the level's part [dims, batch].
    /// </summary>
    public static void InputGradientLevel(in GridLevel level, int dims, GridInterpolation interpolation, float* xSoa, int batch,
        float* table, float* dyPairs, float* dxSoa, int start, int end)
    {
        bool smoothstep = interpolation == GridInterpolation.Smoothstep;
        int corners = 1 << dims, vecEnd = start + (end - start) / Lanes * Lanes;
        var t = NewDerivativeScratch(stackalloc byte[DerivativeScratchBytes]);
        PrepareDense(level, dims, t.S.CornerOffset);
        Vector256<float>* dx = stackalloc Vector256<float>[4];
        var prefetcher = NewPrefetcher(stackalloc byte[PrefetcherBytes], level, dims, 2, table);
        for (int i = start; i < vecEnd; i += Lanes)
        {
            Prefetch(prefetcher, level, dims, smoothstep, xSoa, batch, i + PrefetchSteps * Lanes, vecEnd);
            CornersWithDerivatives(level, dims, smoothstep, xSoa, batch, i, t);
            var dyLo = Avx.LoadVector256(dyPairs + 2 * i);
            var dyHi = Avx.LoadVector256(dyPairs + 2 * i + 8);
            var dySwapLo = Avx.Permute(dyLo, 0b10_11_00_01);
            var dySwapHi = Avx.Permute(dyHi, 0b10_11_00_01);
            for (int d = 0; d < dims; d++) dx[d] = Vector256<float>.Zero;
            for (int c = 0; c < corners; c++)
            {
                var gLo = Avx2.GatherVector256((double*)table, t.Index[c].GetLower(), 8).AsSingle();
                var gHi = Avx2.GatherVector256((double*)table, t.Index[c].GetUpper(), 8).AsSingle();
                // Even lanes: fma(dy₁, θ₁, dy₀·θ₀), the scalar dot; then the 8 samples' dots in sample order.
                var dotLo = Fma.MultiplyAdd(dySwapLo, Avx.Permute(gLo, 0b10_11_00_01), dyLo * gLo);
                var dotHi = Fma.MultiplyAdd(dySwapHi, Avx.Permute(gHi, 0b10_11_00_01), dyHi * gHi);
                var dot = Avx2.Permute4x64(Avx.Shuffle(dotLo, dotHi, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
                for (int d = 0; d < dims; d++) dx[d] = Fma.MultiplyAdd(t.DWeight[c * dims + d], dot, dx[d]);
            }
            for (int d = 0; d < dims; d++) dx[d].Store(dxSoa + d * batch + i);
        }
        if (vecEnd < end)
            HashGridKernels<float>.InputGradientLevel(level, dims, 2, interpolation, new ReadOnlySpan<float>(xSoa, dims * batch), batch,
                new ReadOnlySpan<float>(table, (int)level.Size * 2), new ReadOnlySpan<float>(dyPairs, 2 * batch),
                new Span<float>(dxSoa, dims * batch), vecEnd, end);
    }

    /// <summary>
    /// J·v of one level for samples [start, end): y_f = Σ_c ω_c θ[c, f]. vSoa: [dims, batch]; outPairs: the level's block [batch, 2].
    /// </summary>
    public static void JacobianVectorProductLevel(in GridLevel level, int dims, GridInterpolation interpolation, float* xSoa,
        float* vSoa, int batch, float* table, float* outPairs, int start, int end)
    {
        bool smoothstep = interpolation == GridInterpolation.Smoothstep;
        int corners = 1 << dims, vecEnd = start + (end - start) / Lanes * Lanes;
        var t = NewDerivativeScratch(stackalloc byte[DerivativeScratchBytes]);
        PrepareDense(level, dims, t.S.CornerOffset);
        Vector256<float>* v = stackalloc Vector256<float>[4];
        var dupLo = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var dupHi = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        var prefetcher = NewPrefetcher(stackalloc byte[PrefetcherBytes], level, dims, 2, table);
        for (int i = start; i < vecEnd; i += Lanes)
        {
            Prefetch(prefetcher, level, dims, smoothstep, xSoa, batch, i + PrefetchSteps * Lanes, vecEnd);
            CornersWithDerivatives(level, dims, smoothstep, xSoa, batch, i, t);
            for (int d = 0; d < dims; d++) v[d] = Avx.LoadVector256(vSoa + d * batch + i);
            var accLo = Vector256<float>.Zero;
            var accHi = Vector256<float>.Zero;
            for (int c = 0; c < corners; c++)
            {
                var omega = DirectionalWeight(t, c, dims, v);
                var gLo = Avx2.GatherVector256((double*)table, t.Index[c].GetLower(), 8).AsSingle();
                var gHi = Avx2.GatherVector256((double*)table, t.Index[c].GetUpper(), 8).AsSingle();
                accLo = Fma.MultiplyAdd(Avx2.PermuteVar8x32(omega, dupLo), gLo, accLo);
                accHi = Fma.MultiplyAdd(Avx2.PermuteVar8x32(omega, dupHi), gHi, accHi);
            }
            accLo.Store(outPairs + 2 * i);
            accHi.Store(outPairs + 2 * i + 8);
        }
        if (vecEnd < end)
            HashGridJacobianKernels<float>.JacobianVectorProductLevel(level, dims, 2, interpolation,
                new ReadOnlySpan<float>(xSoa, dims * batch), new ReadOnlySpan<float>(vSoa, dims * batch), batch,
                new ReadOnlySpan<float>(table, (int)level.Size * 2), new Span<float>(outPairs, 2 * batch), vecEnd, end);
    }

    /// <summary>
    /// Parameter gradient of one level, samples [0, batch) in order: entry c += w_c · dL/dy + ω_c · u (u: the cotangent of J·v).
    /// dyPairs, uPairs: the level's blocks [batch, 2]; gradient: the level's [Size, 2] slice.
    /// </summary>
    public static void BackwardJacobianLevel(in GridLevel level, int dims, GridInterpolation interpolation, float* xSoa,
        float* vSoa, int batch, float* dyPairs, float* uPairs, float* gradient)
    {
        bool smoothstep = interpolation == GridInterpolation.Smoothstep;
        int corners = 1 << dims, vecEnd = batch / Lanes * Lanes;
        var t = NewDerivativeScratch(stackalloc byte[DerivativeScratchBytes]);
        PrepareDense(level, dims, t.S.CornerOffset);
        Vector256<float>* v = stackalloc Vector256<float>[4];
        double* pairs = stackalloc double[16 * Lanes];
        int* idx = (int*)t.Index;
        double* grad = (double*)gradient;
        var dupLo = Vector256.Create(0, 0, 1, 1, 2, 2, 3, 3);
        var dupHi = Vector256.Create(4, 4, 5, 5, 6, 6, 7, 7);
        var prefetcher = NewPrefetcher(stackalloc byte[PrefetcherBytes], level, dims, 2, gradient);
        for (int i = 0; i < vecEnd; i += Lanes)
        {
            Prefetch(prefetcher, level, dims, smoothstep, xSoa, batch, i + PrefetchSteps * Lanes, vecEnd);
            CornersWithDerivatives(level, dims, smoothstep, xSoa, batch, i, t);
            for (int d = 0; d < dims; d++) v[d] = Avx.LoadVector256(vSoa + d * batch + i);
            var dyLo = Avx.LoadVector256(dyPairs + 2 * i);
            var dyHi = Avx.LoadVector256(dyPairs + 2 * i + 8);
            var uLo = Avx.LoadVector256(uPairs + 2 * i);
            var uHi = Avx.LoadVector256(uPairs + 2 * i + 8);
            for (int c = 0; c < corners; c++)
            {
                var omega = DirectionalWeight(t, c, dims, v);
                var w = t.Weight[c];
                (Avx2.PermuteVar8x32(w, dupLo) * dyLo + Avx2.PermuteVar8x32(omega, dupLo) * uLo).AsDouble().Store(pairs + c * Lanes);
                (Avx2.PermuteVar8x32(w, dupHi) * dyHi + Avx2.PermuteVar8x32(omega, dupHi) * uHi).AsDouble().Store(pairs + c * Lanes + 4);
            }
            // Scatter in sample-then-corner order, like the scalar kernel (colliding corners add in the same order).
            for (int j = 0; j < Lanes; j++)
                for (int c = 0; c < corners; c++)
                {
                    double* entry = grad + idx[c * Lanes + j];
                    var sum = Sse.Add(Sse2.LoadScalarVector128(entry).AsSingle(), Sse2.LoadScalarVector128(pairs + c * Lanes + j).AsSingle());
                    Sse2.StoreScalar(entry, sum.AsDouble());
                }
        }
        if (vecEnd < batch)
            HashGridJacobianKernels<float>.BackwardLevel(level, dims, 2, interpolation,
                new ReadOnlySpan<float>(xSoa, dims * batch), new ReadOnlySpan<float>(vSoa, dims * batch), batch,
                new ReadOnlySpan<float>(dyPairs, 2 * batch), new ReadOnlySpan<float>(uPairs, 2 * batch),
                new Span<float>(gradient, (int)level.Size * 2), vecEnd, batch);
    }

    const int DerivativeScratchBytes = 12 * 32 + 8 * 32 + 16 * 4 + 16 * 32 + 16 * 32 + 64 * 32 + 31;

    /// <summary>Carves the derivative kernels' scratch out of one 32-byte-aligned stack block.</summary>
    static DerivativeScratch NewDerivativeScratch(Span<byte> block)
    {
        byte* at = (byte*)(((nint)Unsafe.AsPointer(ref block[0]) + 31) & ~(nint)31);
        var ints = (Vector256<int>*)at; at += 12 * 32;
        var floats = (Vector256<float>*)at; at += 8 * 32;
        var index = (Vector256<int>*)at; at += 16 * 32;
        var weight = (Vector256<float>*)at; at += 16 * 32;
        var dWeight = (Vector256<float>*)at; at += 64 * 32;
        var offsets = (int*)at;
        var s = NewScratch(ints, floats, offsets);
        s.D1 = floats + 4;
        return new DerivativeScratch { S = s, Index = index, Weight = weight, DWeight = dWeight };
    }
}
