using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace NgpSharp.Nn.Networks;

/// <summary>
/// Forward and backward of <see cref="Activation"/> over spans, with tiny-cuda-nn's formulas (common_device.h).
/// As in tiny-cuda-nn, derivatives are computed from the activation's output y = f(x) — exact for every
/// activation here since each is monotone — except Sine, whose cos(x) needs the pre-activation x.
/// Softplus and Squareplus use algebraically equal but cancellation-free forms of tiny-cuda-nn's expressions
/// (tiny-cuda-nn's log(exp(Kx) + 1) overflows in float for x &gt; 8.8).
/// Float spans take an AVX-512 path for the common activations; everything else runs the scalar formulas.
/// </summary>
public static class ActivationKernels
{
    /// <summary>y = f(x).</summary>
    public static T Apply<T>(Activation activation, T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T k = T.CreateTruncating(Activations.KAct);
        switch (activation)
        {
            case Activation.None: return x;
            case Activation.ReLU: return x > T.Zero ? x : T.Zero;
            case Activation.LeakyReLU: return x > T.Zero ? x : x * T.CreateTruncating(Activations.LeakySlope);
            case Activation.Exponential: return T.Exp(x);
            case Activation.Sine: return T.Sin(x);
            case Activation.Sigmoid: return T.One / (T.One + T.Exp(-x));
            case Activation.Tanh: return T.Tanh(x);
            case Activation.Squareplus:
            {
                // (z + sqrt(z² + 4)) / 2 = 2 / (sqrt(z² + 4) − z): the second form for z < 0 avoids cancellation.
                T z = k * x, s = T.Sqrt(z * z + T.CreateTruncating(4));
                T half = T.CreateTruncating(0.5);
                return (z >= T.Zero ? half * (z + s) : T.CreateTruncating(2) / (s - z)) / k;
            }
            case Activation.Softplus:
            {
                // log(1 + e^z) = max(z, 0) + log1p(e^−|z|).
                T z = k * x;
                return (T.Max(z, T.Zero) + Log1P(T.Exp(-T.Abs(z)))) / k;
            }
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        }
    }

    /// <summary>f'(x) from y = f(x) (and x itself, used by Sine only).</summary>
    public static T Derivative<T>(Activation activation, T y, T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T k = T.CreateTruncating(Activations.KAct);
        switch (activation)
        {
            case Activation.None: return T.One;
            case Activation.ReLU: return y > T.Zero ? T.One : T.Zero;
            case Activation.LeakyReLU: return y > T.Zero ? T.One : T.CreateTruncating(Activations.LeakySlope);
            case Activation.Exponential: return y;
            case Activation.Sine: return T.Cos(x);
            case Activation.Sigmoid: return y * (T.One - y);
            case Activation.Tanh: return T.One - y * y;
            case Activation.Squareplus: { T ky = k * y; return ky * ky / (ky * ky + T.One); }
            case Activation.Softplus: return -ExpM1(-k * y); // = 1 − exp(−K·y) = sigmoid(K·x)
            default: throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        }
    }

    /// <summary>values[i] = f(values[i]).</summary>
    public static void Forward<T>(Activation activation, Span<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (activation == Activation.None) return;
        int i = 0;
        if (typeof(T) == typeof(float) && Vector.IsHardwareAccelerated)
            i = ForwardFloatSimd(activation, MemoryMarshal.Cast<T, float>(values));
        for (; i < values.Length; i++) values[i] = Apply(activation, values[i]);
    }

    /// <summary>
    /// gradients[i] *= f'(x_i) given outputs[i] = f(x_i). <paramref name="preActivations"/> (x) is read only when
    /// <see cref="Activations.NeedsPreActivation"/>; it may be empty otherwise.
    /// </summary>
    public static void Backward<T>(Activation activation, ReadOnlySpan<T> outputs, ReadOnlySpan<T> preActivations, Span<T> gradients)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (activation == Activation.None) return;
        if (outputs.Length < gradients.Length) throw new ArgumentException($"activation backward: {outputs.Length} outputs for {gradients.Length} gradients");
        bool needX = activation.NeedsPreActivation();
        if (needX && preActivations.Length < gradients.Length)
            throw new ArgumentException($"{activation} backward needs {gradients.Length} pre-activations, got {preActivations.Length}");
        int i = 0;
        if (typeof(T) == typeof(float) && Vector.IsHardwareAccelerated)
            i = BackwardFloatSimd(activation, MemoryMarshal.Cast<T, float>(outputs), MemoryMarshal.Cast<T, float>(gradients));
        for (; i < gradients.Length; i++)
            gradients[i] *= Derivative(activation, outputs[i], needX ? preActivations[i] : T.Zero);
    }

    /// <summary>log(1 + u), accurate for tiny u (the classic u·log(v)/(v − 1) correction, v = 1 + u).</summary>
    static T Log1P<T>(T u) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T v = T.One + u;
        return v == T.One ? u : T.Log(v) * (u / (v - T.One));
    }

    /// <summary>exp(x) − 1, accurate for tiny x.</summary>
    static T ExpM1<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T u = T.Exp(x);
        if (u == T.One) return x;
        T um1 = u - T.One;
        return um1 == -T.One ? -T.One : um1 * x / T.Log(u);
    }

    /// <summary>Vectorised forward; returns how many leading elements it handled.</summary>
    static int ForwardFloatSimd(Activation activation, Span<float> values)
    {
        ref float v = ref MemoryMarshal.GetReference(values);
        int n = values.Length - values.Length % Vector<float>.Count;
        var zero = Vector<float>.Zero;
        var one = Vector<float>.One;
        var slope = new Vector<float>((float)Activations.LeakySlope);
        int i = 0;
        switch (activation)
        {
            case Activation.ReLU:
                for (; i < n; i += Vector<float>.Count) Vector.Max(Vector.LoadUnsafe(ref v, (nuint)i), zero).StoreUnsafe(ref v, (nuint)i);
                return n;
            case Activation.LeakyReLU:
                for (; i < n; i += Vector<float>.Count)
                {
                    var x = Vector.LoadUnsafe(ref v, (nuint)i);
                    Vector.ConditionalSelect(Vector.GreaterThan(x, zero), x, x * slope).StoreUnsafe(ref v, (nuint)i);
                }
                return n;
            case Activation.Exponential:
                for (; i < n; i += Vector<float>.Count) Vector.Exp(Vector.LoadUnsafe(ref v, (nuint)i)).StoreUnsafe(ref v, (nuint)i);
                return n;
            case Activation.Sigmoid:
                for (; i < n; i += Vector<float>.Count) (one / (one + Vector.Exp(-Vector.LoadUnsafe(ref v, (nuint)i)))).StoreUnsafe(ref v, (nuint)i);
                return n;
            default:
                return 0;
        }
    }

    /// <summary>Vectorised backward; returns how many leading elements it handled.</summary>
    static int BackwardFloatSimd(Activation activation, ReadOnlySpan<float> outputs, Span<float> gradients)
    {
        ref float y = ref MemoryMarshal.GetReference(outputs);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        int n = gradients.Length - gradients.Length % Vector<float>.Count;
        var zero = Vector<float>.Zero;
        var one = Vector<float>.One;
        var k = new Vector<float>((float)Activations.KAct);
        var slope = new Vector<float>((float)Activations.LeakySlope);
        int i = 0;
        switch (activation)
        {
            case Activation.ReLU:
                for (; i < n; i += Vector<float>.Count)
                {
                    var yi = Vector.LoadUnsafe(ref y, (nuint)i);
                    var gi = Vector.LoadUnsafe(ref g, (nuint)i);
                    Vector.ConditionalSelect(Vector.GreaterThan(yi, zero), gi, zero).StoreUnsafe(ref g, (nuint)i);
                }
                return n;
            case Activation.LeakyReLU:
                for (; i < n; i += Vector<float>.Count)
                {
                    var yi = Vector.LoadUnsafe(ref y, (nuint)i);
                    var gi = Vector.LoadUnsafe(ref g, (nuint)i);
                    Vector.ConditionalSelect(Vector.GreaterThan(yi, zero), gi, gi * slope).StoreUnsafe(ref g, (nuint)i);
                }
                return n;
            case Activation.Exponential:
                for (; i < n; i += Vector<float>.Count) (Vector.LoadUnsafe(ref g, (nuint)i) * Vector.LoadUnsafe(ref y, (nuint)i)).StoreUnsafe(ref g, (nuint)i);
                return n;
            case Activation.Sigmoid:
                for (; i < n; i += Vector<float>.Count)
                {
                    var yi = Vector.LoadUnsafe(ref y, (nuint)i);
                    (Vector.LoadUnsafe(ref g, (nuint)i) * (yi * (one - yi))).StoreUnsafe(ref g, (nuint)i);
                }
                return n;
            case Activation.Tanh:
                for (; i < n; i += Vector<float>.Count)
                {
                    var yi = Vector.LoadUnsafe(ref y, (nuint)i);
                    (Vector.LoadUnsafe(ref g, (nuint)i) * (one - yi * yi)).StoreUnsafe(ref g, (nuint)i);
                }
                return n;
            case Activation.Squareplus:
                for (; i < n; i += Vector<float>.Count)
                {
                    var ky = Vector.LoadUnsafe(ref y, (nuint)i) * k;
                    var ky2 = ky * ky;
                    (Vector.LoadUnsafe(ref g, (nuint)i) * (ky2 / (ky2 + one))).StoreUnsafe(ref g, (nuint)i);
                }
                return n;
            default:
                return 0;
        }
    }
}
