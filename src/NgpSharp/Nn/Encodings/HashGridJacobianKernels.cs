using System.Numerics;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// Scalar kernels for the grid's Jacobian (generic over T, the reference for the SIMD float kernels and any CUDA twin).
/// Per level the 2^d corners come from <see cref="HashGridCorners{T}"/>; with a direction v, corner c's directional
/// weight is ω_c = Σ_d v_d · ∂w_c/∂x_d, so J·v = Σ_c ω_c θ[c] and ∂⟨u, J·v⟩/∂θ[c] = ω_c · u.
/// Layouts: xSoa, vSoa: [dims, batch]; a level's per-feature blocks (J·v, dL/dy, cotangent u): [batch, F].
/// </summary>
internal static class HashGridJacobianKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    const int MaxCorners = HashGridCorners<T>.MaxCorners;

    /// <summary>This level's block of J(x_i)·v_i ([batch, F]) for samples [start, end).</summary>
    public static void JacobianVectorProductLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        ReadOnlySpan<T> xSoa, ReadOnlySpan<T> vSoa, int batch, ReadOnlySpan<T> table, Span<T> levelOutput, int start, int end)
    {
        Span<int> entry = stackalloc int[MaxCorners];
        Span<T> weight = stackalloc T[MaxCorners], dWeight = stackalloc T[MaxCorners * 4], x = stackalloc T[4], v = stackalloc T[4];
        int corners = 1 << dims;
        for (int i = start; i < end; i++)
        {
            Load(xSoa, vSoa, batch, i, dims, x, v);
            HashGridCorners<T>.Compute(level, dims, interpolation, x[..dims], entry, weight, dWeight);
            var y = levelOutput.Slice(i * features, features);
            y.Clear();
            for (int c = 0; c < corners; c++)
            {
                T omega = DirectionalWeight(dWeight.Slice(c * dims, dims), v);
                var values = table.Slice(entry[c] * features, features);
                for (int f = 0; f < features; f++) y[f] = T.FusedMultiplyAdd(omega, values[f], y[f]);
            }
        }
    }

    /// <summary>
    /// Adds, for samples [start, end) in order, w_c · dL/dy + ω_c · u to the level's gradient slice ([Size, F]).
    /// levelGradOut, levelCotangent: this level's blocks [batch, F].
    /// </summary>
    public static void BackwardLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        ReadOnlySpan<T> xSoa, ReadOnlySpan<T> vSoa, int batch, ReadOnlySpan<T> levelGradOut, ReadOnlySpan<T> levelCotangent,
        Span<T> gradient, int start, int end)
    {
        Span<int> entry = stackalloc int[MaxCorners];
        Span<T> weight = stackalloc T[MaxCorners], dWeight = stackalloc T[MaxCorners * 4], x = stackalloc T[4], v = stackalloc T[4];
        int corners = 1 << dims;
        for (int i = start; i < end; i++)
        {
            Load(xSoa, vSoa, batch, i, dims, x, v);
            HashGridCorners<T>.Compute(level, dims, interpolation, x[..dims], entry, weight, dWeight);
            var dy = levelGradOut.Slice(i * features, features);
            var u = levelCotangent.Slice(i * features, features);
            for (int c = 0; c < corners; c++)
            {
                T omega = DirectionalWeight(dWeight.Slice(c * dims, dims), v), w = weight[c];
                var g = gradient.Slice(entry[c] * features, features);
                for (int f = 0; f < features; f++) g[f] += w * dy[f] + omega * u[f];
            }
        }
    }

    static void Load(ReadOnlySpan<T> xSoa, ReadOnlySpan<T> vSoa, int batch, int i, int dims, Span<T> x, Span<T> v)
    {
        for (int d = 0; d < dims; d++)
        {
            x[d] = xSoa[d * batch + i];
            v[d] = vSoa[d * batch + i];
        }
    }

    /// <summary>ω = Σ_d ∂w/∂x_d · v_d, d in order (the first term a plain product, then fused).</summary>
    static T DirectionalWeight(ReadOnlySpan<T> dWeight, ReadOnlySpan<T> v)
    {
        T sum = dWeight[0] * v[0];
        for (int d = 1; d < dWeight.Length; d++) sum = T.FusedMultiplyAdd(dWeight[d], v[d], sum);
        return sum;
    }
}
