using System.Numerics;
using System.Runtime.CompilerServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// The CPU passes of <see cref="HashGrid{T}"/>: layout changes, parallel decomposition, kernel dispatch. A CUDA backend
/// goes to HashGrid.Cuda.cs instead.
/// </summary>
public sealed partial class HashGrid<T>
{
    /// <summary>Samples per forward work item (one level × one chunk); fixed, so results never depend on threads.</summary>
    const int ForwardChunk = 8192;
    /// <summary>Samples per tile of the transposes and of the input-gradient pass.</summary>
    const int RowTile = 256;

    // Module-owned scratch, grown on demand: positions [d, B] and per-level features or dL/dy [L, B, F].
    // Also: directions [d, B] and cotangents [L, B, F] of the Jacobian passes.
    T[] _xSoa = [], _featureSoa = [], _inputGradientParts = [], _vSoa = [], _cotangentSoa = [];

    /// <summary>Test hook: run the scalar reference kernels even where the SIMD float kernels apply.</summary>
    internal bool ForceScalarKernels { get; set; }

    bool UseFloatSimd => typeof(T) == typeof(float) && HashGridKernelsFloat.IsSupported
        && Interpolation != GridInterpolation.Nearest && !ForceScalarKernels;

    /// <summary>The SIMD position-derivative kernels (input gradient, Jacobian) exist for F = 2.</summary>
    bool UseFloatSimdDerivatives => UseFloatSimd && FeaturesPerLevel == 2;

    protected override ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        if (Backend.Kind == BackendKind.Cuda) return ForwardCuda(input, output);
        RequireCpu();
        int batch = input.Rows;
        if (batch == 0) return new ForwardContext();
        int features = FeaturesPerLevel, active = _activeLevels;
        var (p, pOff) = Host(Params);
        var xSoa = PositionsToSoa(input);
        var soa = Grow(ref _featureSoa, (long)active * features * batch);
        int chunks = CpuParallel.TileCount(batch, ForwardChunk);
        // Work items level-major: consecutive items share a table, so a thread's items keep it in cache.
        CpuParallel.ForTiles((long)active * chunks, 1, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int l = item / chunks, start = item % chunks * ForwardChunk, end = Math.Min(batch, start + ForwardChunk);
                ref readonly GridLevel level = ref _levels[l];
                if (UseFloatSimd)
                {
                    HashGridKernelsFloat.ForwardLevel(level, InputDims, features, Interpolation, Unsafe.As<float[]>(xSoa), batch,
                        Unsafe.As<float[]>(p), pOff, Unsafe.As<float[]>(soa), l * features * batch, start, end);
                }
                else
                {
                    var table = p.AsSpan((int)(pOff + level.Offset * features), (int)level.Size * features);
                    HashGridKernels<T>.ForwardLevel(level, InputDims, features, Interpolation, xSoa, batch, table,
                        soa.AsSpan(l * features * batch, features * batch), start, end);
                }
            }
        });
        FeaturesToRows(soa, active, output);
        return new ForwardContext();
    }

    protected override void BackwardCore(ForwardContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        if (Backend.Kind == BackendKind.Cuda)
        {
            BackwardCuda(ctx, input, dLdOutput, dLdInput, paramGradients);
            return;
        }
        RequireCpu();
        int batch = input.Rows, features = FeaturesPerLevel, active = _activeLevels;
        T[]? dySoa = null;
        if (paramGradients != GradientMode.Ignore)
        {
            var (g, gOff) = Host(Gradients);
            var xSoa = PositionsToSoa(input);
            dySoa = RowsToFeatures(dLdOutput, active, ref _featureSoa);
            // Each level's table is disjoint: one thread owns a whole level and adds in sample order (deterministic).
            CpuParallel.ForTiles(NLevels, 1, (first, last) =>
            {
                for (int l = first; l < last; l++)
                {
                    ref readonly GridLevel level = ref _levels[l];
                    long levelStart = gOff + level.Offset * features;
                    var grad = g.AsSpan((int)levelStart, (int)level.Size * features);
                    if (paramGradients == GradientMode.Overwrite) grad.Clear();
                    if (l >= active || batch == 0) continue;
                    if (UseFloatSimd)
                    {
                        HashGridKernelsFloat.BackwardLevel(level, InputDims, features, Interpolation, Unsafe.As<float[]>(xSoa), batch,
                            Unsafe.As<float[]>(dySoa), l * features * batch, Unsafe.As<float[]>(g), gOff, 0, batch);
                    }
                    else
                    {
                        HashGridKernels<T>.BackwardLevel(level, InputDims, features, Interpolation, xSoa, batch,
                            dySoa.AsSpan(l * features * batch, features * batch), grad, 0, batch);
                    }
                }
            });
        }

        if (dLdInput is { } dLdx && batch > 0) InputGradient(input, dLdOutput, dLdx, active, dySoa);
    }

    /// <summary>
    /// dL/dx level-major like the forward pass (one table hot at a time, not all L tables per sample): work items
    /// (level, chunk) write per-level parts [L, d, B], then the levels are summed in order (deterministic).
    /// <paramref name="dySoa"/>: dL/dy already in the [L, B, F] scratch, or null.
    /// </summary>
    unsafe void InputGradient(DeviceMatrix<T> input, DeviceMatrix<T> dLdOutput, DeviceMatrix<T> dLdx, int active, T[]? dySoa)
    {
        int batch = input.Rows, dims = InputDims, features = FeaturesPerLevel;
        var (dx, dxOff) = Host(dLdx.Data);
        var (p, pOff) = Host(Params);
        var xSoa = dySoa is null ? PositionsToSoa(input) : _xSoa;
        dySoa ??= RowsToFeatures(dLdOutput, active, ref _featureSoa);
        var parts = Grow(ref _inputGradientParts, (long)active * batch * dims);
        int chunks = CpuParallel.TileCount(batch, ForwardChunk);
        bool simd = UseFloatSimdDerivatives;
        CpuParallel.ForTiles((long)active * chunks, 1, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int l = item / chunks, start = item % chunks * ForwardChunk, end = Math.Min(batch, start + ForwardChunk);
                ref readonly GridLevel level = ref _levels[l];
                int tableStart = (int)(pOff + level.Offset * features), tableLength = (int)level.Size * features;
                if (simd)
                {
                    fixed (float* x = Unsafe.As<float[]>(xSoa), table = Unsafe.As<float[]>(p), dy = Unsafe.As<float[]>(dySoa), part = Unsafe.As<float[]>(parts))
                        HashGridKernelsFloat.InputGradientLevel(level, dims, Interpolation, x, batch, table + tableStart,
                            dy + l * features * batch, part + l * dims * batch, start, end);
                }
                else
                {
                    HashGridKernels<T>.InputGradientLevel(level, dims, features, Interpolation, xSoa.AsSpan(0, dims * batch), batch,
                        p.AsSpan(tableStart, tableLength), dySoa.AsSpan(l * features * batch, features * batch),
                        parts.AsSpan(l * dims * batch, dims * batch), start, end);
                }
            }
        });
        // Levels summed in order per sample (vectors across samples), then interleaved into the rows [B, d].
        CpuParallel.ForTiles(batch, RowTile, (start, end) =>
        {
            int count = end - start;
            Span<T> sum = stackalloc T[RowTile];
            var rows = dx.AsSpan(dxOff + start * dims, count * dims);
            for (int d = 0; d < dims; d++)
            {
                var total = sum[..count];
                total.Clear();
                for (int l = 0; l < active; l++)
                {
                    var part = parts.AsSpan((l * dims + d) * batch + start, count);
                    int i = 0;
                    if (Vector.IsHardwareAccelerated)
                        for (; i + Vector<T>.Count <= count; i += Vector<T>.Count)
                            (new Vector<T>(total[i..]) + new Vector<T>(part[i..])).CopyTo(total[i..]);
                    for (; i < count; i++) total[i] += part[i];
                }
                for (int i = 0; i < count; i++) rows[i * dims + d] = total[i];
            }
        });
    }

    /// <summary>input rows [B, d] → the scratch [d, B].</summary>
    T[] PositionsToSoa(DeviceMatrix<T> input) => RowsToSoa(input, ref _xSoa);

    /// <summary>rows [B, d] → <paramref name="buffer"/> [d, B] (grown on demand).</summary>
    T[] RowsToSoa(DeviceMatrix<T> input, ref T[] buffer)
    {
        int batch = input.Rows, dims = InputDims;
        var soa = Grow(ref buffer, (long)dims * batch);
        var x = input.AsSpan();
        for (int i = 0; i < batch; i++)
            for (int d = 0; d < dims; d++) soa[d * batch + i] = x[i * dims + d];
        return soa;
    }

    /// <summary>Scratch [active, B, F] → output rows [B, OutputWidth]; the inactive levels' columns get 0.</summary>
    void FeaturesToRows(T[] scratch, int active, DeviceMatrix<T> output)
    {
        var (y, yOff) = Host(output.Data);
        int batch = output.Rows, width = output.Cols, features = FeaturesPerLevel, encoded = EncodedWidth;
        CpuParallel.ForTiles(batch, RowTile, (start, end) =>
        {
            var rows = y.AsSpan(yOff + start * width, (end - start) * width);
            for (int l = 0; l < active; l++)
            {
                var block = scratch.AsSpan((l * batch + start) * features, (end - start) * features);
                CopyBlocks(block, features, rows.Slice(l * features), width, end - start);
            }
            for (int i = 0; i < end - start; i++) rows.Slice(i * width + active * features, encoded - active * features).Clear();
        });
    }

    /// <summary>Per-feature rows [B, OutputWidth] (dL/dy, a cotangent) → <paramref name="buffer"/> [active, B, F].</summary>
    T[] RowsToFeatures(DeviceMatrix<T> dLdOutput, int active, ref T[] buffer)
    {
        var (dy, dyOff) = Host(dLdOutput.Data);
        int batch = dLdOutput.Rows, width = dLdOutput.Cols, features = FeaturesPerLevel;
        var scratch = Grow(ref buffer, (long)active * features * batch);
        CpuParallel.ForTiles(batch, RowTile, (start, end) =>
        {
            var rows = dy.AsSpan(dyOff + start * width, (end - start) * width);
            for (int l = 0; l < active; l++)
            {
                var block = scratch.AsSpan((l * batch + start) * features, (end - start) * features);
                CopyBlocks(rows.Slice(l * features), width, block, features, end - start);
            }
        });
        return scratch;
    }

    /// <summary>Copies <paramref name="count"/> runs of F elements between two strides (8-byte moves for F = 2 floats).</summary>
    void CopyBlocks(ReadOnlySpan<T> source, int sourceStride, Span<T> destination, int destinationStride, int count)
    {
        int features = FeaturesPerLevel;
        if (typeof(T) == typeof(float) && features == 2)
        {
            ref byte src = ref Unsafe.As<T, byte>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(source));
            ref byte dst = ref Unsafe.As<T, byte>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(destination));
            if ((long)(count - 1) * sourceStride + 2 > source.Length || (long)(count - 1) * destinationStride + 2 > destination.Length)
                throw new ArgumentOutOfRangeException(nameof(count));
            for (int i = 0; i < count; i++)
                Unsafe.WriteUnaligned(ref Unsafe.Add(ref dst, (nint)i * destinationStride * 4),
                    Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref src, (nint)i * sourceStride * 4)));
            return;
        }
        for (int i = 0; i < count; i++)
            for (int f = 0; f < features; f++) destination[i * destinationStride + f] = source[i * sourceStride + f];
    }

    static T[] Grow(ref T[] buffer, long length)
    {
        if (length > Array.MaxLength) throw new OutOfMemoryException($"HashGrid scratch of {length} elements is larger than .NET arrays allow");
        if (buffer.Length < length) buffer = GC.AllocateUninitializedArray<T>((int)length);
        return buffer;
    }

    static (T[] Array, int Offset) Host(DeviceSpan<T> span) => span.Buffer is CpuBuffer<T> cpu
        ? (cpu.Array, checked((int)span.Offset))
        : throw new InvalidOperationException($"HashGrid: expected a CPU buffer, got one on {span.Buffer.Backend.Kind}");

    void RequireCpu()
    {
        if (Backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"HashGrid runs on the CPU and CUDA backends (got {Backend.Kind})");
    }
}
