using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>tiny-cuda-nn's "L1": ℓ = |p − t|, gradient copysign(1, p − t) (exact away from p = t).</summary>
public sealed class L1Loss<T> : ElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static L1Loss<T> FromJson(JsonConfig config) => new();

    public override JsonObject Hyperparams() => new() { ["otype"] = "L1" };

    private protected override CudaLossSpec? CudaSpec => new(CudaLossKind.L1);

    protected override void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) =>
        Run(new Op(), lossScale, prediction, target, values, gradients, dataPdf);

    readonly struct Op : ILossOperator<T>
    {
        public Vector<T> Evaluate(Vector<T> p, Vector<T> t, out Vector<T> gradient)
        {
            var d = p - t;
            gradient = CopySign(Vector<T>.One, d);
            return Vector.Abs(d);
        }
    }
}
