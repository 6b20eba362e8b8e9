using System.Numerics;
using System.Runtime.CompilerServices;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// The readable scalar grid kernels, generic over T (the reference for the SIMD float path and for CUDA).
/// Positions are structure-of-arrays <c>xSoa: [dims, batch]</c>; a level's features (or dL/dy) are its own block
/// <c>levelFeatures: [batch, F]</c> of a level-major scratch [L, batch, F], so one level touches one table at a time.
/// Arithmetic order is fixed (dims in order, corners in order, FMA accumulation) and matches the SIMD path.
/// </summary>
internal static class HashGridKernels<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static readonly T Half = T.CreateChecked(0.5), Two = T.CreateChecked(2), Three = T.CreateChecked(3), Six = T.CreateChecked(6);

    /// <summary>
    /// pos = x·scale + 0.5 (fused) split into the cell corner floor(pos) and the interpolation weight of the upper
    /// corner w = interp(pos − floor(pos)) and its derivative dw/dfrac.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void PosFract(T x, T scale, GridInterpolation interpolation, out uint cell, out T weight, out T derivative)
    {
        T pos = T.FusedMultiplyAdd(x, scale, Half);
        T floor = T.Floor(pos);
        cell = unchecked((uint)int.CreateSaturating(floor));
        T f = pos - floor;
        if (interpolation == GridInterpolation.Smoothstep)
        {
            weight = f * f * (Three - Two * f);
            derivative = Six * f * (T.One - f);
        }
        else
        {
            weight = f;
            derivative = T.One;
        }
    }

    /// <summary>
    /// Forward of one level for samples [start, end). xSoa: [dims, batch]; table: this level's entries [Size, F];
    /// levelFeatures: [batch, F] (this level's block of the scratch).
    /// </summary>
    public static void ForwardLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        ReadOnlySpan<T> xSoa, int batch, ReadOnlySpan<T> table, Span<T> levelFeatures, int start, int end)
    {
        Span<uint> cell = stackalloc uint[4], local = stackalloc uint[4];
        Span<T> w = stackalloc T[4], acc = stackalloc T[8];
        T scale = T.CreateChecked(level.Scale);
        for (int i = start; i < end; i++)
        {
            for (int d = 0; d < dims; d++) PosFract(xSoa[d * batch + i], scale, interpolation, out cell[d], out w[d], out _);
            if (interpolation == GridInterpolation.Nearest)
            {
                uint e = HashGridLayout.Index(level, cell[..dims]);
                for (int f = 0; f < features; f++) levelFeatures[i * features + f] = table[(int)e * features + f];
                continue;
            }
            acc.Clear();
            for (int corner = 0; corner < 1 << dims; corner++)
            {
                T weight = CornerWeight(corner, dims, cell, w, local);
                int e = (int)HashGridLayout.Index(level, local[..dims]) * features;
                for (int f = 0; f < features; f++) acc[f] = T.FusedMultiplyAdd(weight, table[e + f], acc[f]);
            }
            for (int f = 0; f < features; f++) levelFeatures[i * features + f] = acc[f];
        }
    }

    /// <summary>
    /// dL/dθ of one level: gradient[e·F + f] += weight · dL/dy for every sample in [start, end), in sample order.
    /// levelGradOut: [batch, F] (dL/dy of this level); gradient: this level's slice [Size, F].
    /// </summary>
    public static void BackwardLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        ReadOnlySpan<T> xSoa, int batch, ReadOnlySpan<T> levelGradOut, Span<T> gradient, int start, int end)
    {
        Span<uint> cell = stackalloc uint[4], local = stackalloc uint[4];
        Span<T> w = stackalloc T[4];
        T scale = T.CreateChecked(level.Scale);
        for (int i = start; i < end; i++)
        {
            for (int d = 0; d < dims; d++) PosFract(xSoa[d * batch + i], scale, interpolation, out cell[d], out w[d], out _);
            if (interpolation == GridInterpolation.Nearest)
            {
                int e = (int)HashGridLayout.Index(level, cell[..dims]) * features;
                for (int f = 0; f < features; f++) gradient[e + f] += levelGradOut[i * features + f];
                continue;
            }
            for (int corner = 0; corner < 1 << dims; corner++)
            {
                T weight = CornerWeight(corner, dims, cell, w, local);
                int e = (int)HashGridLayout.Index(level, local[..dims]) * features;
                for (int f = 0; f < features; f++) gradient[e + f] += weight * levelGradOut[i * features + f];
            }
        }
    }

    /// <summary>
    /// One level's share of dL/dx for samples [start, end): Σ_c (∂w_c/∂x_d) · ⟨θ[c], dL/dy_level⟩, with the 2^d corners
    /// found once (<see cref="HashGridCorners{T}"/>) and each corner's table row read once.
    /// xSoa: [dims, batch]; levelGradOut: this level's dL/dy block [batch, F]; table: the level's entries [Size, F];
    /// levelDxSoa: this level's part [dims, batch] (overwritten for [start, end)).
    /// </summary>
    public static void InputGradientLevel(in GridLevel level, int dims, int features, GridInterpolation interpolation,
        ReadOnlySpan<T> xSoa, int batch, ReadOnlySpan<T> table, ReadOnlySpan<T> levelGradOut, Span<T> levelDxSoa, int start, int end)
    {
        const int maxCorners = HashGridCorners<T>.MaxCorners;
        Span<int> entry = stackalloc int[maxCorners];
        Span<T> weight = stackalloc T[maxCorners], dWeight = stackalloc T[maxCorners * 4], x = stackalloc T[4], dx = stackalloc T[4];
        int corners = 1 << dims;
        for (int i = start; i < end; i++)
        {
            dx.Clear();
            if (interpolation != GridInterpolation.Nearest)
            {
                var dy = levelGradOut.Slice(i * features, features);
                for (int d = 0; d < dims; d++) x[d] = xSoa[d * batch + i];
                HashGridCorners<T>.Compute(level, dims, interpolation, x[..dims], entry, weight, dWeight);
                for (int c = 0; c < corners; c++)
                {
                    var row = table.Slice(entry[c] * features, features);
                    T dot = dy[0] * row[0];
                    for (int f = 1; f < features; f++) dot = T.FusedMultiplyAdd(dy[f], row[f], dot);
                    for (int d = 0; d < dims; d++) dx[d] = T.FusedMultiplyAdd(dWeight[c * dims + d], dot, dx[d]);
                }
            }
            for (int d = 0; d < dims; d++) levelDxSoa[d * batch + i] = dx[d];
        }
    }

    /// <summary>Weight of cell corner <paramref name="corner"/> (bit d = upper in dim d); writes its vertex into local.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T CornerWeight(int corner, int dims, ReadOnlySpan<uint> cell, ReadOnlySpan<T> w, Span<uint> local)
    {
        T weight = T.One;
        for (int d = 0; d < dims; d++)
        {
            bool upper = (corner & (1 << d)) != 0;
            weight *= upper ? w[d] : T.One - w[d];
            local[d] = upper ? cell[d] + 1 : cell[d];
        }
        return weight;
    }
}
