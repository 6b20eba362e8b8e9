using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Losses;

/// <summary>Which formula Losses.cu evaluates (its LOSS define; the numbers must match the .cu).</summary>
internal enum CudaLossKind { L1 = 1, L2 = 2, RelativeL1 = 3, RelativeL2 = 4, Mape = 5, Smape = 6, Huber = 7, LogL1 = 8 }

/// <summary>A loss's CUDA kernel: its formula and (Huber) its two constants.</summary>
internal readonly record struct CudaLossSpec(CudaLossKind Kind, float HuberDelta = 0f, float HuberScale = 1f);

/// <summary>Mirrors LossArgs in Losses.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LossArgs
{
    public ulong Prediction, Target, DataPdf, Values, Gradients;
    public ulong Count;
    public float LossScale, N, HuberDelta, HuberScale;
}

public abstract partial class ElementwiseLoss<T>
{
    /// <summary>The kernel of this loss in Losses.cu; null for a loss without one.</summary>
    private protected virtual CudaLossSpec? CudaSpec => null;

    /// <summary>The CUDA path of <see cref="Run{TOp}"/>: one thread per element (Losses.cu, kernel_loss).</summary>
    void RunCuda(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target, DeviceMatrix<T> values,
        DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf)
    {
        CudaElementType.RequireFloatOnCuda<T>(prediction.Backend, GetType().Name.Split('`')[0]);
        var cuda = prediction.Backend.Cuda();
        var spec = CudaSpec ?? throw new NotSupportedException($"{GetType().Name}: no CUDA kernel for this loss");
        long count = (long)prediction.Rows * prediction.Cols;
        var fn = cuda.Modules.GetFunction("Losses.cu", "kernel_loss",
            new Dictionary<string, string> { ["LOSS"] = ((int)spec.Kind).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        cuda.Launch(fn, LaunchShape.Linear(count, 256), new LossArgs
        {
            Prediction = As(prediction).Pointer(),
            Target = As(target).Pointer(),
            DataPdf = dataPdf is { } pdf ? As(pdf).Pointer() : 0,
            Values = As(values).Pointer(),
            Gradients = As(gradients).Pointer(),
            Count = (ulong)count,
            LossScale = float.CreateTruncating(lossScale),
            N = (float)count, // the CPU's T.CreateChecked(count) for T = float
            HuberDelta = spec.HuberDelta,
            HuberScale = spec.HuberScale,
        });
    }

    /// <summary>T is float on CUDA (checked above); the matrix's data as a float view.</summary>
    static DeviceSpan<float> As(DeviceMatrix<T> m) => (DeviceSpan<float>)(object)m.Data;
}
