using System.Numerics;
using System.Runtime.CompilerServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Nn.Losses;

/// <summary>
/// One elementwise loss as a SIMD operator: for prediction p and target t (a Vector&lt;T&gt; of elements each) the
/// unnormalised loss ℓ(p, t) and the gradient tiny-cuda-nn uses for it (∂ℓ/∂p, with some denominators held
/// constant where tiny-cuda-nn does so).
/// </summary>
internal interface ILossOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    Vector<T> Evaluate(Vector<T> prediction, Vector<T> target, out Vector<T> gradient);
}

/// <summary>
/// A loss made of an <see cref="ILossOperator{T}"/>: values[i] = ℓ_i / pdf_i / N and
/// gradients[i] = lossScale·g_i / pdf_i / N with N = rows·cols, as tiny-cuda-nn's loss kernels.
/// </summary>
public abstract partial class ElementwiseLoss<T> : Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Elements per parallel tile (fixed, so results never depend on the thread count).</summary>
    const int ElementsPerTile = 1 << 14;

    private protected static readonly Vector<T> SignBit = new(T.NegativeZero);

    /// <summary>|magnitude| with the sign bit of <paramref name="sign"/> (C's copysign, −0 included).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private protected static Vector<T> CopySign(Vector<T> magnitude, Vector<T> sign) =>
        Vector.AndNot(magnitude, SignBit) | (sign & SignBit);

    private protected static Vector<T> Splat(double value) => new(T.CreateChecked(value));

    private protected void Run<TOp>(TOp op, T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) where TOp : struct, ILossOperator<T>
    {
        if (prediction.IsNull || target.IsNull || values.IsNull || gradients.IsNull || dataPdf is { IsNull: true })
            throw new ArgumentException($"{GetType().Name}: a null matrix was passed");
        long count = (long)prediction.Rows * prediction.Cols;
        if (count == 0) return;
        if (prediction.Backend.Kind == BackendKind.Cuda)
        {
            RunCuda(lossScale, prediction, target, values, gradients, dataPdf);
            return;
        }
        if (prediction.Backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"{GetType().Name}: no kernel for the {prediction.Backend.Kind} backend yet");
        T n = T.CreateChecked(count);
        CpuParallel.ForTiles(count, ElementsPerTile, (start, end) =>
            Tile(op, lossScale, n, prediction.AsSpan()[start..end], target.AsSpan()[start..end], values.AsSpan()[start..end],
                gradients.AsSpan()[start..end], dataPdf is { } pdf ? pdf.AsSpan()[start..end] : default));
    }

    static void Tile<TOp>(TOp op, T lossScale, T n, ReadOnlySpan<T> p, ReadOnlySpan<T> t, Span<T> values, Span<T> gradients,
        ReadOnlySpan<T> pdf) where TOp : struct, ILossOperator<T>
    {
        int w = Vector<T>.Count, i = 0;
        bool hasPdf = !pdf.IsEmpty;
        var vn = new Vector<T>(n);
        var vScale = new Vector<T>(lossScale);
        for (; i <= p.Length - w; i += w)
        {
            var v = op.Evaluate(new Vector<T>(p[i..]), new Vector<T>(t[i..]), out var g);
            if (hasPdf) { var q = new Vector<T>(pdf[i..]); v /= q; g /= q; }
            (v / vn).CopyTo(values[i..]);
            (vScale * g / vn).CopyTo(gradients[i..]);
        }
        if (i == p.Length) return;

        // Tail: pad one vector (p = t = 0, pdf = 1 are harmless for every loss) and keep the valid lanes.
        int rest = p.Length - i;
        Span<T> bp = stackalloc T[w], bt = stackalloc T[w], bq = stackalloc T[w], bv = stackalloc T[w], bg = stackalloc T[w];
        bp.Clear(); bt.Clear(); bq.Fill(T.One);
        p[i..].CopyTo(bp); t[i..].CopyTo(bt);
        if (hasPdf) pdf[i..].CopyTo(bq);
        var tv = op.Evaluate(new Vector<T>(bp), new Vector<T>(bt), out var tg);
        if (hasPdf) { var q = new Vector<T>(bq); tv /= q; tg /= q; }
        (tv / vn).CopyTo(bv);
        (vScale * tg / vn).CopyTo(bg);
        bv[..rest].CopyTo(values[i..]);
        bg[..rest].CopyTo(gradients[i..]);
    }
}
