using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Systems.Neus;

/// <summary>Mirrors NeusColourDirsArgs in NeusColourNetwork.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusColourDirsArgs
{
    public ulong RayIndices, Directions, Dirs01;
    public uint Samples, Rows;
}

/// <summary>Mirrors NeusColourInputArgs in NeusColourNetwork.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusColourInputArgs
{
    public ulong Features, Gradient, Sh, Input;
    public uint Samples, Rows, FeatureCols, FeatureDim, ShWidth, InputWidth;
}

/// <summary>Mirrors NeusGeometryBackwardArgs in NeusColourNetwork.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusGeometryBackwardArgs
{
    public ulong DLdInput, Gradient, DLdFeatures, DLdGradient;
    public uint Samples, InputWidth, FeatureDim, FeatureCols;
}

// CUDA path (NeusColourNetwork.cu): the input rows are built on the device from device rays and samples (the SH
// encoding runs its own CUDA kernel in between, as on the CPU); nothing crosses to the host.
public sealed partial class NeusColourNetwork<T>
{
    const uint CudaThreads = 128;

    CudaBackend RequireCuda()
    {
        if (Backend is not CudaBackend cuda) throw new InvalidOperationException($"neus colour network: device rays need the CUDA backend (this one runs on {Backend.Kind})");
        if (typeof(T) != typeof(float)) throw new NotSupportedException("CUDA kernels run in float; use NeusColourNetwork<float>");
        return cuda;
    }

    /// <summary>
    /// <see cref="BuildInput(DeviceMatrix{T}, DeviceMatrix{T}, ReadOnlySpan{float}, ReadOnlySpan{int}, int, int)"/> on
    /// the device: features [≥S, ≥F], gradient [≥S, 3], directions [R, 3] and rayIndices [≥S] all device views.
    /// Rows ≥ <paramref name="samples"/> of the result are 0.
    /// </summary>
    public DeviceMatrix<T> BuildInput(DeviceMatrix<T> features, DeviceMatrix<T> gradient, DeviceSpan<float> directions, DeviceSpan<int> rayIndices, int samples, int rows)
    {
        var cuda = RequireCuda();
        if (samples < 0 || rows < samples) throw new ArgumentOutOfRangeException(nameof(rows), rows, $"neus colour network: {rows} rows for {samples} samples");
        if (features.Rows < samples || features.Cols < FeatureDim || gradient.Rows < samples || gradient.Cols != 3 || rayIndices.Length < samples)
            throw new ArgumentException($"neus colour network: features {features}, gradient {gradient}, {rayIndices.Length} ray indices for {samples} samples (feature_dim {FeatureDim})");
        if (directions.Length % 3 != 0) throw new ArgumentException($"neus colour network: directions hold {directions.Length} values, expected [R, 3]");
        var input = Scratch(ref _input, (long)rows * InputWidth).AsMatrix(rows, InputWidth);
        var dirs = Scratch(ref _dirs, 3L * rows).AsMatrix(rows, 3);
        var sh = Scratch(ref _shRows, (long)_sh.OutputWidth * rows).AsMatrix(rows, _sh.OutputWidth);
        if (rows == 0) return input;
        var shape = LaunchShape.Linear(rows, CudaThreads);
        cuda.Launch(cuda.Modules.GetFunction("NeusColourNetwork.cu", "kernel_neus_colour_dirs"), shape, new NeusColourDirsArgs
        {
            RayIndices = rayIndices.Pointer(), Directions = directions.Pointer(), Dirs01 = dirs.Pointer(), Samples = (uint)samples, Rows = (uint)rows,
        });
        _sh.Inference(dirs, sh);
        cuda.Launch(cuda.Modules.GetFunction("NeusColourNetwork.cu", "kernel_neus_colour_input"), shape, new NeusColourInputArgs
        {
            Features = features.Pointer(), Gradient = gradient.Pointer(), Sh = sh.Pointer(), Input = input.Pointer(),
            Samples = (uint)samples, Rows = (uint)rows, FeatureCols = (uint)features.Cols, FeatureDim = (uint)FeatureDim,
            ShWidth = (uint)_sh.OutputWidth, InputWidth = (uint)InputWidth,
        });
        return input;
    }

    void AccumulateGeometryGradientsCuda(DeviceMatrix<T> dLdInput, DeviceMatrix<T> gradient, DeviceMatrix<T> dLdFeatures, DeviceMatrix<T> dLdGradient, int samples)
    {
        var cuda = RequireCuda();
        if (dLdInput.Cols != InputWidth || dLdInput.Rows < samples || gradient.Cols != 3 || gradient.Rows < samples
            || dLdFeatures.Cols < FeatureDim || dLdFeatures.Rows < samples || dLdGradient.Cols != 3 || dLdGradient.Rows < samples)
            throw new ArgumentException($"neus colour network: dL/dinput {dLdInput}, gradient {gradient}, dL/dfeatures {dLdFeatures}, dL/dgradient {dLdGradient} for {samples} samples");
        if (samples == 0) return;
        cuda.Launch(cuda.Modules.GetFunction("NeusColourNetwork.cu", "kernel_neus_geometry_backward"), LaunchShape.Linear(samples, CudaThreads),
            new NeusGeometryBackwardArgs
            {
                DLdInput = dLdInput.Pointer(), Gradient = gradient.Pointer(), DLdFeatures = dLdFeatures.Pointer(), DLdGradient = dLdGradient.Pointer(),
                Samples = (uint)samples, InputWidth = (uint)InputWidth, FeatureDim = (uint)FeatureDim, FeatureCols = (uint)dLdFeatures.Cols,
            });
    }
}
