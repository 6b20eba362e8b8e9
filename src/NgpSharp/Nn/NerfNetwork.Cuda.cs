using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn;

/// <summary>Mirrors NerfNetworkArgs in NerfNetwork.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NerfNetworkArgs
{
    public ulong Source, Second, Destination;
    public uint Rows, Width;
}

// CUDA path of the three element-wise steps (NerfNetwork.cu); everything else is module calls and column copies.
public sealed partial class NerfNetwork<T>
{
    const uint CudaThreadsPerBlock = 128;

    static void LaunchCuda(string kernel, int rows, DeviceMatrix<T> source, DeviceMatrix<T> second, DeviceMatrix<T> destination)
    {
        if (rows == 0) return;
        var cuda = destination.Backend.Cuda();
        cuda.Launch(cuda.Modules.GetFunction("NerfNetwork.cu", kernel), LaunchShape.Linear(rows, CudaThreadsPerBlock), new NerfNetworkArgs
        {
            Source = source.Pointer(), Second = second.Pointer(), Destination = destination.Pointer(),
            Rows = (uint)rows, Width = (uint)destination.Cols,
        });
    }
}
