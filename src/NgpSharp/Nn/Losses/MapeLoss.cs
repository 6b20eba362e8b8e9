using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>
/// tiny-cuda-nn's "MAPE" (mean absolute percentage error): ℓ = |p − t| / (|t| + 0.01), gradient
/// copysign(1 / (|t| + 0.01), p − t) — exact, the denominator depends on the target only. (instant-ngp's own
/// NeRF MAPE divides by |p| + 0.01 instead; this is tiny-cuda-nn's.)
/// </summary>
public sealed class MapeLoss<T> : ElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static MapeLoss<T> FromJson(JsonConfig config) => new();

    public override JsonObject Hyperparams() => new() { ["otype"] = "MAPE" };

    private protected override CudaLossSpec? CudaSpec => new(CudaLossKind.Mape);

    protected override void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) =>
        Run(new Op(), lossScale, prediction, target, values, gradients, dataPdf);

    readonly struct Op : ILossOperator<T>
    {
        static readonly Vector<T> Epsilon = Splat(0.01);

        public Vector<T> Evaluate(Vector<T> p, Vector<T> t, out Vector<T> gradient)
        {
            var d = p - t;
            var scale = Vector<T>.One / (Vector.Abs(t) + Epsilon);
            gradient = CopySign(scale, d);
            return Vector.Abs(d) * scale;
        }
    }
}
