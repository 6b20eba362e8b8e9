using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// Piecewise-constant exponential learning-rate decay around a nested optimizer (tiny-cuda-nn
/// optimizers/exponential_decay.h). Before the nested step, with s = steps already taken: when s ≥ decay_start,
/// (s − decay_start) is a multiple of decay_interval and s ≤ decay_end, the factor is multiplied by decay_base.
/// So step s + 1 (1-based) trains with base_lr · decay_base^k, k = number of such s' ≤ s: the first decayed step is
/// number decay_start + 1, and lr = base_lr · decay_base^(⌊(s − start)/interval⌋ + 1) for start ≤ s ≤ end.
/// </summary>
public sealed class ExponentialDecay<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    const string Name = "ExponentialDecay";

    readonly Optimizer<T> _nested;
    float _baseLearningRate, _factor = 1f;
    long _decayInterval = 10000;

    /// <summary>Wraps <paramref name="nested"/> (owned); its current learning rate becomes the base rate.</summary>
    public ExponentialDecay(Backend backend, Optimizer<T> nested) : base(backend)
    {
        OptimizerState.RequireSupported<T>(backend, Name);
        _nested = nested ?? throw new ArgumentNullException(nameof(nested));
        _baseLearningRate = nested.LearningRate;
    }

    /// <summary>Reads "decay_base", "decay_start", "decay_interval", "decay_end".</summary>
    public ExponentialDecay(Backend backend, Optimizer<T> nested, JsonConfig config) : this(backend, nested)
    {
        DecayBase = ConfigReading.Finite(config, "decay_base", DecayBase);
        DecayStart = ConfigReading.Steps(config, "decay_start", DecayStart);
        DecayInterval = ConfigReading.Steps(config, "decay_interval", DecayInterval, min: 1);
        DecayEnd = ConfigReading.Steps(config, "decay_end", DecayEnd);
    }

    public Optimizer<T> Nested => _nested;

    /// <summary>Factor applied at each decay point ("decay_base", default 0.1).</summary>
    public float DecayBase { get; set; } = 0.1f;

    /// <summary>Step count at which the first decay happens ("decay_start", default 10000).</summary>
    public long DecayStart { get; set; } = 10000;

    /// <summary>Steps between decays ("decay_interval", default 10000, ≥ 1).</summary>
    public long DecayInterval
    {
        get => _decayInterval;
        set => _decayInterval = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "decay interval must be ≥ 1");
    }

    /// <summary>Last step count at which a decay can happen ("decay_end", default 10000000).</summary>
    public long DecayEnd { get; set; } = 10_000_000;

    /// <summary>The current rate, base · factor. Setting it rescales the base so the schedule continues from there.</summary>
    public override float LearningRate
    {
        get => _baseLearningRate * _factor;
        set
        {
            _baseLearningRate = value / _factor;
            _nested.LearningRate = _baseLearningRate * _factor;
        }
    }

    public override long StepCount => _nested.StepCount;

    public override DeviceSpan<T>? InferenceWeights => _nested.InferenceWeights;

    public override void Allocate(long paramCount, long matrixParamCount) => _nested.Allocate(paramCount, matrixParamCount);

    public override void Step(float lossScale, DeviceSpan<T> weights, DeviceSpan<T> gradients)
    {
        long s = StepCount;
        float factor = s == 0 ? 1f : _factor;
        if (s >= DecayStart && (s - DecayStart) % DecayInterval == 0 && s <= DecayEnd) factor *= DecayBase;
        _nested.LearningRate = _baseLearningRate * factor;
        _nested.Step(lossScale, weights, gradients);
        _factor = factor; // only once the step went through (a rejected step leaves the schedule as it was)
    }

    public override void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(Name);
        writer.Write(_baseLearningRate);
        writer.Write(_factor);
        _nested.SaveState(writer);
    }

    public override void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string tag = reader.ReadString();
        if (tag != Name) throw new InvalidDataException($"optimizer state: expected a {Name} state, found \"{tag}\"");
        float baseLr = reader.ReadSingle(), factor = reader.ReadSingle();
        _nested.LoadState(reader);
        _baseLearningRate = baseLr;
        _factor = factor;
        _nested.LearningRate = _baseLearningRate * _factor;
    }

    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = Name,
        ["nested"] = _nested.Hyperparams(),
        ["decay_base"] = ConfigReading.Json(DecayBase),
        ["decay_interval"] = (double)DecayInterval, // doubles: JsonConfig reads numbers as doubles
        ["decay_start"] = (double)DecayStart,
        ["decay_end"] = (double)DecayEnd,
    };

    public override void Dispose()
    {
        _nested.Dispose();
        base.Dispose();
    }
}
