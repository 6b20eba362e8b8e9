using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Optimizers;

/// <summary>Mirrors EmaBlendArgs in Ema.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EmaBlendArgs
{
    public ulong Weights, Average, Count;
    public float Keep, Take, Scale;
    public uint Padding;
}

public sealed partial class Ema<T>
{
    /// <summary>The CUDA path of the blend in <see cref="Step"/>: average ← (average·keep + weights·take)·scale. weights, average: [paramCount].</summary>
    void BlendCuda(T keep, T take, T scale, DeviceSpan<T> weights, DeviceSpan<T> average)
    {
        if (_paramCount == 0) return;
        var cuda = Backend.Cuda();
        cuda.Launch(cuda.Modules.GetFunction("Ema.cu", "kernel_ema_blend"), LaunchShape.Linear(_paramCount, 256), new EmaBlendArgs
        {
            Weights = weights.Pointer(),
            Average = average.Pointer(),
            Count = (ulong)_paramCount,
            Keep = float.CreateTruncating(keep),
            Take = float.CreateTruncating(take),
            Scale = float.CreateTruncating(scale),
        });
    }
}
