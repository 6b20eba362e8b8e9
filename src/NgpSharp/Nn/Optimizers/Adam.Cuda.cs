using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Optimizers;

/// <summary>Mirrors AdamStepArgs in Adam.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AdamStepArgs
{
    public ulong Weights, Gradients, FirstMoments, SecondMoments, ParamSteps, Corrections;
    public ulong Count, MatrixCount;
    public float LossScale, Beta1, Beta2, Epsilon, LowerBound, UpperBound, RelativeDecay, AbsoluteDecay, ClippingMagnitude;
    public float MatrixLearningRate, NonMatrixLearningRate, MatrixL2Reg;
    public uint SaturatedStep, OptimizeMatrix, OptimizeNonMatrix, Padding;
}

public sealed partial class Adam<T>
{
    DeviceBuffer<float>? _cudaCorrections;
    float _cudaCorrectionsBeta1 = float.NaN, _cudaCorrectionsBeta2 = float.NaN;

    /// <summary>The CPU's bias-correction table on the device for the current betas (uploaded when they change), or null when too long.</summary>
    DeviceBuffer<float>? CudaCorrections()
    {
        if (_cudaCorrectionsBeta1 == Beta1 && _cudaCorrectionsBeta2 == Beta2) return _cudaCorrections;
        _cudaCorrections?.Dispose();
        _cudaCorrections = BiasCorrectionTable.TryCreate(Beta1, Beta2) is { } table ? Backend.Upload<float>(table.Values) : null;
        (_cudaCorrectionsBeta1, _cudaCorrectionsBeta2) = (Beta1, Beta2);
        return _cudaCorrections;
    }

    void FreeCudaState()
    {
        _cudaCorrections?.Dispose();
        _cudaCorrections = null;
        _cudaCorrectionsBeta1 = _cudaCorrectionsBeta2 = float.NaN;
    }

    /// <summary>
    /// The CUDA path of <see cref="Step"/> (T = float, checked at construction): one thread per parameter, the same
    /// update as <see cref="AdamSimd"/> with moments and counters in device buffers. lower/upper: the AdaBound bounds.
    /// </summary>
    void StepCuda(float lossScale, float lower, float upper, DeviceSpan<T> weights, DeviceSpan<T> gradients)
    {
        if (_paramCount == 0) return;
        var cuda = Backend.Cuda();
        var fn = cuda.Modules.GetFunction("Adam.cu", "kernel_adam_step");
        cuda.Launch(fn, LaunchShape.Linear(_paramCount, 256), new AdamStepArgs
        {
            Weights = weights.Pointer(),
            Gradients = gradients.Pointer(),
            FirstMoments = _firstMoments!.All.Pointer(),
            SecondMoments = _secondMoments!.All.Pointer(),
            ParamSteps = _paramSteps!.All.Pointer(),
            Corrections = CudaCorrections() is { } corrections ? corrections.All.Pointer() : 0,
            Count = (ulong)_paramCount,
            MatrixCount = (ulong)_matrixParamCount,
            LossScale = lossScale,
            Beta1 = Beta1,
            Beta2 = Beta2,
            Epsilon = Epsilon,
            LowerBound = lower,
            UpperBound = upper,
            RelativeDecay = RelativeDecay,
            AbsoluteDecay = Math.Abs(AbsoluteDecay),
            ClippingMagnitude = ClippingMagnitude,
            MatrixLearningRate = LearningRate,
            NonMatrixLearningRate = LearningRate * NonMatrixLearningRateFactor,
            MatrixL2Reg = L2Reg,
            SaturatedStep = AdamSimd.SaturationStep(Beta1, Beta2),
            OptimizeMatrix = OptimizeMatrixParams ? 1u : 0u,
            OptimizeNonMatrix = OptimizeNonMatrixParams ? 1u : 0u,
        });
    }
}
