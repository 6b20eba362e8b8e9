using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Encodings;

/// <summary>How the CUDA grid kernels store and read the grid's parameters.</summary>
public enum GridParameterPrecision
{
    /// <summary>The fp32 parameters are read as they are; gradients accumulate in fp32.</summary>
    Float32,
    /// <summary>
    /// tiny-cuda-nn's default: each Forward converts the fp32 master parameters into an fp16 copy that the kernels
    /// read; for F ≥ 2 parameter gradients accumulate in fp16 by half2 atomics and are then written (or added) into
    /// the fp32 gradients. F = 1 accumulates in fp32, as tiny-cuda-nn does.
    /// </summary>
    Float16,
}

/// <summary>
/// The CUDA passes of <see cref="HashGrid{T}"/> (kernels in HashGrid.cu). Forward: one thread per (sample, level),
/// blocks level-major (grid = (⌈B/512⌉, L)); parameter gradients: the same shape over the active levels, atomics into
/// the gradient slice; input gradients: one thread per sample looping over the levels (deterministic).
/// </summary>
public sealed partial class HashGrid<T>
{
    const string CudaSource = "HashGrid.cu";
    /// <summary>Threads per block of the per-(sample, level) kernels (tiny-cuda-nn's N_THREADS_HASHGRID).</summary>
    const uint LevelKernelThreads = 512;
    /// <summary>Threads per block of the per-sample input-gradient kernel (heavier threads: many loads each).</summary>
    const uint SampleKernelThreads = 128;
    const uint ElementwiseThreads = 256;

    DeviceBuffer<HashGridLevelConstants>? _cudaLevels;
    DeviceBuffer<ushort>? _halfParams, _halfGradients;
    readonly Dictionary<(bool Half, bool Aligned), CudaGridKernels> _cudaKernels = [];

    /// <summary>
    /// Parameter precision of the CUDA kernels (default <see cref="GridParameterPrecision.Float32"/>; tiny-cuda-nn
    /// uses fp16). The fp32 parameter and gradient slices stay the masters either way. The CPU backend ignores this
    /// and always computes in T. A Backward uses the precision of its Forward.
    /// </summary>
    public GridParameterPrecision ParameterPrecision { get; set; } = GridParameterPrecision.Float32;

    /// <summary>What a CUDA Forward leaves for its Backward: which parameter copy it read.</summary>
    sealed class CudaGridContext(bool halfParams) : ForwardContext
    {
        public bool HalfParams { get; } = halfParams;
    }

    sealed record CudaGridKernels(CudaFunction Forward, CudaFunction Backward, CudaFunction InputGradient,
        CudaFunction ParamsToHalf, CudaFunction GradientsFromHalf);

    ForwardContext ForwardCuda(DeviceMatrix<T> input, DeviceMatrix<T> output)
    {
        bool half = ParameterPrecision == GridParameterPrecision.Float16;
        var ctx = new CudaGridContext(half);
        int batch = input.Rows;
        if (batch == 0) return ctx;
        var cuda = (CudaBackend)Backend;
        ulong parameters = half ? ConvertParamsToHalf(cuda) : Params.Pointer();
        var kernels = Kernels(cuda, half, parameters);
        cuda.Launch(kernels.Forward, LevelMajor(batch, NLevels), new HashGridForwardArgs
        {
            Input = input.Pointer(),
            Params = parameters,
            Levels = LevelTable().All.Pointer(),
            Output = output.Pointer(),
            Batch = (uint)batch,
            OutputStride = (uint)output.Cols,
            ActiveLevels = (uint)_activeLevels,
        });
        return ctx;
    }

    void BackwardCuda(ForwardContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput,
        GradientMode paramGradients)
    {
        var cuda = (CudaBackend)Backend;
        bool half = ctx is CudaGridContext c ? c.HalfParams : ParameterPrecision == GridParameterPrecision.Float16;
        int batch = input.Rows, active = _activeLevels;
        ulong parameters = half ? HalfParams().All.Pointer() : Params.Pointer();
        var kernels = Kernels(cuda, half, parameters);
        var levels = LevelTable().All.Pointer();

        if (paramGradients != GradientMode.Ignore)
        {
            bool halfGradients = half && FeaturesPerLevel >= 2;
            DeviceSpan<ushort> halfAccumulator = default;
            if (halfGradients)
            {
                halfAccumulator = HalfGradients().All;
                Backend.Fill(halfAccumulator, (ushort)0);
            }
            else if (paramGradients == GradientMode.Overwrite) Backend.Fill(Gradients, T.Zero);

            if (batch > 0 && active > 0)
            {
                cuda.Launch(kernels.Backward, LevelMajor(batch, active), new HashGridBackwardArgs
                {
                    Input = input.Pointer(),
                    DLdOutput = dLdOutput.Pointer(),
                    Levels = levels,
                    Gradients = halfGradients ? halfAccumulator.Pointer() : Gradients.Pointer(),
                    Batch = (uint)batch,
                    DyStride = (uint)dLdOutput.Cols,
                });
            }
            if (halfGradients)
            {
                cuda.Launch(kernels.GradientsFromHalf, LaunchShape.Linear(ParamCount, ElementwiseThreads), new HashGridGradientsFromHalfArgs
                {
                    Source = halfAccumulator.Pointer(),
                    Destination = Gradients.Pointer(),
                    Count = (uint)ParamCount,
                    Accumulate = paramGradients == GradientMode.Accumulate ? 1u : 0u,
                });
            }
        }

        if (dLdInput is { } dLdx && batch > 0)
        {
            cuda.Launch(kernels.InputGradient, LaunchShape.Linear(batch, SampleKernelThreads), new HashGridInputGradientArgs
            {
                Input = input.Pointer(),
                DLdOutput = dLdOutput.Pointer(),
                Params = parameters,
                Levels = levels,
                DLdInput = dLdx.Pointer(),
                Batch = (uint)batch,
                DyStride = (uint)dLdOutput.Cols,
                ActiveLevels = (uint)active,
            });
        }
    }

    /// <summary>grid = (⌈batch / 512⌉, levels): a block's threads share one level's table (tiny-cuda-nn's layout).</summary>
    static LaunchShape LevelMajor(int batch, int levels) =>
        LaunchShape.Linear(batch, LevelKernelThreads) with { GridY = (uint)levels };

    /// <summary>The fp16 copy of the fp32 parameters, refreshed (one kernel) for this Forward; returns its address.</summary>
    ulong ConvertParamsToHalf(CudaBackend cuda)
    {
        var copy = HalfParams();
        var kernels = Kernels(cuda, half: true, copy.All.Pointer());
        cuda.Launch(kernels.ParamsToHalf, LaunchShape.Linear(ParamCount, ElementwiseThreads), new HashGridParamsToHalfArgs
        {
            Source = Params.Pointer(),
            Destination = copy.All.Pointer(),
            Count = (uint)ParamCount,
        });
        return copy.All.Pointer();
    }

    DeviceBuffer<ushort> HalfParams() => _halfParams ??= Backend.Allocate<ushort>(ParamCount);

    DeviceBuffer<ushort> HalfGradients() => _halfGradients ??= Backend.Allocate<ushort>(ParamCount);

    /// <summary>The per-level constants [NLevels] in device memory (uploaded once; levels never change).</summary>
    DeviceBuffer<HashGridLevelConstants> LevelTable()
    {
        if (_cudaLevels is { } table) return table;
        var buffer = Backend.Allocate<HashGridLevelConstants>(NLevels);
        Backend.CopyFromHost<HashGridLevelConstants>(LevelConstants(), buffer.All);
        return _cudaLevels = buffer;
    }

    /// <summary>The per-level constants as the kernels read them: exactly the CPU's (scale computed here in float).</summary>
    internal HashGridLevelConstants[] LevelConstants()
    {
        var constants = new HashGridLevelConstants[NLevels];
        for (int l = 0; l < NLevels; l++)
        {
            ref readonly GridLevel level = ref _levels[l];
            constants[l] = new HashGridLevelConstants
            {
                Scale = level.Scale,
                Resolution = level.Resolution,
                Size = level.Size,
                Offset = checked((uint)level.Offset),
                Flags = (level.Hashed ? HashGridLevelConstants.Hashed : 0u)
                    | (level.DenseIndexable ? HashGridLevelConstants.DenseIndexable : 0u)
                    | (level.SizeIsPow2 ? HashGridLevelConstants.SizePow2 : 0u),
            };
        }
        return constants;
    }

    /// <summary>
    /// The kernels specialised for this grid, for fp32 or fp16 parameters, with vector loads when the parameter
    /// address is aligned to one entry (up to 16 bytes).
    /// </summary>
    CudaGridKernels Kernels(CudaBackend cuda, bool half, ulong parameterAddress)
    {
        int entryBytes = FeaturesPerLevel * (half ? 2 : 4);
        bool aligned = parameterAddress % (ulong)Math.Min(16, entryBytes) == 0;
        if (_cudaKernels.TryGetValue((half, aligned), out var kernels)) return kernels;
        var defines = new Dictionary<string, string>
        {
            ["N_DIMS"] = Invariant(InputDims),
            ["N_FEATURES"] = Invariant(FeaturesPerLevel),
            ["INTERPOLATION"] = Invariant((int)Interpolation),
            ["PARAM_HALF"] = half ? "1" : "0",
            ["GRAD_HALF"] = half && FeaturesPerLevel >= 2 ? "1" : "0",
            ["PARAMS_ALIGNED"] = aligned ? "1" : "0",
        };
        CudaFunction Get(string name) => cuda.Modules.GetFunction(CudaSource, name, defines);
        kernels = new CudaGridKernels(Get("kernel_grid_forward"), Get("kernel_grid_backward"), Get("kernel_grid_input_gradient"),
            Get("kernel_grid_params_to_half"), Get("kernel_grid_gradients_from_half"));
        _cudaKernels[(half, aligned)] = kernels;
        return kernels;
    }

    static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Frees the device-side level table and fp16 buffers (CUDA); the parameters belong to the caller.</summary>
    public override void Dispose()
    {
        _cudaLevels?.Dispose();
        _halfParams?.Dispose();
        _halfGradients?.Dispose();
        _cudaLevels = null;
        _halfParams = _halfGradients = null;
        base.Dispose();
    }
}

// ---- argument structs: C# twins of the structs in HashGrid.cu (same order; pointers as ulong) ----

/// <summary>One level's constants as the kernels read them (HashGrid.cu: HashGridLevelConstants, 32 bytes).</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct HashGridLevelConstants
{
    public const uint Hashed = 1, DenseIndexable = 2, SizePow2 = 4;
    public float Scale;
    public uint Resolution, Size, Offset, Flags, Reserved0, Reserved1, Reserved2;
}

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridForwardArgs
{
    public ulong Input, Params, Levels, Output;
    public uint Batch, OutputStride, ActiveLevels, Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridBackwardArgs
{
    public ulong Input, DLdOutput, Levels, Gradients;
    public uint Batch, DyStride, Reserved0, Reserved1;
}

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridInputGradientArgs
{
    public ulong Input, DLdOutput, Params, Levels, DLdInput;
    public uint Batch, DyStride, ActiveLevels, Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridParamsToHalfArgs
{
    public ulong Source, Destination;
    public uint Count, Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridGradientsFromHalfArgs
{
    public ulong Source, Destination;
    public uint Count, Accumulate;
}
