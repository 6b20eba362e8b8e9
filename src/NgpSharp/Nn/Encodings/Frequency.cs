using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// tiny-cuda-nn's "Frequency" encoding (NeRF positional encoding). input: [B, D]; output: [B, D·F·2] (+ padding of
/// 1s), laid out per input dimension d, per frequency f = 0..F−1, the pair
/// <c>sin(2^f·π·x_d), cos(2^f·π·x_d)</c> — column <c>d·2F + 2f</c> holds the sine, the next one the cosine.
/// </summary>
/// <remarks>
/// The input gradient reads the forward output: ∂sin(a)/∂x = 2^f·π·cos(a) and ∂cos(a)/∂x = −2^f·π·sin(a), so the
/// pair supplies each other's derivative and no trigonometry runs in the backward pass.
/// </remarks>
public sealed class Frequency<T> : ParameterFreeEncoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>tiny-cuda-nn's default n_frequencies.</summary>
    public const int DefaultFrequencies = 12;

    readonly T[] _angularFrequency; // 2^f·π

    public Frequency(Backend backend, int inputDims, int nFrequencies = DefaultFrequencies) : base(backend, inputDims)
    {
        if (nFrequencies is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(nFrequencies), nFrequencies, "Frequency: n_frequencies must be in [1, 64]");
        NFrequencies = nFrequencies;
        _angularFrequency = new T[nFrequencies];
        for (int f = 0; f < nFrequencies; f++) _angularFrequency[f] = T.ScaleB(T.One, f) * T.Pi;
    }

    /// <summary>Keys: n_frequencies (default 12).</summary>
    public static Frequency<T> FromJson(Backend backend, int inputDims, JsonConfig config)
    {
        int n = config.Int("n_frequencies", DefaultFrequencies);
        if (n is < 1 or > 64) throw config.Error("n_frequencies", $"must be in [1, 64], got {n}");
        return new(backend, inputDims, n);
    }

    public int NFrequencies { get; }

    public override int EncodedWidth => InputWidth * NFrequencies * 2;

    private protected override CudaEncodingKernels? CudaKernels => new("Frequency.cu", "kernel_frequency_forward", "kernel_frequency_backward", InputWidth * NFrequencies, InputWidth, NFrequencies);

    public override JsonObject Hyperparams() => new() { ["otype"] = "Frequency", ["n_frequencies"] = NFrequencies };

    protected override void EncodeRows(DeviceMatrix<T> input, DeviceMatrix<T> output, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = output.Cols, nf = NFrequencies;
        var x = input.AsSpan();
        var y = output.AsSpan();
        var w = _angularFrequency;
        for (int r = rowStart; r < rowEnd; r++)
        {
            var yr = y.Slice(r * outW, EncodedWidth);
            for (int j = 0; j < d; j++)
            {
                T xj = x[r * d + j];
                var pairs = yr.Slice(j * 2 * nf, 2 * nf);
                for (int f = 0; f < nf; f++)
                {
                    // x·(2^f·π) rounds exactly like tiny-cuda-nn's (x·2^f)·π: power-of-two scaling is exact.
                    var (sin, cos) = T.SinCos(xj * w[f]);
                    pairs[2 * f] = sin;
                    pairs[2 * f + 1] = cos;
                }
            }
        }
    }

    protected override void InputGradientRows(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T> dLdInput, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = output.Cols, nf = NFrequencies;
        var y = output.AsSpan();
        var dy = dLdOutput.AsSpan();
        var dx = dLdInput.AsSpan();
        var w = _angularFrequency;
        for (int r = rowStart; r < rowEnd; r++)
        {
            for (int j = 0; j < d; j++)
            {
                int col = r * outW + j * 2 * nf;
                T sum = T.Zero;
                for (int f = 0; f < nf; f++)
                {
                    T sin = y[col + 2 * f], cos = y[col + 2 * f + 1];
                    sum += w[f] * (dy[col + 2 * f] * cos - dy[col + 2 * f + 1] * sin);
                }
                dx[r * d + j] = sum;
            }
        }
    }
}
