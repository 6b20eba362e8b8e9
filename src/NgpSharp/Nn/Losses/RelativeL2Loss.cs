using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>
/// tiny-cuda-nn's "RelativeL2" (Noise2Noise): ℓ = (p − t)² / (p² + 0.01), gradient 2(p − t) / (p² + 0.01) — the
/// denominator is held constant (not differentiated).
/// </summary>
public sealed class RelativeL2Loss<T> : ElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static RelativeL2Loss<T> FromJson(JsonConfig config) => new();

    public override JsonObject Hyperparams() => new() { ["otype"] = "RelativeL2" };

    private protected override CudaLossSpec? CudaSpec => new(CudaLossKind.RelativeL2);

    protected override void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) =>
        Run(new Op(), lossScale, prediction, target, values, gradients, dataPdf);

    readonly struct Op : ILossOperator<T>
    {
        static readonly Vector<T> Epsilon = Splat(0.01);

        public Vector<T> Evaluate(Vector<T> p, Vector<T> t, out Vector<T> gradient)
        {
            var d = p - t;
            var denominator = p * p + Epsilon;
            gradient = (d + d) / denominator;
            return d * d / denominator;
        }
    }
}
