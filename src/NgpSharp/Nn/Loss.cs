using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;

namespace NgpSharp.Nn;

/// <summary>
/// An elementwise loss (tiny-cuda-nn's Loss). Writes per-element loss values divided by the element count N =
/// rows·cols (so their sum is the mean loss) and gradients lossScale·∂value/∂prediction.
/// </summary>
public abstract class Loss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// prediction, target, values, gradients: [B, D]; dataPdf: optional [B, D] sampling density, each
    /// element's loss and gradient divided by it (importance sampling).
    /// </summary>
    public void Evaluate(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf = null)
    {
        Check(prediction, target, "target");
        Check(prediction, values, "values");
        Check(prediction, gradients, "gradients");
        if (dataPdf is { } pdf) Check(prediction, pdf, "dataPdf");
        EvaluateCore(lossScale, prediction, target, values, gradients, dataPdf);
    }

    protected abstract void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf);

    public abstract JsonObject Hyperparams();

    static void Check(DeviceMatrix<T> prediction, DeviceMatrix<T> other, string name)
    {
        if (other.Rows != prediction.Rows || other.Cols != prediction.Cols)
            throw new ArgumentException($"loss: {name} is [{other.Rows}, {other.Cols}], prediction is [{prediction.Rows}, {prediction.Cols}]");
    }
}
