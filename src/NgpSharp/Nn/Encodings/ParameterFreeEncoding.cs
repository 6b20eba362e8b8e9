using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// An encoding without trainable parameters (Identity, Frequency, SphericalHarmonics, OneBlob, TriangleWave).
/// Forward and the input gradient run row tiles in parallel; each row is independent, so results do not
/// depend on the thread count.
/// </summary>
public abstract partial class ParameterFreeEncoding<T> : Encoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rows per parallel tile.</summary>
    protected const int RowsPerTile = 256;

    protected ParameterFreeEncoding(Backend backend, int inputDims) : base(backend)
    {
        if (inputDims < 1) throw new ArgumentOutOfRangeException(nameof(inputDims), inputDims, $"{GetType().Name}: needs at least one input dimension");
        InputWidth = inputDims;
        CudaElementType.RequireFloatOnCuda<T>(backend, GetType().Name.Split('`')[0]);
    }

    public sealed override int InputWidth { get; }

    public sealed override long ParamCount => 0;

    /// <summary>1, as tiny-cuda-nn pads these encodings (the padding column then acts as a bias input).</summary>
    public override T PaddingValue => T.One;

    public sealed override void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f) { }

    protected sealed override ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        if (Backend.Kind == BackendKind.Cuda) { ForwardCuda(input, output); return ForwardContext.Empty; }
        RequireCpu();
        CpuParallel.ForTiles(input.Rows, RowsPerTile, (start, end) => EncodeRows(input, output, start, end));
        return ForwardContext.Empty;
    }

    protected sealed override void BackwardCore(ForwardContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        if (dLdInput is not { } dLdx) return; // no parameters: only the input gradient exists
        if (Backend.Kind == BackendKind.Cuda) { InputGradientCuda(input, output, dLdOutput, dLdx); return; }
        RequireCpu();
        CpuParallel.ForTiles(input.Rows, RowsPerTile, (start, end) => InputGradientRows(input, output, dLdOutput, dLdx, start, end));
    }

    /// <summary>Writes the encoded columns [0, EncodedWidth) of rows [rowStart, rowEnd). input: [B, InputWidth], output: [B, OutputWidth].</summary>
    protected abstract void EncodeRows(DeviceMatrix<T> input, DeviceMatrix<T> output, int rowStart, int rowEnd);

    /// <summary>
    /// Overwrites dLdInput rows [rowStart, rowEnd) with Σ_j dLdOutput[:, j] · ∂output[:, j]/∂input (padding columns
    /// contribute nothing). output holds what Forward wrote.
    /// </summary>
    protected abstract void InputGradientRows(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T> dLdInput, int rowStart, int rowEnd);

    void RequireCpu()
    {
        if (Backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"{GetType().Name}: no kernel for the {Backend.Kind} backend yet");
    }
}
