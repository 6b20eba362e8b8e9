using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Nn.Encodings;

namespace NgpSharp.Nn;

/// <summary>
/// instant-ngp's NeRF radiance field (its <c>NerfNetwork</c>): position → encoding → density MLP, whose outputs
/// (16 by default; output 0 is the log-density) are concatenated with the encoded view direction and fed to the
/// colour MLP (3 outputs). input: [N, 6] = (x, y, z in the scene box normalised to [0, 1]³; dx, dy, dz a unit
/// view direction); output: [N, 4] = (raw r, g, b, raw density): the colour MLP's outputs and the density MLP's
/// output 0, both before activation — the volume renderer applies sigmoid and exp.
/// </summary>
/// <remarks>
/// <para>The direction is fed to the direction encoding as <c>(d + 1)/2</c> (instant-ngp's <c>warp_direction</c>;
/// tiny-cuda-nn's SphericalHarmonics maps it back with <c>x·2 − 1</c>).</para>
/// <para>Parameters, in instant-ngp's order (its <c>set_params_impl</c>): density MLP weights, colour MLP weights,
/// position-encoding parameters (the hash tables), direction-encoding parameters (none for SH). The two MLPs'
/// weights come first, so <see cref="MatrixParamCount"/> covers exactly them: Adam's L2 regularisation applies to
/// them and the sparse zero-gradient skipping matters for the grid after them.</para>
/// <para>dL/dinput: positions through the position encoding's input gradient; directions through the direction
/// encoding's input gradient times ½ (the chain rule of the warp).</para>
/// <para>The direction warp, the ½ scaling and the density-gradient add are element-wise loops here and kernels in
/// NerfNetwork.cu on CUDA; the rest goes through modules and column copies that run on both backends.</para>
/// </remarks>
public sealed partial class NerfNetwork<T> : Network<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Input columns: 3 position (in [0, 1]³) then 3 direction (unit vector).</summary>
    public const int InputDims = 6;
    /// <summary>Output columns: raw r, g, b, raw density.</summary>
    public const int OutputDims = 4;
    /// <summary>Output column of the raw (log-)density.</summary>
    public const int DensityColumn = 3;
    /// <summary>First of the 3 output columns of raw colour.</summary>
    public const int ColourColumn = 0;

    /// <summary>Rows per pass in <see cref="DensityOnly"/> (bounds its scratch memory for 128³-point grid updates).</summary>
    const int DensityChunkRows = 1 << 16;
    const int RowsPerTile = 1024;
    static readonly T Half = T.CreateChecked(0.5);

    /// <summary>
    /// Wires the four parts. Pads the position encoding to the density MLP's input alignment and the direction
    /// encoding to the colour MLP's (as instant-ngp). The colour MLP's input width must be
    /// roundup(density outputs + padded direction width, its alignment), its output width 3. Owns (disposes) the parts.
    /// </summary>
    public NerfNetwork(Encoding<T> positionEncoding, Network<T> densityNetwork, Encoding<T> directionEncoding, Network<T> colourNetwork)
        : base(positionEncoding.Backend)
    {
        if (Backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda))
            throw new NotSupportedException($"NerfNetwork has no kernels for the {Backend.Kind} backend");
        if (Backend.Kind == BackendKind.Cuda && typeof(T) != typeof(float))
            throw new NotSupportedException("CUDA kernels run in float; use NerfNetwork<float>");
        foreach (var part in new DifferentiableObject<T>[] { densityNetwork, directionEncoding, colourNetwork })
            if (!ReferenceEquals(part.Backend, Backend)) throw new ArgumentException($"NerfNetwork: the {part.GetType().Name} lives on another backend");
        if (positionEncoding.InputWidth != 3) throw new ArgumentException($"NerfNetwork: the position encoding takes {positionEncoding.InputWidth} dims, expected 3");
        if (directionEncoding.InputWidth != 3) throw new ArgumentException($"NerfNetwork: the direction encoding takes {directionEncoding.InputWidth} dims, expected 3");

        positionEncoding.SetAlignment(densityNetwork.RequiredInputAlignment);
        if (positionEncoding.OutputWidth != densityNetwork.InputWidth)
            throw new ArgumentException($"NerfNetwork: the position encoding outputs {positionEncoding.OutputWidth} values (padded), the density network takes {densityNetwork.InputWidth}");
        int colourAlignment = colourNetwork.RequiredInputAlignment;
        directionEncoding.SetAlignment(colourAlignment);
        int colourInput = ColourInputWidth(densityNetwork.OutputWidth, directionEncoding.OutputWidth, colourAlignment);
        if (colourNetwork.InputWidth != colourInput)
            throw new ArgumentException($"NerfNetwork: the colour network takes {colourNetwork.InputWidth} inputs, expected {colourInput} (density features {densityNetwork.OutputWidth} + direction encoding {directionEncoding.OutputWidth}, padded to {colourAlignment})");
        if (colourNetwork.OutputWidth != 3) throw new ArgumentException($"NerfNetwork: the colour network outputs {colourNetwork.OutputWidth} values, expected 3 (rgb)");
        if (densityNetwork.MatrixParamCount != densityNetwork.ParamCount)
            throw new ArgumentException("NerfNetwork: the density network has non-matrix parameters; the matrix block would not be contiguous");

        PositionEncoding = positionEncoding;
        DensityNetwork = densityNetwork;
        DirectionEncoding = directionEncoding;
        ColourNetwork = colourNetwork;
    }

    /// <summary>The colour MLP's input width: density features then the padded direction encoding, padded to the alignment.</summary>
    public static int ColourInputWidth(int densityOutputs, int directionWidth, int alignment) =>
        (densityOutputs + directionWidth + alignment - 1) / alignment * alignment;

    /// <summary>Encodes positions [N, 3] (a hash grid by default).</summary>
    public Encoding<T> PositionEncoding { get; }
    /// <summary>Encoded position → density features [N, DensityNetwork.OutputWidth]; feature 0 is the raw log-density.</summary>
    public Network<T> DensityNetwork { get; }
    /// <summary>Encodes warped directions (d + 1)/2, [N, 3] (spherical harmonics of degree 4 by default).</summary>
    public Encoding<T> DirectionEncoding { get; }
    /// <summary>[density features, encoded direction, padding] → raw rgb [N, 3].</summary>
    public Network<T> ColourNetwork { get; }

    public override int InputWidth => InputDims;
    public override int OutputWidth => OutputDims;
    public override long ParamCount => DensityNetwork.ParamCount + ColourNetwork.ParamCount + PositionEncoding.ParamCount + DirectionEncoding.ParamCount;
    public override long MatrixParamCount => DensityNetwork.ParamCount + ColourNetwork.MatrixParamCount;

    /// <summary>Offset of the density MLP's weights in the parameter slice (0).</summary>
    public long DensityNetworkParamOffset => 0;
    /// <summary>Offset of the colour MLP's weights (after the density MLP's).</summary>
    public long ColourNetworkParamOffset => DensityNetwork.ParamCount;
    /// <summary>Offset of the position encoding's parameters (after both MLPs).</summary>
    public long PositionEncodingParamOffset => ColourNetworkParamOffset + ColourNetwork.ParamCount;
    /// <summary>Offset of the direction encoding's parameters (last; SH has none).</summary>
    public long DirectionEncodingParamOffset => PositionEncodingParamOffset + PositionEncoding.ParamCount;

    protected override void OnParamsSet()
    {
        DensityNetwork.SetParams(Slice(Params, DensityNetworkParamOffset, DensityNetwork), Slice(Gradients, DensityNetworkParamOffset, DensityNetwork));
        ColourNetwork.SetParams(Slice(Params, ColourNetworkParamOffset, ColourNetwork), Slice(Gradients, ColourNetworkParamOffset, ColourNetwork));
        PositionEncoding.SetParams(Slice(Params, PositionEncodingParamOffset, PositionEncoding), Slice(Gradients, PositionEncodingParamOffset, PositionEncoding));
        DirectionEncoding.SetParams(Slice(Params, DirectionEncodingParamOffset, DirectionEncoding), Slice(Gradients, DirectionEncodingParamOffset, DirectionEncoding));
    }

    static DeviceSpan<T> Slice(DeviceSpan<T> all, long offset, DifferentiableObject<T> part) => all.Slice(offset, part.ParamCount);

    /// <summary>Initialises the parts in instant-ngp's order (density MLP, colour MLP, position encoding, direction encoding).</summary>
    public override void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f)
    {
        if (parameters.Length != ParamCount) throw new ArgumentException($"NerfNetwork has {ParamCount} parameters; got a view of {parameters.Length}");
        DensityNetwork.InitializeParams(ref rng, Slice(parameters, DensityNetworkParamOffset, DensityNetwork), scale);
        ColourNetwork.InitializeParams(ref rng, Slice(parameters, ColourNetworkParamOffset, ColourNetwork), scale);
        PositionEncoding.InitializeParams(ref rng, Slice(parameters, PositionEncodingParamOffset, PositionEncoding), scale);
        DirectionEncoding.InitializeParams(ref rng, Slice(parameters, DirectionEncodingParamOffset, DirectionEncoding), scale);
    }

    /// <summary>The intermediate matrices of one forward pass (all [N, ·]) and the parts' contexts.</summary>
    sealed class Context : ForwardContext
    {
        public DeviceMatrix<T> Positions, Directions01, PositionFeatures, DensityOut, DirectionFeatures, ColourIn, ColourOut;
        public ForwardContext? PositionCtx, DensityCtx, DirectionCtx, ColourCtx;

        public override void Dispose()
        {
            PositionCtx?.Dispose();
            DensityCtx?.Dispose();
            DirectionCtx?.Dispose();
            ColourCtx?.Dispose();
            base.Dispose();
        }
    }

    DeviceMatrix<T> Allocate(ForwardContext owner, int rows, int cols)
    {
        owner.Own(Backend.AllocateMatrix<T>(rows, cols, out var m));
        return m;
    }

    protected override ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        var ctx = new Context();
        try
        {
            ForwardInto(ctx, input, output, prepareBackward);
            return ctx;
        }
        catch
        {
            ctx.Dispose(); // an allocation that failed half-way (device out of memory) must not leak the others
            throw;
        }
    }

    void ForwardInto(Context ctx, DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        int n = input.Rows;
        ctx.Positions = Allocate(ctx, n, 3);
        ctx.Directions01 = Allocate(ctx, n, 3);
        SplitInput(input, ctx.Positions, ctx.Directions01);

        ctx.PositionFeatures = Allocate(ctx, n, PositionEncoding.OutputWidth);
        ctx.PositionCtx = PositionEncoding.Forward(ctx.Positions, ctx.PositionFeatures, prepareBackward);
        ctx.DensityOut = Allocate(ctx, n, DensityNetwork.OutputWidth);
        ctx.DensityCtx = DensityNetwork.Forward(ctx.PositionFeatures, ctx.DensityOut, prepareBackward);
        ctx.DirectionFeatures = Allocate(ctx, n, DirectionEncoding.OutputWidth);
        ctx.DirectionCtx = DirectionEncoding.Forward(ctx.Directions01, ctx.DirectionFeatures, prepareBackward);

        // Colour input row: [density features | direction features | zeros up to the alignment].
        ctx.ColourIn = Allocate(ctx, n, ColourNetwork.InputWidth);
        int densityWidth = DensityNetwork.OutputWidth, directionWidth = DirectionEncoding.OutputWidth;
        MatrixColumns.Copy(ctx.DensityOut, 0, ctx.ColourIn, 0, densityWidth);
        MatrixColumns.Copy(ctx.DirectionFeatures, 0, ctx.ColourIn, densityWidth, directionWidth);
        int tail = ColourNetwork.InputWidth - densityWidth - directionWidth;
        if (tail > 0) MatrixColumns.Fill(ctx.ColourIn, densityWidth + directionWidth, tail, T.Zero);

        ctx.ColourOut = Allocate(ctx, n, 3);
        ctx.ColourCtx = ColourNetwork.Forward(ctx.ColourIn, ctx.ColourOut, prepareBackward);

        MatrixColumns.Copy(ctx.ColourOut, 0, output, ColourColumn, 3);
        MatrixColumns.Copy(ctx.DensityOut, 0, output, DensityColumn, 1);
    }

    protected override void BackwardCore(ForwardContext context, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        var ctx = (Context)context;
        int n = input.Rows;
        using var scratch = new ForwardContext();

        // Colour MLP: dL/d(raw rgb) → dL/d(colour input) and its weight gradients.
        var dLdColourOut = Allocate(scratch, n, 3);
        MatrixColumns.Copy(dLdOutput, ColourColumn, dLdColourOut, 0, 3);
        var dLdColourIn = Allocate(scratch, n, ColourNetwork.InputWidth);
        ColourNetwork.Backward(ctx.ColourCtx!, ctx.ColourIn, ctx.ColourOut, dLdColourOut, dLdColourIn, paramGradients);

        // Direction encoding: only when it has parameters or input gradients are wanted (SH has none).
        int densityWidth = DensityNetwork.OutputWidth, directionWidth = DirectionEncoding.OutputWidth;
        bool directionParams = DirectionEncoding.ParamCount > 0 && paramGradients != GradientMode.Ignore;
        DeviceMatrix<T> dLdDirections01 = default;
        if (directionParams || dLdInput is not null)
        {
            var dLdDirectionFeatures = Allocate(scratch, n, directionWidth);
            MatrixColumns.Copy(dLdColourIn, densityWidth, dLdDirectionFeatures, 0, directionWidth);
            if (dLdInput is not null) dLdDirections01 = Allocate(scratch, n, 3);
            DirectionEncoding.Backward(ctx.DirectionCtx!, ctx.Directions01, ctx.DirectionFeatures, dLdDirectionFeatures,
                dLdInput is null ? null : dLdDirections01, directionParams ? paramGradients : GradientMode.Ignore);
        }

        // Density MLP: its outputs feed the colour MLP (all columns) and the output's density column (column 0).
        var dLdDensityOut = Allocate(scratch, n, densityWidth);
        MatrixColumns.Copy(dLdColourIn, 0, dLdDensityOut, 0, densityWidth);
        AddDensityGradient(dLdOutput, dLdDensityOut);
        bool positionParams = PositionEncoding.ParamCount > 0 && paramGradients != GradientMode.Ignore;
        if (!positionParams && dLdInput is null)
        {
            DensityNetwork.Backward(ctx.DensityCtx!, ctx.PositionFeatures, ctx.DensityOut, dLdDensityOut, null, paramGradients);
            return;
        }
        var dLdPositionFeatures = Allocate(scratch, n, PositionEncoding.OutputWidth);
        DensityNetwork.Backward(ctx.DensityCtx!, ctx.PositionFeatures, ctx.DensityOut, dLdDensityOut, dLdPositionFeatures, paramGradients);
        DeviceMatrix<T> dLdPositions = default;
        if (dLdInput is not null) dLdPositions = Allocate(scratch, n, 3);
        PositionEncoding.Backward(ctx.PositionCtx!, ctx.Positions, ctx.PositionFeatures, dLdPositionFeatures,
            dLdInput is null ? null : dLdPositions, positionParams ? paramGradients : GradientMode.Ignore);

        if (dLdInput is { } dx) MergeInputGradient(dLdPositions, dLdDirections01, dx);
    }

    /// <summary>
    /// Raw log-density only (instant-ngp's <c>density</c>, for occupancy-grid updates): position encoding and density
    /// MLP, no direction encoding and no colour MLP. positions: [N, 3] in [0, 1]³; rawDensity: [N], equal to column
    /// <see cref="DensityColumn"/> of <see cref="DifferentiableObject{T}.Inference"/>. Any N; scratch is bounded by
    /// running 65 536 rows at a time.
    /// </summary>
    public void DensityOnly(DeviceMatrix<T> positions, DeviceSpan<T> rawDensity)
    {
        if (ParamCount > 0 && Params.IsEmpty) throw new InvalidOperationException("NerfNetwork.DensityOnly: SetParams has not been called");
        if (positions.IsNull || positions.Cols != 3) throw new ArgumentException($"NerfNetwork.DensityOnly: positions is {positions}, expected [N, 3]");
        if (rawDensity.Length != positions.Rows) throw new ArgumentException($"NerfNetwork.DensityOnly: rawDensity holds {rawDensity.Length} values for {positions.Rows} positions");
        if (!ReferenceEquals(positions.Backend, Backend) || (positions.Rows > 0 && !ReferenceEquals(rawDensity.Backend, Backend)))
            throw new ArgumentException("NerfNetwork.DensityOnly: positions and rawDensity must live on the network's backend");
        int chunk = Math.Min(DensityChunkRows, Math.Max(positions.Rows, 1));
        using var featuresBuffer = Backend.AllocateMatrix<T>(chunk, PositionEncoding.OutputWidth, out var featuresAll);
        using var densityBuffer = Backend.AllocateMatrix<T>(chunk, DensityNetwork.OutputWidth, out var densityAll);
        for (int start = 0; start < positions.Rows; start += chunk)
        {
            int rows = Math.Min(chunk, positions.Rows - start);
            var features = featuresAll.SliceRows(0, rows);
            var density = densityAll.SliceRows(0, rows);
            PositionEncoding.Inference(positions.SliceRows(start, rows), features);
            DensityNetwork.Inference(features, density);
            MatrixColumns.Copy(density, 0, rawDensity.Slice(start, rows).AsMatrix(rows, 1), 0, 1);
        }
    }

    /// <summary>positions = input[:, 0..3); directions01 = (input[:, 3..6) + 1)/2 (instant-ngp's warp_direction).</summary>
    static void SplitInput(DeviceMatrix<T> input, DeviceMatrix<T> positions, DeviceMatrix<T> directions01)
    {
        MatrixColumns.Copy(input, 0, positions, 0, 3);
        if (input.Backend.Kind == BackendKind.Cuda) { LaunchCuda("kernel_nerf_warp_directions", input.Rows, input, default, directions01); return; }
        CpuParallel.ForTiles(input.Rows, RowsPerTile, (start, end) =>
        {
            var x = input.AsSpan();
            var d = directions01.AsSpan();
            for (int r = start; r < end; r++)
                for (int k = 0; k < 3; k++) d[r * 3 + k] = (x[r * InputDims + 3 + k] + T.One) * Half;
        });
    }

    /// <summary>dLdDensityOut[:, 0] += dLdOutput[:, DensityColumn] (the density MLP's output 0 is also the output's density).</summary>
    static void AddDensityGradient(DeviceMatrix<T> dLdOutput, DeviceMatrix<T> dLdDensityOut)
    {
        if (dLdOutput.Backend.Kind == BackendKind.Cuda) { LaunchCuda("kernel_nerf_add_density_gradient", dLdOutput.Rows, dLdOutput, default, dLdDensityOut); return; }
        CpuParallel.ForTiles(dLdOutput.Rows, RowsPerTile, (start, end) =>
        {
            var g = dLdOutput.AsSpan();
            var d = dLdDensityOut.AsSpan();
            int w = dLdDensityOut.Cols;
            for (int r = start; r < end; r++) d[r * w] += g[r * OutputDims + DensityColumn];
        });
    }

    /// <summary>dLdInput = [dL/dpositions, ½·dL/d((d + 1)/2)] (zeros where a part gave none).</summary>
    static void MergeInputGradient(DeviceMatrix<T> dLdPositions, DeviceMatrix<T> dLdDirections01, DeviceMatrix<T> dLdInput)
    {
        if (dLdInput.Backend.Kind == BackendKind.Cuda) { LaunchCuda("kernel_nerf_merge_input_gradient", dLdInput.Rows, dLdPositions, dLdDirections01, dLdInput); return; }
        CpuParallel.ForTiles(dLdInput.Rows, RowsPerTile, (start, end) =>
        {
            var dx = dLdInput.AsSpan();
            var dp = dLdPositions.IsNull ? default : dLdPositions.AsSpan();
            var dd = dLdDirections01.IsNull ? default : dLdDirections01.AsSpan();
            for (int r = start; r < end; r++)
                for (int k = 0; k < 3; k++)
                {
                    dx[r * InputDims + k] = dp.IsEmpty ? T.Zero : dp[r * 3 + k];
                    dx[r * InputDims + 3 + k] = dd.IsEmpty ? T.Zero : dd[r * 3 + k] * Half;
                }
        });
    }

    public override void Dispose()
    {
        PositionEncoding.Dispose();
        DensityNetwork.Dispose();
        DirectionEncoding.Dispose();
        ColourNetwork.Dispose();
        base.Dispose();
    }
}
