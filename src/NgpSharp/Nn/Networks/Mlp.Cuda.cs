using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Networks;

// The CUDA fp32 path (Mlp.cu): per layer one tiled GEMM with the activation fused into its epilogue; backward
// δ·W with f' fused, and weight gradients δᵀ·X summed over the batch in chunks (partials, then an ordered
// reduction: deterministic, no atomics). Same semantics and layouts as Mlp.Cpu.cs. The fused fp16 path is in
// Mlp.CudaFused.cs; the choice between them is Precision.
public sealed partial class Mlp<T>
{
    CudaPrecision _precision;

    /// <summary>
    /// Which CUDA implementation runs (ignored on the CPU). Auto (default): the fused fp16 tensor-core kernels
    /// when <see cref="Otype"/> is FullyFusedMLP and <see cref="SupportsFusedFloat16"/>, else fp32.
    /// </summary>
    /// <exception cref="ArgumentException">FusedFloat16 for a shape the fused kernels do not support.</exception>
    public CudaPrecision Precision
    {
        get => _precision;
        set
        {
            if (!Enum.IsDefined(value)) throw new ArgumentOutOfRangeException(nameof(value), value, "unknown CudaPrecision");
            if (value == CudaPrecision.FusedFloat16 && FusedUnsupportedReason() is { } why)
                throw new ArgumentException($"Mlp: the fused fp16 kernels cannot run this network: {why}", nameof(value));
            _precision = value;
        }
    }

    /// <summary>Whether the fused fp16 kernels support this shape (n_neurons 16/32/64/128, input ≤ 128, output ≤ 16).</summary>
    public bool SupportsFusedFloat16 => FusedUnsupportedReason() is null;

    /// <summary>Whether Forward/Backward on this backend run the fused fp16 kernels.</summary>
    public bool UsesFusedFloat16 => Backend.Kind == BackendKind.Cuda && _precision switch
    {
        CudaPrecision.FusedFloat16 => true,
        CudaPrecision.Auto => Otype == "FullyFusedMLP" && SupportsFusedFloat16,
        _ => false,
    };

    /// <summary>
    /// The loss scale to train this network with (Trainer.LossScale): 128 on the fused fp16 path, as tiny-cuda-nn,
    /// so that the fp16 backward δs (dL/dy is divided by the batch size) stay above fp16's subnormal range; 1 otherwise.
    /// </summary>
    public float RecommendedLossScale => UsesFusedFloat16 ? 128f : 1f;

    string? FusedUnsupportedReason()
    {
        if (!FullyFusedWidths.Contains(Neurons)) return $"n_neurons is {Neurons}, not one of {string.Join(", ", FullyFusedWidths)}";
        if (FusedInputPad > FusedMaxInput) return $"the input width {InputWidth} exceeds {FusedMaxInput}";
        if (OutputWidth > FusedOutputPad) return $"the output width {OutputWidth} exceeds {FusedOutputPad}";
        return null;
    }

    void CheckCudaElementType()
    {
        if (Backend.Kind == BackendKind.Cuda && typeof(T) != typeof(float))
            throw new NotSupportedException($"CUDA kernels run in float; use Mlp<float> (got Mlp<{typeof(T).Name}>)");
    }

    /// <summary>What a CUDA Forward keeps for Backward (buffers are owned: freed with the context).</summary>
    sealed class CudaMlpContext : ForwardContext
    {
        public required object Owner;
        public required int Batch;
        public required bool Fused;
        // fp32 path: hidden outputs [B, N] per hidden layer, pre-activations per layer (Sine) or null.
        public DeviceBuffer<T>[] Hidden = [];
        public DeviceBuffer<T>?[] Pre = [];
        // fused path: fp16 hidden outputs [L − 1, B, N] (+ pre-activations for Sine), output pre-activations.
        public DeviceBuffer<ushort>? Hidden16, HiddenPre16;
        public DeviceBuffer<T>? OutputPre;
    }

    ForwardContext ForwardCuda(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        var cuda = (CudaBackend)Backend;
        bool fused = UsesFusedFloat16;
        var ctx = prepareBackward ? new CudaMlpContext { Owner = this, Batch = input.Rows, Fused = fused } : null;
        if (input.Rows == 0) return ctx ?? ForwardContext.Empty;
        if (fused) ForwardFused(cuda, input, output, ctx);
        else ForwardFloat32(cuda, input, output, ctx);
        return ctx ?? ForwardContext.Empty;
    }

    void BackwardCuda(ForwardContext context, DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        if (context is not CudaMlpContext ctx || !ReferenceEquals(ctx.Owner, this))
            throw new ArgumentException("Mlp.Backward needs the context returned by this module's Forward with prepareBackward: true", nameof(context));
        int batch = input.Rows;
        if (ctx.Batch != batch)
            throw new ArgumentException($"Mlp.Backward: the context was made for another batch size than {batch}", nameof(context));
        bool grads = paramGradients != GradientMode.Ignore;
        if (!grads && dLdInput is null) return;
        if (batch == 0)
        {
            if (paramGradients == GradientMode.Overwrite) Backend.Fill(Gradients, T.Zero);
            return;
        }
        var cuda = (CudaBackend)Backend;
        if (ctx.Fused) BackwardFused(cuda, ctx, input, output, dLdOutput, dLdInput, paramGradients);
        else BackwardFloat32(cuda, ctx, input, output, dLdOutput, dLdInput, paramGradients);
    }

    void ForwardFloat32(CudaBackend cuda, DeviceMatrix<T> input, DeviceMatrix<T> output, CudaMlpContext? ctx)
    {
        int batch = input.Rows;
        using var scratch = ctx is null && LayerCount > 1 ? Backend.Allocate<T>(2L * batch * Neurons) : null;
        if (ctx is not null)
        {
            ctx.Hidden = new DeviceBuffer<T>[LayerCount - 1];
            ctx.Pre = new DeviceBuffer<T>?[LayerCount];
            for (int l = 0; l < LayerCount - 1; l++) ctx.Hidden[l] = ctx.Own(Backend.Allocate<T>((long)batch * Neurons));
            for (int l = 0; l < LayerCount; l++)
                if (LayerActivation(l).NeedsPreActivation()) ctx.Pre[l] = ctx.Own(Backend.Allocate<T>((long)batch * _widths[l + 1]));
        }
        ulong x = input.Pointer();
        for (int l = 0; l < LayerCount; l++)
        {
            int fanIn = _widths[l], fanOut = _widths[l + 1];
            bool last = l == LayerCount - 1;
            ulong y = last ? output.Pointer()
                : ctx is not null ? ctx.Hidden[l].All.Pointer()
                : scratch!.All.Slice((l & 1) * (long)batch * Neurons).Pointer();
            ulong pre = ctx?.Pre[l] is { } p ? p.All.Pointer() : 0;
            // Y[b, n] = f(Σ_k X[b, k]·W[n, k]): A = X (row-major), B(k, n) = W[n·fanIn + k].
            LaunchGemm(cuda, epilogue: 0, LayerActivation(l), aHalf: false, bHalf: false, new MlpGemmArgs
            {
                A = x, B = LayerWeights(l), C = y, Pre = pre,
                StrideAm = fanIn, StrideAk = 1, StrideBk = 1, StrideBn = fanIn,
                M = batch, N = fanOut, K = fanIn, Ldc = fanOut, KChunk = fanIn,
            });
            x = y;
        }
    }

    void BackwardFloat32(CudaBackend cuda, CudaMlpContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        int batch = input.Rows, outW = OutputWidth, maxWidth = Math.Max(Neurons, outW);
        using var deltas = Backend.Allocate<T>(2L * batch * maxWidth);
        var deltaBuf = new[] { deltas.All.Slice(0, (long)batch * maxWidth), deltas.All.Slice((long)batch * maxWidth) };
        using var partials = paramGradients == GradientMode.Ignore ? null : Backend.Allocate<T>(PartialsLength(batch));

        // δ of the output layer: dL/dy ⊙ f'(y) (or dL/dy itself for a linear output).
        var outAct = OutputActivation;
        ulong delta = dLdOutput.Pointer();
        if (outAct != Activation.None)
        {
            long count = (long)batch * outW;
            cuda.Launch(cuda.Modules.GetFunction("Mlp.cu", "kernel_mlp_activation_backward", Defines(outAct)), LaunchShape.Linear(count, 256),
                new MlpActivationBackwardArgs
                {
                    DLdOutput = dLdOutput.Pointer(), Output = output.Pointer(), Pre = ctx.Pre[LayerCount - 1] is { } p ? p.All.Pointer() : 0,
                    Delta = deltaBuf[0].Pointer(), Count = count,
                });
            delta = deltaBuf[0].Pointer();
        }
        int next = 1;
        for (int l = LayerCount - 1; l >= 0; l--)
        {
            int fanIn = _widths[l], fanOut = _widths[l + 1];
            ulong x = l == 0 ? input.Pointer() : ctx.Hidden[l - 1].All.Pointer();
            if (partials is not null)
                WeightGradient(cuda, l, delta, deltaHalf: false, fanOut, x, xHalf: false, fanIn, batch, partials, paramGradients);
            if (l == 0 && dLdInput is null) break;
            // G[b, k] = Σ_n δ[b, n]·W[n, k], then ⊙ f'(h_{l−1}) for hidden layers.
            ulong target = l == 0 ? dLdInput!.Value.Pointer() : deltaBuf[next].Pointer();
            LaunchGemm(cuda, epilogue: 1, l == 0 ? Activation.None : Activation, aHalf: false, bHalf: false, new MlpGemmArgs
            {
                A = delta, B = LayerWeights(l), C = target,
                Pre = l > 0 && ctx.Pre[l - 1] is { } pre ? pre.All.Pointer() : 0,
                Y = l > 0 ? ctx.Hidden[l - 1].All.Pointer() : 0,
                StrideAm = fanOut, StrideAk = 1, StrideBk = fanIn, StrideBn = 1,
                M = batch, N = fanIn, K = fanOut, Ldc = fanIn, KChunk = fanOut,
            });
            delta = target;
            next ^= 1;
        }
    }

    ulong LayerWeights(int layer) => Params.Slice(_offsets[layer], (long)_widths[layer] * _widths[layer + 1]).Pointer();

    /// <summary>Reduction rows per weight-gradient block: enough blocks to fill a GPU, at most 1024 chunks (fixed by the shape, so deterministic).</summary>
    static int GradientChunkRows(int batch, int fanOut, int fanIn)
    {
        int tiles = ((fanOut + 63) / 64) * ((fanIn + 63) / 64);
        int chunks = Math.Clamp((1024 + tiles - 1) / tiles, 1, 1024);
        int rows = (batch + chunks - 1) / chunks;
        return Math.Max(256, (rows + 15) / 16 * 16);
    }

    long PartialsLength(int batch)
    {
        long max = 1;
        for (int l = 0; l < LayerCount; l++)
        {
            int fanOut = _widths[l + 1], fanIn = _widths[l];
            int chunks = (batch + GradientChunkRows(batch, fanOut, fanIn) - 1) / GradientChunkRows(batch, fanOut, fanIn);
            max = Math.Max(max, (long)chunks * fanOut * fanIn);
        }
        return max;
    }

    /// <summary>
    /// dW_l[n, k] (+)= Σ_b δ[b, n]·X[b, k] into the layer's gradient slice: δ [B, ldDelta] (first fanOut columns
    /// used), X [B, ldX] (first fanIn columns used), fp32 or fp16 each.
    /// </summary>
    void WeightGradient(CudaBackend cuda, int l, ulong delta, bool deltaHalf, int ldDelta, ulong x, bool xHalf, int ldX, int batch,
        DeviceBuffer<T> partials, GradientMode mode)
    {
        int fanIn = _widths[l], fanOut = _widths[l + 1];
        int chunkRows = GradientChunkRows(batch, fanOut, fanIn);
        int chunks = (batch + chunkRows - 1) / chunkRows;
        LaunchGemm(cuda, epilogue: 2, Activation.None, deltaHalf, xHalf, new MlpGemmArgs
        {
            A = delta, B = x, C = partials.All.Pointer(),
            StrideAm = 1, StrideAk = ldDelta, StrideBk = ldX, StrideBn = 1,
            M = fanOut, N = fanIn, K = batch, Ldc = fanIn, KChunk = chunkRows,
        }, chunks);
        int count = fanOut * fanIn;
        cuda.Launch(cuda.Modules.GetFunction("Mlp.cu", "kernel_mlp_reduce_partials"), LaunchShape.Linear(count, 256), new MlpReduceArgs
        {
            Partials = partials.All.Pointer(), Gradients = Gradients.Slice(_offsets[l], count).Pointer(),
            Count = count, Chunks = chunks, Accumulate = mode == GradientMode.Accumulate ? 1 : 0,
        });
    }

    static void LaunchGemm(CudaBackend cuda, int epilogue, Activation activation, bool aHalf, bool bHalf, in MlpGemmArgs args, int chunks = 1)
    {
        var defines = new Dictionary<string, string>
        {
            ["ACTIVATION"] = ((int)activation).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["EPILOGUE"] = epilogue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["A_HALF"] = aHalf ? "1" : "0",
            ["B_HALF"] = bHalf ? "1" : "0",
        };
        long tiles = (long)((args.M + 63) / 64) * ((args.N + 63) / 64);
        if (tiles > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(args), "batch too large for one GEMM launch");
        cuda.Launch(cuda.Modules.GetFunction("Mlp.cu", "kernel_mlp_gemm", defines), new LaunchShape((uint)tiles, 256, GridY: (uint)chunks), args);
    }

    static Dictionary<string, string> Defines(Activation activation) =>
        new() { ["ACTIVATION"] = ((int)activation).ToString(System.Globalization.CultureInfo.InvariantCulture) };
}

/// <summary>C# twin of MlpGemmArgs in Mlp.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MlpGemmArgs
{
    public ulong A, B, C, Pre, Y;
    public int StrideAm, StrideAk, StrideBk, StrideBn;
    public int M, N, K;
    public int Ldc;
    public int KChunk;
    public int Unused;
}

/// <summary>C# twin of MlpReduceArgs in Mlp.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MlpReduceArgs
{
    public ulong Partials, Gradients;
    public int Count, Chunks, Accumulate, Unused;
}

/// <summary>C# twin of MlpActivationBackwardArgs in Mlp.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MlpActivationBackwardArgs
{
    public ulong DLdOutput, Output, Pre, Delta;
    public long Count;
}
