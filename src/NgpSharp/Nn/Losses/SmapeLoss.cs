using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>
/// tiny-cuda-nn's "SMAPE" (symmetric MAPE): ℓ = |p − t| / (½(|t| + |p|) + 0.01), gradient
/// copysign(1 / (½(|t| + |p|) + 0.01), p − t) — the denominator is held constant (not differentiated).
/// </summary>
public sealed class SmapeLoss<T> : ElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static SmapeLoss<T> FromJson(JsonConfig config) => new();

    public override JsonObject Hyperparams() => new() { ["otype"] = "SMAPE" };

    private protected override CudaLossSpec? CudaSpec => new(CudaLossKind.Smape);

    protected override void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) =>
        Run(new Op(), lossScale, prediction, target, values, gradients, dataPdf);

    readonly struct Op : ILossOperator<T>
    {
        static readonly Vector<T> Epsilon = Splat(0.01), Half = Splat(0.5);

        public Vector<T> Evaluate(Vector<T> p, Vector<T> t, out Vector<T> gradient)
        {
            var d = p - t;
            var scale = Vector<T>.One / (Half * (Vector.Abs(t) + Vector.Abs(p)) + Epsilon);
            gradient = CopySign(scale, d);
            return Vector.Abs(d) * scale;
        }
    }
}
