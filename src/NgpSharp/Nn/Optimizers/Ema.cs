using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Config;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// Exponential moving average of the weights around a nested optimizer (tiny-cuda-nn optimizers/ema.h). After the
/// nested step n the debiased average is ema_n = (ema_{n−1}·d·(1 − d^{n−1}) + w_n·(1 − d)) / (1 − d^n), so ema_1 = w_1
/// and ema_n = Σ_k d^{n−k}(1 − d)·w_k / (1 − d^n). <see cref="InferenceWeights"/> returns it once a step was taken.
/// The average is kept in T (tiny-cuda-nn's "full_precision" is accepted; with float or double weights it changes
/// nothing).
/// </summary>
public sealed partial class Ema<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    const string Name = "EMA";
    const int TileSize = 1 << 15;

    readonly Optimizer<T> _nested;
    DeviceBuffer<T>? _average;
    long _paramCount;
    bool _hasAverage;

    /// <summary>Wraps <paramref name="nested"/> (owned: disposed with this one); decay 0.99 as in tiny-cuda-nn.</summary>
    public Ema(Backend backend, Optimizer<T> nested) : base(backend)
    {
        OptimizerState.RequireSupported<T>(backend, Name);
        _nested = nested ?? throw new ArgumentNullException(nameof(nested));
    }

    /// <summary>Reads "decay" and "full_precision"; the nested optimizer is built by the caller.</summary>
    public Ema(Backend backend, Optimizer<T> nested, JsonConfig config) : this(backend, nested)
    {
        Decay = ConfigReading.InRange(config, "decay", Decay, 0, 1, "in [0, 1)");
        FullPrecision = config.Bool("full_precision", FullPrecision);
    }

    public Optimizer<T> Nested => _nested;

    /// <summary>The EMA decay d ("decay").</summary>
    public float Decay { get; set; } = 0.99f;

    /// <summary>tiny-cuda-nn's "full_precision" (a float shadow copy for half weights); kept for Hyperparams.</summary>
    public bool FullPrecision { get; set; }

    public override float LearningRate { get => _nested.LearningRate; set => _nested.LearningRate = value; }

    public override long StepCount => _nested.StepCount;

    /// <summary>The averaged weights [paramCount], or null before the first step.</summary>
    public override DeviceSpan<T>? InferenceWeights => _hasAverage ? _average!.All : null;

    public override void Allocate(long paramCount, long matrixParamCount)
    {
        OptimizerState.CheckAllocateArgs(Name, paramCount, matrixParamCount);
        _nested.Allocate(paramCount, matrixParamCount);
        if (_average is not null && paramCount == _paramCount) return;
        _average?.Dispose();
        _paramCount = paramCount;
        _average = Backend.Allocate<T>(paramCount);
        _hasAverage = false;
    }

    public override void Step(float lossScale, DeviceSpan<T> weights, DeviceSpan<T> gradients)
    {
        OptimizerState.CheckStepArgs(Name, _paramCount, _average is not null, weights, gradients);
        _nested.Step(lossScale, weights, gradients);
        long n = _nested.StepCount;
        // Debiasing factors in double (tiny-cuda-nn rounds them to float; the difference is below float precision).
        T debiasOld = T.CreateTruncating(1 - Math.Pow(Decay, n - 1));
        T debiasNew = T.CreateTruncating(1 / (1 - Math.Pow(Decay, n)));
        T decay = T.CreateTruncating(Decay), oneMinusDecay = T.CreateTruncating(1 - Decay);
        // A nested EMA's average is what gets averaged again.
        var source = _nested.InferenceWeights ?? weights;
        var average = _average!.All;
        if (Backend.Kind == BackendKind.Cuda)
            BlendCuda(decay * debiasOld, oneMinusDecay, debiasNew, source, average);
        else
            CpuParallel.ForTiles(_paramCount, TileSize, (start, end) =>
                Blend(decay * debiasOld, oneMinusDecay, debiasNew, source.AsSpan()[start..end], average.AsSpan()[start..end]));
        _hasAverage = true;
    }

    /// <summary>average ← (average·keep + weights·take)·scale. weights, average: [n].</summary>
    static void Blend(T keep, T take, T scale, ReadOnlySpan<T> weights, Span<T> average)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var vkeep = new Vector<T>(keep); var vtake = new Vector<T>(take); var vscale = new Vector<T>(scale);
            for (; i <= weights.Length - Vector<T>.Count; i += Vector<T>.Count)
                ((new Vector<T>(average[i..]) * vkeep + new Vector<T>(weights[i..]) * vtake) * vscale).CopyTo(average[i..]);
        }
        for (; i < weights.Length; i++) average[i] = (average[i] * keep + weights[i] * take) * scale;
    }

    public override void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_average is null) throw new InvalidOperationException($"{Name}: Allocate must be called before SaveState");
        OptimizerState.WriteHeader<T>(writer, Name, _paramCount);
        writer.Write(_hasAverage);
        OptimizerState.WriteBuffer(writer, _average);
        _nested.SaveState(writer);
    }

    public override void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_average is null) throw new InvalidOperationException($"{Name}: Allocate must be called before LoadState");
        OptimizerState.ReadHeader<T>(reader, Name, _paramCount);
        bool hasAverage = reader.ReadBoolean();
        OptimizerState.ReadBuffer(reader, _average, $"{Name} state (averaged weights)");
        _hasAverage = hasAverage;
        _nested.LoadState(reader);
    }

    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = Name,
        ["nested"] = _nested.Hyperparams(),
        ["decay"] = ConfigReading.Json(Decay),
        ["full_precision"] = FullPrecision,
    };

    public override void Dispose()
    {
        _average?.Dispose();
        _average = null;
        _nested.Dispose();
        base.Dispose();
    }
}
