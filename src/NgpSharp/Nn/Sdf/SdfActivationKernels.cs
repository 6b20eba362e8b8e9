using System.Numerics;

namespace NgpSharp.Nn.Sdf;

/// <summary>
/// The SDF MLP's hidden activation σ and its first two derivatives over [rows, ld] tiles: softplus_β(a) =
/// max(a, 0) + log1p(e^{−β|a|})/β (no overflow, no threshold kink), σ' = sigmoid(βa), σ'' = β·σ'(1 − σ'); ReLU has
/// σ' = [a &gt; 0] and σ'' = 0.
/// </summary>
internal static class SdfActivationKernels
{
    /// <summary>a = hid + bias (per column) → hid = σ(a), s = σ'(a). hid, s: [rows, ld]; bias: [ld].</summary>
    public static void Forward<T>(SdfActivation activation, T beta, ReadOnlySpan<T> bias, Span<T> hid, Span<T> s, int rows, int ld)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            var h = hid.Slice(i * ld, ld);
            var d = s.Slice(i * ld, ld);
            for (int j = 0; j < ld; j++)
            {
                T a = h[j] + bias[j];
                if (activation == SdfActivation.ReLU)
                {
                    bool on = a > T.Zero;
                    h[j] = on ? a : T.Zero;
                    d[j] = on ? T.One : T.Zero;
                    continue;
                }
                T z = beta * a, e = T.Exp(-T.Abs(z));
                h[j] = T.Max(a, T.Zero) + T.LogP1(e) / beta;
                d[j] = z >= T.Zero ? T.One / (T.One + e) : e / (T.One + e);
            }
        }
    }

    /// <summary>
    /// The terms of the double backward that involve p = q·W₁ᵀ ([rows, ld]): Γ = w₂₀ ⊙ S, dL/dw₂₀ += Σ_rows p ⊙ S,
    /// δ += p ⊙ w₂₀ ⊙ σ''. w2Row0, dW2Row0: [ld]; s, p, delta, gamma: [rows, ld].
    /// </summary>
    public static void SecondOrder<T>(SdfActivation activation, T beta, ReadOnlySpan<T> w2Row0, ReadOnlySpan<T> s,
        ReadOnlySpan<T> p, Span<T> delta, Span<T> gamma, Span<T> dW2Row0, int rows, int ld)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool softplus = activation == SdfActivation.Softplus;
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < ld; j++)
            {
                int k = i * ld + j;
                T sk = s[k], pk = p[k];
                gamma[k] = w2Row0[j] * sk;
                dW2Row0[j] += pk * sk;
                if (softplus) delta[k] += pk * w2Row0[j] * beta * sk * (T.One - sk);
            }
        }
    }
}
