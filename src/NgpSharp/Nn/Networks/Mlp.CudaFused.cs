using System.Globalization;
using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Networks;

// The fused fp16 tensor-core path (FullyFusedMlp.cu): a block takes 128 rows through all layers in shared memory.
// Forward converts the fp32 parameters to padded fp16 weights (kernel_ff_convert_weights), then runs
// kernel_ff_forward; training keeps the fp16 hidden outputs. Backward runs kernel_ff_backward (all δs, fp16, and
// dL/dinput), then one fp32-accumulating GEMM per layer for dW = δᵀ·X (Mlp.cu, reading the fp16 buffers).
public sealed partial class Mlp<T>
{
    /// <summary>Rows per block of the fused kernels (FF_ROWS).</summary>
    const int FusedRows = 128;

    /// <summary>Output layer width inside the fused kernels (FF_OUT): outputs are padded to this with zero weights.</summary>
    const int FusedOutputPad = 16;

    /// <summary>Largest padded input width the fused kernels take (shared memory: ≤ 68 KiB per block).</summary>
    const int FusedMaxInput = 128;

    DeviceBuffer<ushort>? _weights16;

    int FusedInputPad => (InputWidth + 15) / 16 * 16;

    int FusedThreads => 32 * (Neurons == 128 ? 8 : 4);

    /// <summary>Dynamic shared memory of the fused kernels: activation tile [128, K + 8] + weights [N, K + 8], fp16.</summary>
    internal int FusedSharedBytes => 2 * (FusedRows + Neurons) * (Math.Max(FusedInputPad, Neurons) + 8);

    /// <summary>fp16 weights: layer 0 [fanOut, InPad], hidden [N, N], output [16, N] (all layers padded).</summary>
    long FusedWeightCount => LayerCount == 1
        ? (long)FusedOutputPad * FusedInputPad
        : (long)Neurons * FusedInputPad + (long)(LayerCount - 2) * Neurons * Neurons + (long)FusedOutputPad * Neurons;

    Dictionary<string, string> FusedDefines() => new()
    {
        ["WIDTH"] = Neurons.ToString(CultureInfo.InvariantCulture),
        ["IN_PAD"] = FusedInputPad.ToString(CultureInfo.InvariantCulture),
        ["N_LAYERS"] = LayerCount.ToString(CultureInfo.InvariantCulture),
        ["ACTIVATION"] = ((int)Activation).ToString(CultureInfo.InvariantCulture),
        ["OUTPUT_ACTIVATION"] = ((int)OutputActivation).ToString(CultureInfo.InvariantCulture),
    };

    LaunchShape FusedLaunch(int batch) =>
        new((uint)((batch + FusedRows - 1) / FusedRows), (uint)FusedThreads, (uint)FusedSharedBytes);

    void ForwardFused(CudaBackend cuda, DeviceMatrix<T> input, DeviceMatrix<T> output, CudaMlpContext? ctx)
    {
        int batch = input.Rows;
        var defines = FusedDefines();
        long count = FusedWeightCount;
        if (_weights16 is null || _weights16.IsDisposed) _weights16 = Backend.Allocate<ushort>(count);
        cuda.Launch(cuda.Modules.GetFunction("FullyFusedMlp.cu", "kernel_ff_convert_weights", defines), LaunchShape.Linear(count, 256),
            new FfConvertArgs { Params = Params.Pointer(), Weights = _weights16.All.Pointer(), InputWidth = InputWidth, OutputWidth = OutputWidth, Total = (int)count });

        ulong hidden = 0, hiddenPre = 0, outputPre = 0;
        if (ctx is not null)
        {
            long hiddenCount = (long)(LayerCount - 1) * batch * Neurons;
            if (hiddenCount > 0)
            {
                ctx.Hidden16 = ctx.Own(Backend.Allocate<ushort>(hiddenCount));
                hidden = ctx.Hidden16.All.Pointer();
                if (Activation.NeedsPreActivation())
                {
                    ctx.HiddenPre16 = ctx.Own(Backend.Allocate<ushort>(hiddenCount));
                    hiddenPre = ctx.HiddenPre16.All.Pointer();
                }
            }
            if (OutputActivation.NeedsPreActivation())
            {
                ctx.OutputPre = ctx.Own(Backend.Allocate<T>((long)batch * OutputWidth));
                outputPre = ctx.OutputPre.All.Pointer();
            }
        }
        cuda.Launch(cuda.Modules.GetFunction("FullyFusedMlp.cu", "kernel_ff_forward", defines), FusedLaunch(batch), new FfForwardArgs
        {
            Weights = _weights16.All.Pointer(), Input = input.Pointer(), Output = output.Pointer(), OutputPre = outputPre,
            Hidden = hidden, HiddenPre = hiddenPre, Batch = batch, InputWidth = InputWidth, OutputWidth = OutputWidth,
        });
    }

    void BackwardFused(CudaBackend cuda, CudaMlpContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        if (_weights16 is null || _weights16.IsDisposed)
            throw new InvalidOperationException("Mlp.Backward (fused fp16): the fp16 weights of the forward pass are gone");
        int batch = input.Rows;
        long hiddenDeltas = (long)(LayerCount - 1) * batch * Neurons;
        using var deltas = Backend.Allocate<ushort>(hiddenDeltas + (long)batch * FusedOutputPad);
        ulong deltaBase = deltas.All.Pointer();
        cuda.Launch(cuda.Modules.GetFunction("FullyFusedMlp.cu", "kernel_ff_backward", FusedDefines()), FusedLaunch(batch), new FfBackwardArgs
        {
            Weights = _weights16.All.Pointer(), DLdOutput = dLdOutput.Pointer(), Output = output.Pointer(),
            OutputPre = ctx.OutputPre is { } op ? op.All.Pointer() : 0,
            Hidden = ctx.Hidden16 is { } h ? h.All.Pointer() : 0,
            HiddenPre = ctx.HiddenPre16 is { } hp ? hp.All.Pointer() : 0,
            Deltas = deltaBase, DLdInput = dLdInput.Pointer(),
            Batch = batch, InputWidth = InputWidth, OutputWidth = OutputWidth,
        });
        if (paramGradients == GradientMode.Ignore) return;

        using var partials = Backend.Allocate<T>(PartialsLength(batch));
        for (int l = LayerCount - 1; l >= 0; l--)
        {
            bool last = l == LayerCount - 1;
            ulong delta = deltaBase + 2UL * (ulong)((long)l * batch * Neurons);
            int ldDelta = last ? FusedOutputPad : Neurons;
            ulong x = l == 0 ? input.Pointer() : ctx.Hidden16!.All.Slice((long)(l - 1) * batch * Neurons).Pointer();
            WeightGradient(cuda, l, delta, deltaHalf: true, ldDelta, x, xHalf: l > 0, l == 0 ? InputWidth : Neurons, batch, partials, paramGradients);
        }
    }

    /// <summary>Frees the fp16 weight copy of the fused path.</summary>
    public override void Dispose()
    {
        _weights16?.Dispose();
        _weights16 = null;
        base.Dispose();
    }
}

/// <summary>C# twin of FfConvertArgs in FullyFusedMlp.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FfConvertArgs
{
    public ulong Params, Weights;
    public int InputWidth, OutputWidth, Total, Unused;
}

/// <summary>C# twin of FfForwardArgs in FullyFusedMlp.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FfForwardArgs
{
    public ulong Weights, Input, Output, OutputPre, Hidden, HiddenPre;
    public int Batch, InputWidth, OutputWidth, Unused;
}

/// <summary>C# twin of FfBackwardArgs in FullyFusedMlp.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FfBackwardArgs
{
    public ulong Weights, DLdOutput, Output, OutputPre, Hidden, HiddenPre, Deltas, DLdInput;
    public int Batch, InputWidth, OutputWidth, Unused;
}
