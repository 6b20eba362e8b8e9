using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Optimizers;

/// <summary>Mirrors SgdStepArgs in Sgd.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SgdStepArgs
{
    public ulong Weights, Gradients, Count;
    public float LearningRate, L2Reg, LossScale;
    public uint Padding;
}

public sealed partial class Sgd<T>
{
    /// <summary>The CUDA path of <see cref="Step"/> (T = float): one thread per parameter.</summary>
    void StepCuda(float lossScale, DeviceSpan<T> weights, DeviceSpan<T> gradients)
    {
        if (_paramCount == 0) return;
        var cuda = Backend.Cuda();
        cuda.Launch(cuda.Modules.GetFunction("Sgd.cu", "kernel_sgd_step"), LaunchShape.Linear(_paramCount, 256), new SgdStepArgs
        {
            Weights = weights.Pointer(),
            Gradients = gradients.Pointer(),
            Count = (ulong)_paramCount,
            LearningRate = LearningRate,
            L2Reg = L2Reg,
            LossScale = lossScale,
        });
    }
}
