using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// tiny-cuda-nn's "SphericalHarmonics" encoding of directions. input: [B, 3] in tiny-cuda-nn's convention
/// <c>(d + 1)/2 ∈ [0, 1]³</c>, mapped back as <c>x·2 − 1</c> (not normalised); output: [B, degree²] (+ padding
/// of 1s), the real SH basis of bands 0 … degree−1 in tiny-cuda-nn's order and signs (see
/// <see cref="SphericalHarmonicsBasis"/>). degree is 1–8; instant-ngp uses 4 (16 outputs).
/// dL/dinput = 2·Σ_k dL/dY_k·∇Y_k (the 2 from the [0, 1] → [−1, 1] map).
/// </summary>
/// <remarks>
/// Padding goes after the SH values (this library's <see cref="Encoding{T}"/> contract); current tiny-cuda-nn puts
/// SH padding first, which matters only when importing a tiny-cuda-nn network's first-layer weights.
/// </remarks>
public sealed partial class SphericalHarmonics<T> : ParameterFreeEncoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>tiny-cuda-nn's default degree.</summary>
    public const int DefaultDegree = 4;

    static readonly T Two = T.CreateChecked(2);

    readonly Monomials _value;
    readonly Monomials[] _gradient; // ∂/∂x, ∂/∂y, ∂/∂z

    /// <summary>An encoding of [B, 3] directions with degree² outputs.</summary>
    public SphericalHarmonics(Backend backend, int degree = DefaultDegree) : base(backend, 3)
    {
        if (degree is < 1 or > SphericalHarmonicsBasis.MaxDegree)
            throw new ArgumentOutOfRangeException(nameof(degree), degree, $"SphericalHarmonics: degree must be in [1, {SphericalHarmonicsBasis.MaxDegree}]");
        Degree = degree;
        int n = degree * degree;
        _value = new Monomials(SphericalHarmonicsBasis.Values, n);
        _gradient = [.. SphericalHarmonicsBasis.Gradients.Select(g => new Monomials(g, n))];
    }

    /// <summary>Keys: degree (default 4, 1–8). inputDims must be 3.</summary>
    public static SphericalHarmonics<T> FromJson(Backend backend, int inputDims, JsonConfig config)
    {
        int degree = config.Int("degree", DefaultDegree);
        if (degree is < 1 or > SphericalHarmonicsBasis.MaxDegree)
            throw config.Error("degree", $"must be in [1, {SphericalHarmonicsBasis.MaxDegree}], got {degree}");
        if (inputDims != 3)
            throw config.Error("otype", $"SphericalHarmonics encodes 3-D directions, but this encoding gets {inputDims} input dims");
        return new(backend, degree);
    }

    public int Degree { get; }

    public override int EncodedWidth => Degree * Degree;

    private protected override CudaEncodingKernels? CudaKernels => new("SphericalHarmonics.cu", "kernel_spherical_harmonics_forward", "kernel_spherical_harmonics_backward", 1, 1, Degree);

    public override JsonObject Hyperparams() => new() { ["otype"] = "SphericalHarmonics", ["degree"] = Degree };

    protected override void EncodeRows(DeviceMatrix<T> input, DeviceMatrix<T> output, int rowStart, int rowEnd)
    {
        int outW = output.Cols, n = EncodedWidth, w = Vector<T>.Count;
        var inp = input.AsSpan();
        var y = output.AsSpan();
        int r = rowStart;
        if (Vector.IsHardwareAccelerated)
        {
            // Vector<T>.Count rows at a time, one row per lane; same operation order as the scalar path.
            Span<Vector<T>> powers = stackalloc Vector<T>[3 * SphericalHarmonicsBasis.MaxDegree];
            Span<T> lanes = stackalloc T[w];
            for (; r <= rowEnd - w; r += w)
            {
                FillPowers(inp, r, powers, lanes);
                for (int k = 0; k < n; k++)
                {
                    _value.Function(powers, k).CopyTo(lanes);
                    for (int i = 0; i < w; i++) y[(r + i) * outW + k] = lanes[i];
                }
            }
        }
        Span<T> scalarPowers = stackalloc T[3 * SphericalHarmonicsBasis.MaxDegree];
        for (; r < rowEnd; r++)
        {
            FillPowers(inp.Slice(r * 3, 3), scalarPowers);
            _value.Evaluate(scalarPowers, y.Slice(r * outW, n));
        }
    }

    protected override void InputGradientRows(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T> dLdInput, int rowStart, int rowEnd)
    {
        int outW = dLdOutput.Cols, n = EncodedWidth, w = Vector<T>.Count;
        var inp = input.AsSpan();
        var dy = dLdOutput.AsSpan();
        var dx = dLdInput.AsSpan();
        int r = rowStart;
        if (Vector.IsHardwareAccelerated)
        {
            Span<Vector<T>> powers = stackalloc Vector<T>[3 * SphericalHarmonicsBasis.MaxDegree];
            Span<T> lanes = stackalloc T[w];
            for (; r <= rowEnd - w; r += w)
            {
                FillPowers(inp, r, powers, lanes);
                Vector<T> gx = Vector<T>.Zero, gy = Vector<T>.Zero, gz = Vector<T>.Zero;
                for (int k = 0; k < n; k++)
                {
                    for (int i = 0; i < w; i++) lanes[i] = dy[(r + i) * outW + k];
                    var g = new Vector<T>(lanes);
                    gx += g * _gradient[0].Function(powers, k);
                    gy += g * _gradient[1].Function(powers, k);
                    gz += g * _gradient[2].Function(powers, k);
                }
                StoreColumn(gx, dx, r, 0, lanes);
                StoreColumn(gy, dx, r, 1, lanes);
                StoreColumn(gz, dx, r, 2, lanes);
            }
        }
        Span<T> scalarPowers = stackalloc T[3 * SphericalHarmonicsBasis.MaxDegree];
        for (; r < rowEnd; r++)
        {
            FillPowers(inp.Slice(r * 3, 3), scalarPowers);
            var g = dy.Slice(r * outW, n);
            for (int axis = 0; axis < 3; axis++) dx[r * 3 + axis] = Two * _gradient[axis].Dot(scalarPowers, g);
        }
    }

    static void StoreColumn(Vector<T> v, Span<T> dx, int row, int axis, Span<T> lanes)
    {
        (v * new Vector<T>(Two)).CopyTo(lanes);
        for (int i = 0; i < lanes.Length; i++) dx[(row + i) * 3 + axis] = lanes[i];
    }

    /// <summary>Lane i of powers[axis·8 + e] = (input[row + i, axis]·2 − 1)^e for e &lt; degree.</summary>
    void FillPowers(ReadOnlySpan<T> input, int row, Span<Vector<T>> powers, Span<T> lanes)
    {
        const int stride = SphericalHarmonicsBasis.MaxDegree;
        for (int axis = 0; axis < 3; axis++)
        {
            for (int i = 0; i < lanes.Length; i++) lanes[i] = input[(row + i) * 3 + axis] * Two - T.One;
            var v = new Vector<T>(lanes);
            var p = Vector<T>.One;
            for (int e = 0; e < Degree; e++) { powers[axis * stride + e] = p; p *= v; }
        }
    }

    /// <summary>powers[axis·8 + e] = (input_axis·2 − 1)^e for e &lt; degree (the highest power in band degree−1).</summary>
    void FillPowers(ReadOnlySpan<T> direction01, Span<T> powers)
    {
        const int stride = SphericalHarmonicsBasis.MaxDegree;
        for (int axis = 0; axis < 3; axis++)
        {
            T v = direction01[axis] * Two - T.One;
            T p = T.One;
            for (int e = 0; e < Degree; e++) { powers[axis * stride + e] = p; p *= v; }
        }
    }

    /// <summary>The first n basis polynomials (or their derivatives along one axis) flattened for evaluation.</summary>
    sealed class Monomials
    {
        readonly T[] _coef;
        readonly int[] _powerX, _powerY, _powerZ; // indices into the power table
        readonly int[] _start; // terms of function k: [_start[k], _start[k + 1])

        public Monomials(SphericalHarmonicsBasis.Term[][] functions, int n)
        {
            const int stride = SphericalHarmonicsBasis.MaxDegree;
            var terms = functions.Take(n).SelectMany(f => f).ToArray();
            _coef = [.. terms.Select(t => T.CreateChecked(t.Coefficient))];
            _powerX = [.. terms.Select(t => t.Ex)];
            _powerY = [.. terms.Select(t => stride + t.Ey)];
            _powerZ = [.. terms.Select(t => 2 * stride + t.Ez)];
            _start = new int[n + 1];
            for (int k = 0; k < n; k++) _start[k + 1] = _start[k] + functions[k].Length;
        }

        /// <summary>result[k] = f_k(x, y, z).</summary>
        public void Evaluate(ReadOnlySpan<T> powers, Span<T> result)
        {
            for (int k = 0; k < result.Length; k++) result[k] = Function(powers, k);
        }

        /// <summary>Σ_k weights[k]·f_k(x, y, z).</summary>
        public T Dot(ReadOnlySpan<T> powers, ReadOnlySpan<T> weights)
        {
            T sum = T.Zero;
            for (int k = 0; k < weights.Length; k++)
                if (_start[k + 1] > _start[k]) sum += weights[k] * Function(powers, k);
            return sum;
        }

        T Function(ReadOnlySpan<T> powers, int k)
        {
            T s = T.Zero;
            for (int t = _start[k]; t < _start[k + 1]; t++) s += _coef[t] * powers[_powerX[t]] * powers[_powerY[t]] * powers[_powerZ[t]];
            return s;
        }

        /// <summary>f_k for Vector&lt;T&gt;.Count directions at once (one per lane).</summary>
        public Vector<T> Function(ReadOnlySpan<Vector<T>> powers, int k)
        {
            var s = Vector<T>.Zero;
            for (int t = _start[k]; t < _start[k + 1]; t++) s += new Vector<T>(_coef[t]) * powers[_powerX[t]] * powers[_powerY[t]] * powers[_powerZ[t]];
            return s;
        }
    }
}
