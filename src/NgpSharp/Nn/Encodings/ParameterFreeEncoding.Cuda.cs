using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Encodings;

/// <summary>Mirrors ParameterFreeEncodingArgs in parameter_free_encoding.cuh.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ParameterFreeEncodingArgs
{
    public ulong Input, Output, DLossDOutput, DLossDInput, ShCoefficients, ShExponents, ShStarts;
    public uint Rows, InputWidth, OutputStride, EncodedWidth, N;
    public float Scale, Offset;
    public uint Padding;
}

/// <summary>
/// An encoding's CUDA kernels: the .cu file, the forward and backward kernel names, how many threads each launches
/// per row, and the kernels' N (n_frequencies, n_bins or degree) and Identity's scale and offset.
/// </summary>
internal readonly record struct CudaEncodingKernels(string Source, string Forward, string Backward,
    int ForwardThreadsPerRow, int BackwardThreadsPerRow, int N = 0, float Scale = 1f, float Offset = 0f);

public abstract partial class ParameterFreeEncoding<T>
{
    /// <summary>This encoding's kernels; null for one without a CUDA twin.</summary>
    private protected virtual CudaEncodingKernels? CudaKernels => null;

    /// <summary>Adds device tables the kernels read (SphericalHarmonics' monomials).</summary>
    private protected virtual void SetCudaTables(ref ParameterFreeEncodingArgs args) { }

    /// <summary>Encoded columns [0, EncodedWidth) on the GPU; padding is filled by Encoding.AfterForward.</summary>
    void ForwardCuda(DeviceMatrix<T> input, DeviceMatrix<T> output)
    {
        var k = Kernels();
        Launch(k.Forward, (long)input.Rows * k.ForwardThreadsPerRow, Args(k, input, output.Data, default, default, output.Cols));
    }

    /// <summary>dL/dinput (overwritten) on the GPU; output holds what Forward wrote.</summary>
    void InputGradientCuda(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput, DeviceMatrix<T> dLdInput)
    {
        var k = Kernels();
        Launch(k.Backward, (long)input.Rows * k.BackwardThreadsPerRow, Args(k, input, output.Data, dLdOutput.Data, dLdInput.Data, output.Cols));
    }

    CudaEncodingKernels Kernels() =>
        CudaKernels ?? throw new NotSupportedException($"{GetType().Name}: no CUDA kernel for this encoding");

    ParameterFreeEncodingArgs Args(in CudaEncodingKernels k, DeviceMatrix<T> input, DeviceSpan<T> output, DeviceSpan<T> dLdOutput,
        DeviceSpan<T> dLdInput, int outputStride)
    {
        var args = new ParameterFreeEncodingArgs
        {
            Input = input.Data.Pointer(),
            Output = output.Pointer(),
            DLossDOutput = dLdOutput.Pointer(),
            DLossDInput = dLdInput.Pointer(),
            Rows = (uint)input.Rows,
            InputWidth = (uint)InputWidth,
            OutputStride = (uint)outputStride,
            EncodedWidth = (uint)EncodedWidth,
            N = (uint)k.N,
            Scale = k.Scale,
            Offset = k.Offset,
        };
        SetCudaTables(ref args);
        return args;
    }

    void Launch(string kernel, long threads, in ParameterFreeEncodingArgs args)
    {
        if (threads == 0) return;
        var cuda = Backend.Cuda();
        cuda.Launch(cuda.Modules.GetFunction(Kernels().Source, kernel), LaunchShape.Linear(threads, 128), args);
    }
}
