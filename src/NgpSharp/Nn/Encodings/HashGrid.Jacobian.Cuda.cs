using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Encodings;

// The CUDA passes of the grid's Jacobian (kernels in HashGridJacobian.cu): one thread per (sample, level), blocks
// level-major like the forward. Always fp32 parameters and fp32 atomics, whatever ParameterPrecision says: the
// Jacobian path is the double backward of NeuS's eikonal term, whose gradients are small differences.
public sealed partial class HashGrid<T>
{
    const string JacobianCudaSource = "HashGridJacobian.cu";
    (CudaFunction Product, CudaFunction Backward)? _jacobianKernels;

    void JacobianVectorProductCuda(DeviceMatrix<T> input, DeviceMatrix<T> direction, DeviceMatrix<T> output)
    {
        int batch = input.Rows;
        if (batch == 0) return;
        var cuda = (CudaBackend)Backend;
        cuda.Launch(JacobianKernels(cuda).Product, LevelMajor(batch, NLevels), new HashGridJacobianVectorArgs
        {
            Input = input.Pointer(),
            Direction = direction.Pointer(),
            Params = Params.Pointer(),
            Levels = LevelTable().All.Pointer(),
            Output = output.Pointer(),
            Batch = (uint)batch,
            OutputStride = (uint)output.Cols,
            ActiveLevels = (uint)_activeLevels,
            EncodedWidth = (uint)(NLevels * FeaturesPerLevel),
        });
    }

    void BackwardWithJacobianCuda(DeviceMatrix<T> input, DeviceMatrix<T> dLdOutput, DeviceMatrix<T> direction,
        DeviceMatrix<T> jacobianCotangent, GradientMode paramGradients)
    {
        var cuda = (CudaBackend)Backend;
        if (paramGradients == GradientMode.Overwrite) Backend.Fill(Gradients, T.Zero);
        int batch = input.Rows;
        if (batch == 0 || _activeLevels == 0) return;
        cuda.Launch(JacobianKernels(cuda).Backward, LevelMajor(batch, _activeLevels), new HashGridBackwardJacobianArgs
        {
            Input = input.Pointer(),
            Direction = direction.Pointer(),
            DLdOutput = dLdOutput.Pointer(),
            Cotangent = jacobianCotangent.Pointer(),
            Levels = LevelTable().All.Pointer(),
            Gradients = Gradients.Pointer(),
            Batch = (uint)batch,
            Stride = (uint)OutputWidth,
        });
    }

    (CudaFunction Product, CudaFunction Backward) JacobianKernels(CudaBackend cuda)
    {
        if (_jacobianKernels is { } kernels) return kernels;
        var defines = new Dictionary<string, string>
        {
            ["N_DIMS"] = Invariant(InputDims),
            ["N_FEATURES"] = Invariant(FeaturesPerLevel),
            ["INTERPOLATION"] = Invariant((int)Interpolation),
        };
        kernels = (cuda.Modules.GetFunction(JacobianCudaSource, "kernel_grid_jacobian_vector", defines),
            cuda.Modules.GetFunction(JacobianCudaSource, "kernel_grid_backward_jacobian", defines));
        _jacobianKernels = kernels;
        return kernels;
    }
}

// ---- argument structs: C# twins of the structs in HashGridJacobian.cu ----

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridJacobianVectorArgs
{
    public ulong Input, Direction, Params, Levels, Output;
    public uint Batch, OutputStride, ActiveLevels, EncodedWidth;
}

[StructLayout(LayoutKind.Sequential)]
internal struct HashGridBackwardJacobianArgs
{
    public ulong Input, Direction, DLdOutput, Cotangent, Levels, Gradients;
    public uint Batch, Stride;
}
