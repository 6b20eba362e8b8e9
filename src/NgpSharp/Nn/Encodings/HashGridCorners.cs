using System.Numerics;
using System.Runtime.CompilerServices;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// The 2^d cell corners of one sample at one level, computed once: table entries, interpolation weights w_c and
/// their position derivatives ∂w_c/∂x_d. Every derivative of a grid level is a sum over these corners:
/// y_f = Σ_c w_c θ[c, f], ∂y_f/∂x_d = Σ_c (∂w_c/∂x_d) θ[c, f]; the Jacobian is linear in θ.
/// </summary>
internal static class HashGridCorners<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Largest corner count (d = 4).</summary>
    public const int MaxCorners = 16;

    /// <summary>
    /// Corners of the sample <paramref name="x"/> ([dims], nominally in [0, 1]) at <paramref name="level"/>.
    /// entry: [2^d] table entry indices (multiply by F for a parameter index); weight: [2^d] w_c;
    /// dWeight: [2^d, dims] row-major ∂w_c/∂x_d = scale · interp'(f_d) · (±1) · Π_{d'≠d} (w_{d'} or 1 − w_{d'}).
    /// Corner c has bit d set when it is the upper vertex in dimension d.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Compute(in GridLevel level, int dims, GridInterpolation interpolation, ReadOnlySpan<T> x,
        Span<int> entry, Span<T> weight, Span<T> dWeight)
    {
        // Inline arrays, not stackalloc: a method with stackalloc is never inlined.
        Four<uint> cellStore = default;
        Four<T> w = default, dw = default;
        Span<uint> cell = cellStore;
        T scale = T.CreateChecked(level.Scale);
        for (int d = 0; d < dims; d++)
        {
            HashGridKernels<T>.PosFract(x[d], scale, interpolation, out cell[d], out w[d], out dw[d]);
            dw[d] *= scale;
        }
        int corners = 1 << dims;
        Indices(level, dims, cell, entry);
        for (int c = 0; c < corners; c++)
        {
            T product = T.One;
            for (int d = 0; d < dims; d++) product *= (c & (1 << d)) != 0 ? w[d] : T.One - w[d];
            weight[c] = product;
            for (int d = 0; d < dims; d++)
            {
                T partial = (c & (1 << d)) != 0 ? dw[d] : -dw[d];
                for (int o = 0; o < dims; o++)
                    if (o != d) partial *= (c & (1 << o)) != 0 ? w[o] : T.One - w[o];
                dWeight[c * dims + d] = partial;
            }
        }
    }

    /// <summary>
    /// Table entries of the 2^d corners of cell <paramref name="cell"/> ([dims] lower vertex): per-dimension hash
    /// (or dense stride) terms once, then one XOR (or add) per corner; the same values as <see cref="HashGridLayout.Index"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Indices(in GridLevel level, int dims, ReadOnlySpan<uint> cell, Span<int> entry)
    {
        Four<uint> lo = default, hi = default;
        int corners = 1 << dims;
        if (level.Hashed)
        {
            for (int d = 0; d < dims; d++)
            {
                lo[d] = unchecked(cell[d] * HashGridLayout.Primes[d]);
                hi[d] = unchecked(lo[d] + HashGridLayout.Primes[d]);
            }
        }
        else if (level.DenseIndexable)
        {
            uint stride = 1;
            for (int d = 0; d < dims; d++)
            {
                lo[d] = unchecked(cell[d] * stride);
                hi[d] = unchecked(lo[d] + stride);
                stride = unchecked(stride * level.Resolution);
            }
        }
        else
        {
            entry[..corners].Clear();
            return;
        }
        bool hashed = level.Hashed, pow2 = level.SizeIsPow2;
        uint mask = level.Size - 1;
        for (int c = 0; c < corners; c++)
        {
            uint index = (c & 1) != 0 ? hi[0] : lo[0];
            for (int d = 1; d < dims; d++)
            {
                uint term = (c & (1 << d)) != 0 ? hi[d] : lo[d];
                index = hashed ? index ^ term : unchecked(index + term);
            }
            entry[c] = (int)(pow2 ? index & mask : index % level.Size);
        }
    }
}

/// <summary>Four values on the stack (one per input dimension), usable in inlined methods.</summary>
[InlineArray(4)]
internal struct Four<TElement>
{
    TElement _first;
}
