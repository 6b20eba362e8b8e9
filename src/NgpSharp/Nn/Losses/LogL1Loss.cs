using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>
/// instant-ngp's "LogL1" (tiny-cuda-nn has none): ℓ = ln(|p − t| + 1), gradient copysign(1 / (|p − t| + 1), p − t)
/// (exact away from p = t).
/// </summary>
public sealed class LogL1Loss<T> : ElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static LogL1Loss<T> FromJson(JsonConfig config) => new();

    public override JsonObject Hyperparams() => new() { ["otype"] = "LogL1" };

    private protected override CudaLossSpec? CudaSpec => new(CudaLossKind.LogL1);

    protected override void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) =>
        Run(new Op(), lossScale, prediction, target, values, gradients, dataPdf);

    readonly struct Op : ILossOperator<T>
    {
        public Vector<T> Evaluate(Vector<T> p, Vector<T> t, out Vector<T> gradient)
        {
            var d = p - t;
            var divisor = Vector.Abs(d) + Vector<T>.One;
            gradient = CopySign(Vector<T>.One / divisor, d);
            return Log(divisor);
        }

        static Vector<T> Log(Vector<T> v)
        {
            if (typeof(T) == typeof(float)) return Vector.Log(v.As<T, float>()).As<float, T>();
            if (typeof(T) == typeof(double)) return Vector.Log(v.As<T, double>()).As<double, T>();
            Span<T> lanes = stackalloc T[Vector<T>.Count];
            v.CopyTo(lanes);
            foreach (ref var x in lanes) x = T.Log(x);
            return new Vector<T>(lanes);
        }
    }
}
