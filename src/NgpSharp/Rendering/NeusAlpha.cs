using System.Numerics;
using System.Runtime.CompilerServices;

namespace NgpSharp.Rendering;

/// <summary>
/// NeuS's discrete opacity of one sample (instant-nsr-pl models/neus.py get_alpha, sdf2weight 'neus'), shared by
/// the renderer and the occupancy estimate. With s = inv_s, δ = t1 − t0, cos = ⟨dir, n⟩ and anneal ratio r:
/// iter_cos = −(relu(−cos·0.5 + 0.5)(1 − r) + relu(−cos)·r) ≤ 0, prev/next = sdf ∓ iter_cos·δ/2,
/// α = clip((σ(prev·s) − σ(next·s) + 1e-5) / (σ(prev·s) + 1e-5), 0, 1).
/// Derivatives follow PyTorch: relu'(0) = 0, and the clip passes the gradient on its closed range [0, 1].
/// </summary>
public static class NeusAlpha
{
    /// <summary>The 1e-5 added to numerator and denominator of α.</summary>
    public const double Epsilon = 1e-5;

    /// <summary>instant-nsr-pl clips inv_s to this range wherever it uses it.</summary>
    public const double MinInvS = 1e-6, MaxInvS = 1e6;

    /// <summary>instant-nsr-pl's grid_prune_occ_thre for NeuS configs: a cell is occupied when its α exceeds this.</summary>
    public const double OccupancyThreshold = 1e-3;

    /// <summary>
    /// instant-nsr-pl's render_step_size = 1.732·2·radius / num_samples_per_ray (its literal 1.732, not √3): the
    /// marching step inside the scene box [−radius, radius]³ and the δ of the occupancy estimate.
    /// </summary>
    public static double RenderStepSize(double radius, int samplesPerRay)
    {
        if (!(radius > 0) || samplesPerRay < 1)
            throw new ArgumentOutOfRangeException(nameof(radius), $"neus: render step size needs radius > 0 and samples per ray ≥ 1 (got {radius}, {samplesPerRay})");
        return 1.732 * 2 * radius / samplesPerRay;
    }

    /// <summary>iter_cos for cos = ⟨dir, n⟩ and anneal ratio r, with d iter_cos / d cos.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T IterCos<T>(T cos, T ratio, out T dIterCosDCos) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T half = T.CreateChecked(0.5);
        T a = half - cos * half, b = -cos;
        T value = T.Zero, slope = T.Zero;
        // −relu(a)(1 − r): d/dcos = +0.5(1 − r) where a > 0; −relu(−cos)·r: d/dcos = +r where −cos > 0.
        if (a > T.Zero) { value -= a * (T.One - ratio); slope += half * (T.One - ratio); }
        if (b > T.Zero) { value -= b * ratio; slope += ratio; }
        dIterCosDCos = slope;
        return value;
    }

    /// <summary>α of one sample (forward only).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Alpha<T>(T sdf, T iterCos, T delta, T invS) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T halfStep = iterCos * (delta * T.CreateChecked(0.5)); // as in the derivative form: same rounding
        T prev = Sigmoid((sdf - halfStep) * invS), next = Sigmoid((sdf + halfStep) * invS);
        T eps = T.CreateChecked(Epsilon);
        return T.Clamp((prev - next + eps) / (prev + eps), T.Zero, T.One);
    }

    /// <summary>α of one sample with its partial derivatives w.r.t. sdf, iter_cos and inv_s (all 0 where the clip bites).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Alpha<T>(T sdf, T iterCos, T delta, T invS, out T dSdf, out T dIterCos, out T dInvS)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T halfDelta = delta * T.CreateChecked(0.5);
        T halfStep = iterCos * halfDelta;
        T xPrev = sdf - halfStep, xNext = sdf + halfStep;
        T p = Sigmoid(xPrev * invS), n = Sigmoid(xNext * invS);
        T eps = T.CreateChecked(Epsilon);
        T denominator = p + eps;
        T raw = (p - n + eps) / denominator;
        if (!(raw >= T.Zero && raw <= T.One))
        {
            dSdf = dIterCos = dInvS = T.Zero;
            return T.Clamp(raw, T.Zero, T.One); // NaN stays NaN: bad inputs show
        }
        // ∂α/∂p = n / (p + ε)², ∂α/∂n = −1 / (p + ε); σ' = σ(1 − σ).
        T dP = n / (denominator * denominator), dN = -T.One / denominator;
        T sp = dP * p * (T.One - p), sn = dN * n * (T.One - n); // ∂α/∂(x·s) at prev and next
        dSdf = (sp + sn) * invS;
        dIterCos = (sn - sp) * invS * halfDelta;
        dInvS = sp * xPrev + sn * xNext;
        return raw;
    }

    /// <summary>
    /// The occupancy value of a cell whose centre has SDF <paramref name="sdf"/> (instant-nsr-pl occ_eval_fn): α with
    /// the cosine term replaced by −1 (prev/next = sdf ± δ/2), δ = <paramref name="stepSize"/> (the render step) and
    /// inv_s clipped to [1e-6, 1e6]. Compare with <see cref="OccupancyThreshold"/>.
    /// </summary>
    public static T OccupancyAlpha<T>(T sdf, T invS, T stepSize) where T : unmanaged, IFloatingPointIeee754<T> =>
        Alpha(sdf, -T.One, stepSize, ClampInvS(invS));

    /// <summary>Batch form of <see cref="OccupancyAlpha{T}"/>: sdf [N] → alpha [N].</summary>
    public static void OccupancyAlphas<T>(ReadOnlySpan<T> sdf, T invS, T stepSize, Span<T> alpha) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (alpha.Length != sdf.Length) throw new ArgumentException($"neus occupancy: {sdf.Length} SDF values but {alpha.Length} outputs");
        T s = ClampInvS(invS);
        for (int i = 0; i < sdf.Length; i++) alpha[i] = Alpha(sdf[i], -T.One, stepSize, s);
    }

    /// <summary>inv_s clipped to [1e-6, 1e6] as instant-nsr-pl does before every use.</summary>
    public static T ClampInvS<T>(T invS) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.Clamp(invS, T.CreateChecked(MinInvS), T.CreateChecked(MaxInvS));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T> => T.One / (T.One + T.Exp(-x));
}
