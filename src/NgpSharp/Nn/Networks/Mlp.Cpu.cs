using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Nn.Networks;

// The CPU implementation: the batch is cut into tiles of TileRows rows and each tile goes through all layers
// while its activations are in L1/L2 (the "fully fused" idea). Inside a tile every activation matrix has its
// width padded to a multiple of 16 (Gemm.PaddedWidth) so that the SIMD kernels need no column tails; products
// only ever sum over real columns, so padding values never reach a real result.
public sealed partial class Mlp<T>
{
    /// <summary>Rows of one tile (activations of a 64-wide tile: 32 KiB in float).</summary>
    const int TileRows = 128;

    /// <summary>
    /// Rows per backward work item. Each item sums its weight gradients over its tiles; the items' partial sums
    /// are then added in item order, so gradients do not depend on the thread count.
    /// </summary>
    const int ChunkRows = TileRows * 16;

    /// <summary>
    /// What Forward keeps: hidden outputs [B, padded N] and, for Sine, pre-activations. The arrays are rented
    /// uninitialised from the shared pool (every element is written before it is read) and returned on Dispose;
    /// a step's tens of MiB then cost neither zeroing nor fresh pages.
    /// </summary>
    sealed class MlpContext : ForwardContext
    {
        public required T[][] Hidden;   // [LayerCount − 1] of [B, PaddedWidth(N)]
        public required T[]?[] Pre;     // [LayerCount], only for layers whose activation needs x
        public required int Batch;
        public required object Owner;

        public override void Dispose()
        {
            if (IsDisposed) return;
            foreach (var h in Hidden) ArrayPool<T>.Shared.Return(h);
            foreach (var p in Pre) if (p is not null) ArrayPool<T>.Shared.Return(p);
            Hidden = [];
            Pre = [];
            base.Dispose();
        }
    }

    int Padded(int widthIndex) => Gemm.PaddedWidth(_widths[widthIndex]);

    int MaxPadded()
    {
        int max = 0;
        for (int i = 0; i < _widths.Length; i++) max = Math.Max(max, Padded(i));
        return max;
    }

    protected override ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        if (Backend.Kind == BackendKind.Cuda) return ForwardCuda(input, output, prepareBackward);
        if (Backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"Mlp has no implementation for the {Backend.Kind} backend");
        int batch = input.Rows;
        MlpContext? ctx = null;
        if (prepareBackward)
        {
            var hidden = new T[LayerCount - 1][];
            var pre = new T[]?[LayerCount];
            for (int l = 0; l < LayerCount - 1; l++) hidden[l] = ArrayPool<T>.Shared.Rent(checked(batch * Padded(l + 1)));
            for (int l = 0; l < LayerCount; l++)
                if (LayerActivation(l).NeedsPreActivation()) pre[l] = ArrayPool<T>.Shared.Rent(checked(batch * Padded(l + 1)));
            ctx = new MlpContext { Hidden = hidden, Pre = pre, Batch = batch, Owner = this };
        }

        var packed = PackTransposed(Params.AsSpan(), out var packedOffsets);
        try
        {
            CpuParallel.ForTiles(batch, TileRows, (start, end) => ForwardTile(start, end, input, output, packed, packedOffsets, ctx));
        }
        finally { ArrayPool<T>.Shared.Return(packed); }
        return ctx ?? ForwardContext.Empty;
    }

    /// <summary>Rows [start, end) through all layers.</summary>
    void ForwardTile(int start, int end, DeviceMatrix<T> input, DeviceMatrix<T> output, T[] packed, int[] packedOffsets, MlpContext? ctx)
    {
        int rows = end - start, maxPad = MaxPadded(), outW = OutputWidth, outPad = Padded(LayerCount);
        var scratch = TileScratch.Get(2 * TileRows * maxPad + TileRows * outPad);
        var x = input.AsSpan().Slice(start * InputWidth);
        int ldx = InputWidth;
        var outSpan = output.AsSpan();
        for (int l = 0; l < LayerCount; l++)
        {
            int nPad = Padded(l + 1);
            bool last = l == LayerCount - 1;
            bool direct = last && outPad == outW;
            Span<T> c = last
                ? (direct ? outSpan.Slice(start * outW, rows * outW) : scratch.AsSpan(2 * TileRows * maxPad, rows * outPad))
                : ctx is not null ? ctx.Hidden[l].AsSpan(start * nPad, rows * nPad)
                : scratch.AsSpan((l & 1) * TileRows * maxPad, rows * nPad);
            Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(x), ldx, 1, ref packed[packedOffsets[l]], nPad,
                ref MemoryMarshal.GetReference(c), nPad, rows, nPad, _widths[l], accumulate: false);
            if (ctx?.Pre[l] is { } pre) c.CopyTo(pre.AsSpan(start * nPad));
            ActivationKernels.Forward(LayerActivation(l), c);
            if (last && !direct)
                for (int r = 0; r < rows; r++) c.Slice(r * outPad, outW).CopyTo(outSpan.Slice((start + r) * outW, outW));
            x = c;
            ldx = nPad;
        }
    }

    protected override void BackwardCore(ForwardContext context, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        if (Backend.Kind == BackendKind.Cuda)
        {
            BackwardCuda(context, input, output, dLdOutput, dLdInput, paramGradients);
            return;
        }
        if (Backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"Mlp has no implementation for the {Backend.Kind} backend");
        if (context is not MlpContext ctx || !ReferenceEquals(ctx.Owner, this))
            throw new ArgumentException("Mlp.Backward needs the context returned by this module's Forward with prepareBackward: true", nameof(context));
        int batch = input.Rows;
        if (ctx.Batch != batch)
            throw new ArgumentException($"Mlp.Backward: the context was made for another batch size than {batch}", nameof(context));
        bool grads = paramGradients != GradientMode.Ignore;
        if (!grads && dLdInput is null) return;
        if (batch == 0)
        {
            if (paramGradients == GradientMode.Overwrite) Gradients.AsSpan().Clear();
            return;
        }

        // Per-chunk partial weight gradients, each [Σ_l fanOut_l · PaddedWidth(fanIn_l)].
        var partialOffsets = new int[LayerCount + 1];
        for (int l = 0; l < LayerCount; l++) partialOffsets[l + 1] = partialOffsets[l] + _widths[l + 1] * Padded(l);
        int partialSize = partialOffsets[LayerCount];
        int chunks = CpuParallel.TileCount(batch, ChunkRows);
        T[]? partials = grads ? ArrayPool<T>.Shared.Rent(Math.Max(1, chunks) * partialSize) : null;
        var packed = PackPadded(Params.AsSpan(), out var packedOffsets);
        try
        {
            CpuParallel.ForTilesIndexed(batch, ChunkRows, (chunk, start, end) =>
            {
                Span<T> partial = partials is null ? default : partials.AsSpan(chunk * partialSize, partialSize);
                partial.Clear();
                for (int t = start; t < end; t += TileRows)
                    BackwardTile(t, Math.Min(end, t + TileRows), input, output, dLdOutput, dLdInput, ctx, packed, packedOffsets, partial, partialOffsets);
            });
            if (partials is not null) ReduceWeightGradients(partials, chunks, partialSize, partialOffsets, paramGradients);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(packed);
            if (partials is not null) ArrayPool<T>.Shared.Return(partials);
        }
    }

    /// <summary>Rows [start, end) back through all layers; adds their weight gradients to <paramref name="partial"/>.</summary>
    void BackwardTile(int start, int end, DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T>? dLdInput, MlpContext ctx, T[] packed, int[] packedOffsets, Span<T> partial, int[] partialOffsets)
    {
        int rows = end - start, maxPad = MaxPadded(), inW = InputWidth, inPad = Padded(0), outW = OutputWidth, outPad = Padded(LayerCount);
        var scratch = TileScratch.Get(3 * TileRows * maxPad);
        var deltaBuf = scratch.AsSpan(0, TileRows * maxPad);
        var otherBuf = scratch.AsSpan(TileRows * maxPad, TileRows * maxPad);
        var inputTile = scratch.AsSpan(2 * TileRows * maxPad, TileRows * maxPad);

        // δ of the output layer: dL/dy ⊙ f'(y), [rows, outPad].
        var y = output.AsSpan();
        var dy = dLdOutput.AsSpan();
        var outPreBuf = ctx.Pre[LayerCount - 1];
        var outAct = LayerActivation(LayerCount - 1);
        for (int r = 0; r < rows; r++)
        {
            var g = deltaBuf.Slice(r * outPad, outW);
            dy.Slice((start + r) * outW, outW).CopyTo(g);
            ReadOnlySpan<T> preRow = outPreBuf is null ? default : outPreBuf.AsSpan((start + r) * outPad, outW);
            ActivationKernels.Backward(outAct, y.Slice((start + r) * outW, outW), preRow, g);
        }
        Span<T> delta = deltaBuf;
        int ldd = outPad;

        for (int l = LayerCount - 1; l >= 0; l--)
        {
            int nOut = _widths[l + 1], kPad = Padded(l);
            if (!partial.IsEmpty)
            {
                // dW_l += δᵀ · h_{l−1}: A = δ read transposed, B = the layer's input [rows, kPad].
                Span<T> h;
                int ldh = kPad;
                if (l > 0) h = ctx.Hidden[l - 1].AsSpan(start * kPad, rows * kPad);
                else if (inPad == inW) h = input.AsSpan().Slice(start * inW, rows * inW);
                else
                {
                    h = inputTile.Slice(0, rows * inPad);
                    var x = input.AsSpan();
                    for (int r = 0; r < rows; r++) x.Slice((start + r) * inW, inW).CopyTo(h.Slice(r * inPad));
                }
                Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(delta), 1, ldd, ref MemoryMarshal.GetReference(h), ldh,
                    ref partial[partialOffsets[l]], kPad, nOut, kPad, rows, accumulate: true);
            }
            if (l == 0 && dLdInput is null) break;

            // g = δ · W_l: [rows, kPad].
            bool directInput = l == 0 && inPad == inW;
            Span<T> gOut = directInput ? dLdInput!.Value.AsSpan().Slice(start * inW, rows * inW) : otherBuf.Slice(0, rows * kPad);
            Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(delta), ldd, 1, ref packed[packedOffsets[l]], kPad,
                ref MemoryMarshal.GetReference(gOut), kPad, rows, kPad, nOut, accumulate: false);
            if (l > 0)
            {
                // δ_{l−1} = g ⊙ f'(h_{l−1}); all three share the [rows, kPad] layout.
                var hPrev = ctx.Hidden[l - 1].AsSpan(start * kPad, rows * kPad);
                var preBuf = ctx.Pre[l - 1];
                ReadOnlySpan<T> pre = preBuf is null ? default : preBuf.AsSpan(start * kPad, rows * kPad);
                ActivationKernels.Backward(Activation, hPrev, pre, gOut);
                var swap = deltaBuf; deltaBuf = otherBuf; otherBuf = swap;
                delta = gOut;
                ldd = kPad;
            }
            else if (!directInput)
            {
                var dx = dLdInput!.Value.AsSpan();
                for (int r = 0; r < rows; r++) gOut.Slice(r * inPad, inW).CopyTo(dx.Slice((start + r) * inW, inW));
            }
        }
    }

    /// <summary>Sums the chunks' partial gradients in chunk order and writes (or adds) them to Gradients.</summary>
    void ReduceWeightGradients(T[] partials, int chunks, int partialSize, int[] partialOffsets, GradientMode mode)
    {
        var sum = partials.AsSpan(0, partialSize);
        for (int c = 1; c < chunks; c++) AddInPlace(sum, partials.AsSpan(c * partialSize, partialSize));
        var gradients = Gradients.AsSpan();
        for (int l = 0; l < LayerCount; l++)
        {
            int fanIn = _widths[l], kPad = Padded(l), offset = (int)_offsets[l];
            for (int n = 0; n < _widths[l + 1]; n++)
            {
                var src = sum.Slice(partialOffsets[l] + n * kPad, fanIn);
                var dst = gradients.Slice(offset + n * fanIn, fanIn);
                if (mode == GradientMode.Accumulate) AddInPlace(dst, src);
                else src.CopyTo(dst);
            }
        }
    }

    static void AddInPlace(Span<T> sum, ReadOnlySpan<T> add)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var s = MemoryMarshal.Cast<T, Vector<T>>(sum);
            var a = MemoryMarshal.Cast<T, Vector<T>>(add);
            for (int v = 0; v < s.Length; v++) s[v] += a[v];
            i = s.Length * Vector<T>.Count;
        }
        for (; i < sum.Length; i++) sum[i] += add[i];
    }

    /// <summary>Each W_l [fanOut, fanIn] as Wᵀ [fanIn, PaddedWidth(fanOut)] (zero columns), for Y = X·Wᵀ.</summary>
    T[] PackTransposed(ReadOnlySpan<T> theta, out int[] offsets)
    {
        offsets = new int[LayerCount + 1];
        for (int l = 0; l < LayerCount; l++) offsets[l + 1] = offsets[l] + _widths[l] * Padded(l + 1);
        var packed = ArrayPool<T>.Shared.Rent(offsets[LayerCount]);
        Array.Clear(packed, 0, offsets[LayerCount]);
        for (int l = 0; l < LayerCount; l++)
        {
            int fanIn = _widths[l], fanOut = _widths[l + 1], ld = Padded(l + 1);
            var w = theta.Slice((int)_offsets[l], fanIn * fanOut);
            for (int n = 0; n < fanOut; n++)
                for (int k = 0; k < fanIn; k++) packed[offsets[l] + k * ld + n] = w[n * fanIn + k];
        }
        return packed;
    }

    /// <summary>Each W_l [fanOut, fanIn] as [fanOut, PaddedWidth(fanIn)] (zero columns), for dX = δ·W.</summary>
    T[] PackPadded(ReadOnlySpan<T> theta, out int[] offsets)
    {
        offsets = new int[LayerCount + 1];
        for (int l = 0; l < LayerCount; l++) offsets[l + 1] = offsets[l] + _widths[l + 1] * Padded(l);
        var packed = ArrayPool<T>.Shared.Rent(offsets[LayerCount]);
        Array.Clear(packed, 0, offsets[LayerCount]);
        for (int l = 0; l < LayerCount; l++)
        {
            int fanIn = _widths[l], fanOut = _widths[l + 1], ld = Padded(l);
            for (int n = 0; n < fanOut; n++)
                theta.Slice((int)_offsets[l] + n * fanIn, fanIn).CopyTo(packed.AsSpan(offsets[l] + n * ld));
        }
        return packed;
    }

    /// <summary>One growing scratch array per thread (tile activations and gradients).</summary>
    static class TileScratch
    {
        [ThreadStatic] static T[]? _buffer;

        public static T[] Get(int length)
        {
            var b = _buffer;
            if (b is null || b.Length < length) _buffer = b = new T[length];
            return b;
        }
    }
}
