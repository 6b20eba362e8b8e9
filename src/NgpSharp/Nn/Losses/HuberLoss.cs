using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Losses;

/// <summary>
/// instant-ngp's "Huber" (tiny-cuda-nn has none), in its smooth-L1 form with threshold δ:
/// ℓ = d²/(2δ) for |d| ≤ δ, |d| − δ/2 beyond; gradient d/δ resp. sign(d) (exact), d = p − t; both times
/// <see cref="Scale"/>. instant-ngp's NeRF uses δ = 0.1 and divides by 5 (scale 0.2), which matches L2 near 0.
/// </summary>
public sealed class HuberLoss<T> : ElementwiseLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Default δ: instant-ngp's NeRF setting.</summary>
    public const double DefaultDelta = 0.1;

    readonly Op _op;

    public HuberLoss(double delta = DefaultDelta, double scale = 1.0)
    {
        if (!(delta > 0) || !double.IsFinite(delta)) throw new ArgumentOutOfRangeException(nameof(delta), delta, "Huber: delta must be a positive finite number");
        if (!double.IsFinite(scale)) throw new ArgumentOutOfRangeException(nameof(scale), scale, "Huber: scale must be finite");
        Delta = delta;
        Scale = scale;
        _op = new Op(T.CreateChecked(delta), T.CreateChecked(scale));
    }

    /// <summary>Keys: delta (default 0.1; "alpha", instant-ngp's name, is accepted too), scale (default 1).</summary>
    public static HuberLoss<T> FromJson(JsonConfig config)
    {
        string key = config.Has("delta") ? "delta" : "alpha";
        double delta = config.Double(key, DefaultDelta);
        if (!(delta > 0)) throw config.Error(key, $"must be > 0, got {delta.ToString(CultureInfo.InvariantCulture)}");
        return new HuberLoss<T>(delta, config.Double("scale", 1.0));
    }

    /// <summary>Threshold between the quadratic and the linear part.</summary>
    public double Delta { get; }

    /// <summary>Factor on values and gradients.</summary>
    public double Scale { get; }

    public override JsonObject Hyperparams() => new() { ["otype"] = "Huber", ["delta"] = Delta, ["scale"] = Scale };

    private protected override CudaLossSpec? CudaSpec => new(CudaLossKind.Huber, (float)Delta, (float)Scale);

    protected override void EvaluateCore(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target,
        DeviceMatrix<T> values, DeviceMatrix<T> gradients, DeviceMatrix<T>? dataPdf) =>
        Run(_op, lossScale, prediction, target, values, gradients, dataPdf);

    readonly struct Op(T delta, T scale) : ILossOperator<T>
    {
        readonly Vector<T> _delta = new(delta), _halfDelta = new(delta * T.CreateChecked(0.5)),
            _halfOverDelta = new(T.CreateChecked(0.5) / delta), _scale = new(scale);

        public Vector<T> Evaluate(Vector<T> p, Vector<T> t, out Vector<T> gradient)
        {
            var d = p - t;
            var abs = Vector.Abs(d);
            var linear = Vector.GreaterThan(abs, _delta);
            var sign = Vector.ConditionalSelect(Vector.GreaterThan(d, Vector<T>.Zero), Vector<T>.One, -Vector<T>.One);
            gradient = _scale * Vector.ConditionalSelect(linear, sign, d / _delta);
            return _scale * Vector.ConditionalSelect(linear, abs - _halfDelta, _halfOverDelta * d * d);
        }
    }
}
