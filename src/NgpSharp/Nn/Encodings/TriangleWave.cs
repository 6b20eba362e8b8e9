using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// tiny-cuda-nn's "TriangleWave" encoding: a cheap Frequency replacement. input: [B, D]; output: [B, D·F] (+ padding
/// of 1s), column <c>d·F + f</c> = <c>4·|frac(v) − ½| − 1</c> with <c>v = x_d·2^(f−1) + f/4</c> (the f/4 phase shift
/// disambiguates locations). ∂/∂x = ∓2^(f+1): −2^(f+1) where ⌊2v⌋ is even, +2^(f+1) where it is odd.
/// </summary>
public sealed class TriangleWave<T> : ParameterFreeEncoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>tiny-cuda-nn's default n_frequencies.</summary>
    public const int DefaultFrequencies = 12;

    static readonly T Quarter = T.CreateChecked(0.25), Half = T.CreateChecked(0.5), Four = T.CreateChecked(4), Two = T.CreateChecked(2);

    public TriangleWave(Backend backend, int inputDims, int nFrequencies = DefaultFrequencies) : base(backend, inputDims)
    {
        if (nFrequencies is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(nFrequencies), nFrequencies, "TriangleWave: n_frequencies must be in [1, 64]");
        NFrequencies = nFrequencies;
    }

    /// <summary>Keys: n_frequencies (default 12).</summary>
    public static TriangleWave<T> FromJson(Backend backend, int inputDims, JsonConfig config)
    {
        int n = config.Int("n_frequencies", DefaultFrequencies);
        if (n is < 1 or > 64) throw config.Error("n_frequencies", $"must be in [1, 64], got {n}");
        return new(backend, inputDims, n);
    }

    public int NFrequencies { get; }

    public override int EncodedWidth => InputWidth * NFrequencies;

    private protected override CudaEncodingKernels? CudaKernels => new("TriangleWave.cu", "kernel_triangle_wave_forward", "kernel_triangle_wave_backward", EncodedWidth, InputWidth, NFrequencies);

    public override JsonObject Hyperparams() => new() { ["otype"] = "TriangleWave", ["n_frequencies"] = NFrequencies };

    /// <summary>v = x·2^(f−1) + f/4, the phase of frequency f.</summary>
    static T Phase(T x, int f) => T.ScaleB(x, f - 1) + T.CreateTruncating(f) * Quarter;

    protected override void EncodeRows(DeviceMatrix<T> input, DeviceMatrix<T> output, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = output.Cols, nf = NFrequencies;
        var x = input.AsSpan();
        var y = output.AsSpan();
        for (int r = rowStart; r < rowEnd; r++)
            for (int j = 0; j < d; j++)
            {
                T xj = x[r * d + j];
                int col = r * outW + j * nf;
                for (int f = 0; f < nf; f++)
                {
                    T v = Phase(xj, f);
                    y[col + f] = T.Abs(v - T.Floor(v) - Half) * Four - T.One;
                }
            }
    }

    protected override void InputGradientRows(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T> dLdInput, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = dLdOutput.Cols, nf = NFrequencies;
        var x = input.AsSpan();
        var dy = dLdOutput.AsSpan();
        var dx = dLdInput.AsSpan();
        for (int r = rowStart; r < rowEnd; r++)
            for (int j = 0; j < d; j++)
            {
                T xj = x[r * d + j];
                int col = r * outW + j * nf;
                T sum = T.Zero;
                for (int f = 0; f < nf; f++)
                {
                    T halfPeriods = T.Floor(Phase(xj, f) * Two);
                    bool even = T.IsEvenInteger(halfPeriods);
                    T slope = T.ScaleB(even ? -T.One : T.One, f + 1);
                    sum += dy[col + f] * slope;
                }
                dx[r * d + j] = sum;
            }
    }
}
