using System.Numerics;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// Scalar kernels for the grid's Jacobian (generic over T, the reference for any SIMD or CUDA twin). Per level
/// the 2^d corners come from <see cref="HashGridCorners{T}"/>; with a direction v, corner c's directional weight is
/// ω_c = Σ_d v_d · ∂w_c/∂x_d, so J·v = Σ_c ω_c θ[c] and ∂⟨u, J·v⟩/∂θ[c] = ω_c · u.
/// Rows: x, v: [B, dims]; per-feature rows (output, dL/dy, cotangent): [B, width], level l at columns l·F.
/// </summary>
internal static class HashGridJacobianKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    const int MaxCorners = HashGridCorners<T>.MaxCorners;

    /// <summary>Level <paramref name="levelIndex"/>'s columns of output[i] = J(x_i)·v_i for samples [start, end).</summary>
    public static void JacobianVectorProductLevel(in GridLevel level, int levelIndex, int dims, int features,
        GridInterpolation interpolation, ReadOnlySpan<T> x, ReadOnlySpan<T> v, ReadOnlySpan<T> table,
        Span<T> output, int width, int start, int end)
    {
        Span<int> entry = stackalloc int[MaxCorners];
        Span<T> weight = stackalloc T[MaxCorners], dWeight = stackalloc T[MaxCorners * 4];
        int corners = 1 << dims;
        for (int i = start; i < end; i++)
        {
            var vi = v.Slice(i * dims, dims);
            HashGridCorners<T>.Compute(level, dims, interpolation, x.Slice(i * dims, dims), entry, weight, dWeight);
            var y = output.Slice(i * width + levelIndex * features, features);
            y.Clear();
            for (int c = 0; c < corners; c++)
            {
                T omega = DirectionalWeight(dWeight.Slice(c * dims, dims), vi);
                var values = table.Slice(entry[c] * features, features);
                for (int f = 0; f < features; f++) y[f] = T.FusedMultiplyAdd(omega, values[f], y[f]);
            }
        }
    }

    /// <summary>
    /// Adds, for every sample in order, w_c · dL/dy + ω_c · cotangent to the level's gradient slice
    /// (gradient: [Size, F] of level <paramref name="levelIndex"/>).
    /// </summary>
    public static void BackwardLevel(in GridLevel level, int levelIndex, int dims, int features, GridInterpolation interpolation,
        ReadOnlySpan<T> x, ReadOnlySpan<T> v, ReadOnlySpan<T> dLdy, ReadOnlySpan<T> cotangent, int width, Span<T> gradient, int batch)
    {
        Span<int> entry = stackalloc int[MaxCorners];
        Span<T> weight = stackalloc T[MaxCorners], dWeight = stackalloc T[MaxCorners * 4];
        int corners = 1 << dims, column = levelIndex * features;
        for (int i = 0; i < batch; i++)
        {
            HashGridCorners<T>.Compute(level, dims, interpolation, x.Slice(i * dims, dims), entry, weight, dWeight);
            var vi = v.Slice(i * dims, dims);
            var dy = dLdy.Slice(i * width + column, features);
            var u = cotangent.Slice(i * width + column, features);
            for (int c = 0; c < corners; c++)
            {
                T omega = DirectionalWeight(dWeight.Slice(c * dims, dims), vi), w = weight[c];
                var g = gradient.Slice(entry[c] * features, features);
                for (int f = 0; f < features; f++) g[f] += w * dy[f] + omega * u[f];
            }
        }
    }

    static T DirectionalWeight(ReadOnlySpan<T> dWeight, ReadOnlySpan<T> v)
    {
        T sum = T.Zero;
        for (int d = 0; d < v.Length; d++) sum = T.FusedMultiplyAdd(dWeight[d], v[d], sum);
        return sum;
    }
}
