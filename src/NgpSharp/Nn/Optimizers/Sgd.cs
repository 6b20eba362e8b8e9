using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Config;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// Plain gradient descent (tiny-cuda-nn optimizers/sgd.h): w ← w − lr·(g/lossScale + l2_reg·w). Unlike Adam, the
/// L2 term applies to every parameter, as in tiny-cuda-nn.
/// </summary>
public sealed partial class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    const string Name = "SGD";
    const int TileSize = 1 << 15;

    long _paramCount, _step;
    bool _allocated;

    /// <summary>An SGD with tiny-cuda-nn's defaults (lr 1e-3, l2_reg 1e-8).</summary>
    public Sgd(Backend backend) : base(backend) => OptimizerState.RequireSupported<T>(backend, Name);

    public Sgd(Backend backend, JsonConfig config) : this(backend)
    {
        LearningRate = ConfigReading.Finite(config, "learning_rate", LearningRate);
        L2Reg = ConfigReading.Finite(config, "l2_reg", L2Reg);
    }

    public override float LearningRate { get; set; } = 1e-3f;

    public float L2Reg { get; set; } = 1e-8f;

    public override long StepCount => _step;

    public override void Allocate(long paramCount, long matrixParamCount)
    {
        OptimizerState.CheckAllocateArgs(Name, paramCount, matrixParamCount);
        _paramCount = paramCount;
        _allocated = true;
    }

    public override void Step(float lossScale, DeviceSpan<T> weights, DeviceSpan<T> gradients)
    {
        OptimizerState.CheckStepArgs(Name, _paramCount, _allocated, weights, gradients);
        ++_step;
        if (Backend.Kind == BackendKind.Cuda)
        {
            StepCuda(lossScale, weights, gradients);
            return;
        }
        T lr = T.CreateTruncating(LearningRate), l2 = T.CreateTruncating(L2Reg), scale = T.CreateTruncating(lossScale);
        CpuParallel.ForTiles(_paramCount, TileSize, (start, end) =>
            StepRange(lr, l2, scale, weights.AsSpan()[start..end], gradients.AsSpan()[start..end]));
    }

    /// <summary>weights, gradients: [n].</summary>
    static void StepRange(T lr, T l2, T lossScale, Span<T> weights, ReadOnlySpan<T> gradients)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vlr = new Vector<T>(lr); var vl2 = new Vector<T>(l2); var vscale = new Vector<T>(lossScale);
            for (; i <= weights.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var w = new Vector<T>(weights[i..]);
                var g = new Vector<T>(gradients[i..]) / vscale + vl2 * w;
                (w - vlr * g).CopyTo(weights[i..]);
            }
        }
        for (; i < weights.Length; i++)
        {
            T g = gradients[i] / lossScale + l2 * weights[i];
            weights[i] -= lr * g;
        }
    }

    public override void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        OptimizerState.WriteHeader<T>(writer, Name, _paramCount);
        writer.Write(_step);
        writer.Write(LearningRate);
    }

    public override void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        OptimizerState.ReadHeader<T>(reader, Name, _paramCount);
        _step = reader.ReadInt64();
        LearningRate = reader.ReadSingle();
    }

    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = Name,
        ["learning_rate"] = ConfigReading.Json(LearningRate),
        ["l2_reg"] = ConfigReading.Json(L2Reg),
    };
}
