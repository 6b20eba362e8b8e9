using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;

namespace NgpSharp.Nn;

/// <summary>
/// Updates the flat parameter buffer from its gradients (tiny-cuda-nn's Optimizer). Optimizers nest: Ema and
/// ExponentialDecay wrap another one, as in instant-ngp's base.json.
/// </summary>
public abstract class Optimizer<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    protected Optimizer(Backend backend) => Backend = backend;

    public Backend Backend { get; }

    /// <summary>
    /// Sizes the optimizer state for <paramref name="paramCount"/> parameters, of which the first
    /// <paramref name="matrixParamCount"/> are network weight matrices (L2 regularisation applies to those).
    /// </summary>
    public abstract void Allocate(long paramCount, long matrixParamCount);

    /// <summary>
    /// One update: weights -= f(gradients / lossScale). weights and gradients: [paramCount].
    /// </summary>
    public abstract void Step(float lossScale, DeviceSpan<T> weights, DeviceSpan<T> gradients);

    /// <summary>Current learning rate (a decay schedule changes it per step).</summary>
    public abstract float LearningRate { get; set; }

    /// <summary>Number of steps taken.</summary>
    public abstract long StepCount { get; }

    /// <summary>Weights to use for inference instead of the trained ones (EMA), or null.</summary>
    public virtual DeviceSpan<T>? InferenceWeights => null;

    /// <summary>Writes the whole state (moments, counters, step) for checkpoints.</summary>
    public abstract void SaveState(BinaryWriter writer);

    /// <summary>Restores what <see cref="SaveState"/> wrote; Allocate must have been called with the same sizes.</summary>
    public abstract void LoadState(BinaryReader reader);

    public abstract JsonObject Hyperparams();

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
