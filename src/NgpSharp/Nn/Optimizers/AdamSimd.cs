using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// The float Adam update of <see cref="Adam{T}.StepScalar"/>, 16 (AVX-512) or 8 (AVX2) lanes at a time. The only
/// differences from the scalar kernel are in the bias correction (lanes have their own step counts): it is looked up
/// in a <see cref="BiasCorrectionTable"/> (computed in double, so within an ulp of the exact value) or, for betas
/// too close to 1 for a table, computed as exp(n·ln β) (a few ulp from powf); either way it is exactly 1 from the
/// step where it rounds to 1 in float. A partial last vector runs through the same vector code on padded copies, so
/// every element of a region gets the same arithmetic whatever its position.
/// </summary>
internal static class AdamSimd
{
    public static bool IsSupported => Vector512.IsHardwareAccelerated || Vector256.IsHardwareAccelerated;

    /// <summary>
    /// One region: weights, gradients, m, v, steps: [n]. <paramref name="table"/>: the bias corrections for these
    /// betas (see <see cref="BiasCorrectionTable"/>), or null to compute them with exp.
    /// </summary>
    public static unsafe void Step(in AdamKernelArgs a, in AdamRegion r, BiasCorrectionTable? table, Span<float> weights,
        ReadOnlySpan<float> gradients, Span<float> m, Span<float> v, Span<uint> steps)
    {
        if (table is not null && (table.Beta1 != a.Beta1 || table.Beta2 != a.Beta2 || !Avx2.IsSupported)) table = null;
        fixed (float* corrections = table?.Values)
        {
            var k = new Constants(a, r, corrections);
            if (Vector512.IsHardwareAccelerated) Step512(k, weights, gradients, m, v, steps);
            else Step256(k, weights, gradients, m, v, steps);
        }
    }

    /// <summary>Per-call scalars, precomputed once.</summary>
    readonly unsafe struct Constants(in AdamKernelArgs a, in AdamRegion r, float* corrections)
    {
        public readonly float* Corrections = corrections;
        public readonly float LossScale = a.LossScale, Beta1 = a.Beta1, Beta2 = a.Beta2;
        public readonly float OneMinusBeta1 = 1 - a.Beta1, OneMinusBeta2 = 1 - a.Beta2;
        public readonly float LnBeta1 = (float)Math.Log(a.Beta1), LnBeta2 = (float)Math.Log(a.Beta2);
        public readonly float Epsilon = a.Epsilon, Lower = a.LowerBound, Upper = a.UpperBound;
        public readonly float Relative = a.RelativeDecay, Absolute = Math.Abs(a.AbsoluteDecay), Clip = a.ClippingMagnitude;
        public readonly float L2 = r.L2Reg, LearningRate = r.LearningRate;
        public readonly bool SkipZeros = r.SkipZeroGradients;
        public readonly uint SaturatedStep = SaturationStep(a.Beta1, a.Beta2);
    }

    /// <summary>
    /// The step count from which the bias correction c(n) = √(1 − β2ⁿ)/(1 − β1ⁿ) rounds to exactly 1f: with x = β2ⁿ
    /// and y = β1ⁿ ≤ ½, 1 − x ≤ c ≤ 1 + 2y, so x, 2y &lt; 2⁻²⁷ gives |c − 1| &lt; 2⁻²⁶, under half a float ulp at 1.
    /// Lanes past it skip the two exponentials (they dominated the kernel's time).
    /// </summary>
    internal static uint SaturationStep(float beta1, float beta2)
    {
        static double StepsBelow(double beta, double bound) => beta <= 0 ? 1 : Math.Ceiling(Math.Log(bound) / Math.Log(beta));
        double n = Math.Max(1, Math.Max(StepsBelow(beta2, Math.ScaleB(1, -27)), StepsBelow(beta1, Math.ScaleB(1, -28))));
        return n >= uint.MaxValue ? uint.MaxValue : (uint)n;
    }

    static void Step512(in Constants k, Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<uint> s)
    {
        const int W = 16;
        int n = w.Length, full = n - n % W;
        ref float rw = ref MemoryMarshal.GetReference(w), rm = ref MemoryMarshal.GetReference(m), rv = ref MemoryMarshal.GetReference(v);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref uint rs = ref MemoryMarshal.GetReference(s);
        for (int i = 0; i < full; i += W)
            Vector512Body(k, ref Unsafe.Add(ref rw, i), ref Unsafe.Add(ref rg, i), ref Unsafe.Add(ref rm, i), ref Unsafe.Add(ref rv, i), ref Unsafe.Add(ref rs, i));
        if (full == n) return;
        Span<float> tw = stackalloc float[W], tg = stackalloc float[W], tm = stackalloc float[W], tv = stackalloc float[W];
        Span<uint> ts = stackalloc uint[W];
        Tail(k, full, w, g, m, v, s, tw, tg, tm, tv, ts, static (in Constants k, ref float w, ref float g, ref float m, ref float v, ref uint s) => Vector512Body(k, ref w, ref g, ref m, ref v, ref s));
    }

    static void Step256(in Constants k, Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<uint> s)
    {
        const int W = 8;
        int n = w.Length, full = n - n % W;
        ref float rw = ref MemoryMarshal.GetReference(w), rm = ref MemoryMarshal.GetReference(m), rv = ref MemoryMarshal.GetReference(v);
        ref float rg = ref MemoryMarshal.GetReference(g);
        ref uint rs = ref MemoryMarshal.GetReference(s);
        for (int i = 0; i < full; i += W)
            Vector256Body(k, ref Unsafe.Add(ref rw, i), ref Unsafe.Add(ref rg, i), ref Unsafe.Add(ref rm, i), ref Unsafe.Add(ref rv, i), ref Unsafe.Add(ref rs, i));
        if (full == n) return;
        Span<float> tw = stackalloc float[W], tg = stackalloc float[W], tm = stackalloc float[W], tv = stackalloc float[W];
        Span<uint> ts = stackalloc uint[W];
        Tail(k, full, w, g, m, v, s, tw, tg, tm, tv, ts, static (in Constants k, ref float w, ref float g, ref float m, ref float v, ref uint s) => Vector256Body(k, ref w, ref g, ref m, ref v, ref s));
    }

    delegate void Body(in Constants k, ref float w, ref float g, ref float m, ref float v, ref uint s);

    /// <summary>Runs the elements [from, n) through one vector body on zero-padded copies.</summary>
    static void Tail(in Constants k, int from, Span<float> w, ReadOnlySpan<float> g, Span<float> m, Span<float> v, Span<uint> s,
        Span<float> tw, Span<float> tg, Span<float> tm, Span<float> tv, Span<uint> ts, Body body)
    {
        int rest = w.Length - from;
        w[from..].CopyTo(tw); g[from..].CopyTo(tg); m[from..].CopyTo(tm); v[from..].CopyTo(tv); s[from..].CopyTo(ts);
        body(k, ref tw[0], ref tg[0], ref tm[0], ref tv[0], ref ts[0]);
        tw[..rest].CopyTo(w[from..]); tm[..rest].CopyTo(m[from..]); tv[..rest].CopyTo(v[from..]); ts[..rest].CopyTo(s[from..]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Vector512Body(in Constants k, ref float pw, ref float pg, ref float pm, ref float pv, ref uint ps)
    {
        var gradient = Vector512.LoadUnsafe(ref pg) / Vector512.Create(k.LossScale);
        var active = Vector512<float>.AllBitsSet;
        if (k.SkipZeros)
        {
            active = ~Vector512.Equals(gradient, Vector512<float>.Zero);
            if (active == Vector512<float>.Zero) return; // common for hash grids: nothing touched these entries
        }
        var weight = Vector512.LoadUnsafe(ref pw);
        gradient += Vector512.Create(k.L2) * weight;
        var first = Vector512.Create(k.Beta1) * Vector512.LoadUnsafe(ref pm) + Vector512.Create(k.OneMinusBeta1) * gradient;
        var second = Vector512.Create(k.Beta2) * Vector512.LoadUnsafe(ref pv) + Vector512.Create(k.OneMinusBeta2) * (gradient * gradient);
        var steps = Vector512.LoadUnsafe(ref ps) + Vector512<uint>.One;
        var n = Vector512.ConvertToSingle(steps);
        var one = Vector512<float>.One;
        var correction = one;
        // Skipped lanes count as saturated: their correction is never used.
        var saturated = Vector512.GreaterThanOrEqual(steps, Vector512.Create(k.SaturatedStep)) | ~active.AsUInt32();
        if (!Vector512.EqualsAll(saturated, Vector512<uint>.AllBitsSet))
        {
            // Each lane's value depends only on its own n (never on its neighbours): the table holds exactly 1 from
            // the saturation step on, and the exp fallback is overridden with 1 there.
            if (k.Corrections is not null)
                correction = Gather512(k.Corrections, Vector512.Min(steps, Vector512.Create(k.SaturatedStep)).AsInt32());
            else
            {
                var exact = Vector512.Sqrt(one - Vector512.Exp(n * Vector512.Create(k.LnBeta2))) / (one - Vector512.Exp(n * Vector512.Create(k.LnBeta1)));
                correction = Vector512.ConditionalSelect(saturated.AsSingle(), one, exact);
            }
        }
        var lr = Vector512.Create(k.LearningRate) * correction;
        var effective = Vector512.Min(Vector512.Max(lr / (Vector512.Sqrt(second) + Vector512.Create(k.Epsilon)), Vector512.Create(k.Lower)), Vector512.Create(k.Upper));
        var decayed = (one - Vector512.Create(k.Relative) * lr) * weight - Vector512.CopySign(Vector512.Create(k.Absolute) * lr, weight);
        var updated = decayed - effective * first;
        if (k.Clip != 0) updated = Vector512.Clamp(updated, Vector512.Create(-k.Clip), Vector512.Create(k.Clip));

        if (k.SkipZeros)
        {
            // Skipped lanes keep their weight, moments and step count.
            updated = Vector512.ConditionalSelect(active, updated, weight);
            first = Vector512.ConditionalSelect(active, first, Vector512.LoadUnsafe(ref pm));
            second = Vector512.ConditionalSelect(active, second, Vector512.LoadUnsafe(ref pv));
            steps -= ~active.AsUInt32() & Vector512<uint>.One;
        }
        updated.StoreUnsafe(ref pw);
        first.StoreUnsafe(ref pm);
        second.StoreUnsafe(ref pv);
        steps.StoreUnsafe(ref ps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe void Vector256Body(in Constants k, ref float pw, ref float pg, ref float pm, ref float pv, ref uint ps)
    {
        var gradient = Vector256.LoadUnsafe(ref pg) / Vector256.Create(k.LossScale);
        var active = Vector256<float>.AllBitsSet;
        if (k.SkipZeros)
        {
            active = ~Vector256.Equals(gradient, Vector256<float>.Zero);
            if (active == Vector256<float>.Zero) return;
        }
        var weight = Vector256.LoadUnsafe(ref pw);
        gradient += Vector256.Create(k.L2) * weight;
        var first = Vector256.Create(k.Beta1) * Vector256.LoadUnsafe(ref pm) + Vector256.Create(k.OneMinusBeta1) * gradient;
        var second = Vector256.Create(k.Beta2) * Vector256.LoadUnsafe(ref pv) + Vector256.Create(k.OneMinusBeta2) * (gradient * gradient);
        var steps = Vector256.LoadUnsafe(ref ps) + Vector256<uint>.One;
        var n = Vector256.ConvertToSingle(steps);
        var one = Vector256<float>.One;
        var correction = one;
        // Skipped lanes count as saturated: their correction is never used.
        var saturated = Vector256.GreaterThanOrEqual(steps, Vector256.Create(k.SaturatedStep)) | ~active.AsUInt32();
        if (!Vector256.EqualsAll(saturated, Vector256<uint>.AllBitsSet))
        {
            // Each lane's value depends only on its own n (never on its neighbours): the table holds exactly 1 from
            // the saturation step on, and the exp fallback is overridden with 1 there.
            if (k.Corrections is not null)
                correction = Gather256(k.Corrections, Vector256.Min(steps, Vector256.Create(k.SaturatedStep)).AsInt32());
            else
            {
                var exact = Vector256.Sqrt(one - Vector256.Exp(n * Vector256.Create(k.LnBeta2))) / (one - Vector256.Exp(n * Vector256.Create(k.LnBeta1)));
                correction = Vector256.ConditionalSelect(saturated.AsSingle(), one, exact);
            }
        }
        var lr = Vector256.Create(k.LearningRate) * correction;
        var effective = Vector256.Min(Vector256.Max(lr / (Vector256.Sqrt(second) + Vector256.Create(k.Epsilon)), Vector256.Create(k.Lower)), Vector256.Create(k.Upper));
        var decayed = (one - Vector256.Create(k.Relative) * lr) * weight - Vector256.CopySign(Vector256.Create(k.Absolute) * lr, weight);
        var updated = decayed - effective * first;
        if (k.Clip != 0) updated = Vector256.Clamp(updated, Vector256.Create(-k.Clip), Vector256.Create(k.Clip));

        if (k.SkipZeros)
        {
            // Skipped lanes keep their weight, moments and step count.
            updated = Vector256.ConditionalSelect(active, updated, weight);
            first = Vector256.ConditionalSelect(active, first, Vector256.LoadUnsafe(ref pm));
            second = Vector256.ConditionalSelect(active, second, Vector256.LoadUnsafe(ref pv));
            steps -= ~active.AsUInt32() & Vector256<uint>.One;
        }
        updated.StoreUnsafe(ref pw);
        first.StoreUnsafe(ref pm);
        second.StoreUnsafe(ref pv);
        steps.StoreUnsafe(ref ps);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector512<float> Gather512(float* table, Vector512<int> index) =>
        Vector512.Create(Avx2.GatherVector256(table, index.GetLower(), 4), Avx2.GatherVector256(table, index.GetUpper(), 4));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static unsafe Vector256<float> Gather256(float* table, Vector256<int> index) => Avx2.GatherVector256(table, index, 4);
}

/// <summary>
/// c(n) = √(1 − β2ⁿ)/(1 − β1ⁿ) for n = 0 … saturation step (where it is exactly 1f and stays so), computed in
/// double and rounded once; the SIMD kernel gathers from it instead of evaluating two exponentials per lane.
/// </summary>
internal sealed class BiasCorrectionTable
{
    /// <summary>Longest table built (4 MiB); betas closer to 1 than this allows use the exp path.</summary>
    public const int MaxLength = 1 << 20;

    BiasCorrectionTable(float beta1, float beta2, float[] values) { Beta1 = beta1; Beta2 = beta2; Values = values; }

    public float Beta1 { get; }
    public float Beta2 { get; }
    /// <summary>[saturation step + 1], last entry 1.</summary>
    public float[] Values { get; }

    /// <summary>The table for these betas, or null when it would be longer than <see cref="MaxLength"/>.</summary>
    public static BiasCorrectionTable? TryCreate(float beta1, float beta2)
    {
        uint last = AdamSimd.SaturationStep(beta1, beta2);
        if (last >= MaxLength) return null;
        var values = GC.AllocateUninitializedArray<float>((int)last + 1, pinned: true);
        values[0] = 1; // n = 0 never reaches the update (counters are incremented first)
        for (int n = 1; n < values.Length; n++)
            values[n] = (float)(Math.Sqrt(1 - Math.Pow(beta2, n)) / (1 - Math.Pow(beta1, n)));
        values[last] = 1;
        return new BiasCorrectionTable(beta1, beta2, values);
    }
}
