using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// tiny-cuda-nn's "OneBlob" encoding (Müller et al. 2019, neural importance sampling): each input in [0, 1] becomes
/// n_bins values, the mass of a kernel centred at x that falls into each bin [k/n, (k+1)/n). input: [B, D];
/// output: [B, D·n_bins] (+ padding of 1s), column <c>d·n + k</c>.
/// </summary>
/// <remarks>
/// The kernel is tiny-cuda-nn's: the quartic (biweight) kernel <c>15/16·(1−u²)²</c> with radius one bin width
/// (u = (b − x)·n), not a Gaussian. Like tiny-cuda-nn's kernels it wraps around [0, 1) (the kernel is also
/// evaluated at x ± 1), so mass leaving one end enters at the other. n_bins must be a power of two (tiny-cuda-nn's
/// rule).
/// </remarks>
public sealed class OneBlob<T> : ParameterFreeEncoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>tiny-cuda-nn's default n_bins.</summary>
    public const int DefaultBins = 16;

    static readonly T C15_16 = T.CreateChecked(15.0 / 16.0), C2_3 = T.CreateChecked(2.0 / 3.0), C1_5 = T.CreateChecked(1.0 / 5.0), Half = T.CreateChecked(0.5);

    readonly T _bins; // also the kernel's inverse radius

    public OneBlob(Backend backend, int inputDims, int nBins = DefaultBins) : base(backend, inputDims)
    {
        if (nBins < 1 || !BitOperations.IsPow2(nBins) || nBins > 1 << 16)
            throw new ArgumentOutOfRangeException(nameof(nBins), nBins, "OneBlob: n_bins must be a power of two in [1, 65536]");
        NBins = nBins;
        _bins = T.CreateChecked(nBins);
    }

    /// <summary>Keys: n_bins (default 16, a power of two).</summary>
    public static OneBlob<T> FromJson(Backend backend, int inputDims, JsonConfig config)
    {
        int n = config.Int("n_bins", DefaultBins);
        if (n < 1 || !BitOperations.IsPow2(n) || n > 1 << 16) throw config.Error("n_bins", $"must be a power of two in [1, 65536], got {n}");
        return new(backend, inputDims, n);
    }

    public int NBins { get; }

    public override int EncodedWidth => InputWidth * NBins;

    private protected override CudaEncodingKernels? CudaKernels => new("OneBlob.cu", "kernel_one_blob_forward", "kernel_one_blob_backward", EncodedWidth, InputWidth, NBins);

    public override JsonObject Hyperparams() => new() { ["otype"] = "OneBlob", ["n_bins"] = NBins };

    /// <summary>CDF of the quartic kernel at offset t (inverse radius n): clamp(15/16·u·(1 − 2/3·u² + 1/5·u⁴) + ½, 0, 1).</summary>
    T QuarticCdf(T t)
    {
        T u = t * _bins, u2 = u * u;
        return T.Clamp(C15_16 * u * (T.One - C2_3 * u2 + C1_5 * u2 * u2) + Half, T.Zero, T.One);
    }

    /// <summary>d/dt of <see cref="QuarticCdf"/>: 15/16·max(1 − u², 0)²·n.</summary>
    T QuarticPdf(T t)
    {
        T u = t * _bins, m = T.Max(T.One - u * u, T.Zero);
        return C15_16 * m * m * _bins;
    }

    /// <summary>Kernel CDF with wrap-around: the kernel sits at x, x − 1 and x + 1.</summary>
    T WrappedCdf(T boundary, T x) => QuarticCdf(boundary - x) + QuarticCdf(boundary - x - T.One) + QuarticCdf(boundary - x + T.One);

    T WrappedPdf(T boundary, T x) => QuarticPdf(boundary - x) + QuarticPdf(boundary - x - T.One) + QuarticPdf(boundary - x + T.One);

    protected override void EncodeRows(DeviceMatrix<T> input, DeviceMatrix<T> output, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = output.Cols, n = NBins;
        var x = input.AsSpan();
        var y = output.AsSpan();
        for (int r = rowStart; r < rowEnd; r++)
            for (int j = 0; j < d; j++)
            {
                T xj = x[r * d + j];
                int col = r * outW + j * n;
                T left = WrappedCdf(T.Zero, xj);
                for (int k = 0; k < n; k++)
                {
                    T right = WrappedCdf(T.CreateTruncating(k + 1) / _bins, xj); // exact: n is a power of two
                    y[col + k] = right - left;
                    left = right;
                }
            }
    }

    protected override void InputGradientRows(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T> dLdInput, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = dLdOutput.Cols, n = NBins;
        var x = input.AsSpan();
        var dy = dLdOutput.AsSpan();
        var dx = dLdInput.AsSpan();
        for (int r = rowStart; r < rowEnd; r++)
            for (int j = 0; j < d; j++)
            {
                T xj = x[r * d + j];
                int col = r * outW + j * n;
                // ∂(CDF(right − x) − CDF(left − x))/∂x = pdf(left − x) − pdf(right − x)
                T left = WrappedPdf(T.Zero, xj), sum = T.Zero;
                for (int k = 0; k < n; k++)
                {
                    T right = WrappedPdf(T.CreateTruncating(k + 1) / _bins, xj);
                    sum += dy[col + k] * (left - right);
                    left = right;
                }
                dx[r * d + j] = sum;
            }
    }
}
