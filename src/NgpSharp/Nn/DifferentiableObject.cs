using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;

namespace NgpSharp.Nn;

/// <summary>
/// A differentiable function y = f(x; θ) over a batch (tiny-cuda-nn's DifferentiableObject). Inputs and outputs
/// are row-major [batch, width] matrices; θ is a slice of the trainer's flat parameter buffer.
/// The public entry points validate shapes and then call the Core methods.
/// </summary>
/// <typeparam name="T">float in production; double for finite-difference gradient checks.</typeparam>
public abstract class DifferentiableObject<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    protected DifferentiableObject(Backend backend) => Backend = backend ?? throw new ArgumentNullException(nameof(backend));

    public Backend Backend { get; }

    /// <summary>Width of one input row.</summary>
    public abstract int InputWidth { get; }

    /// <summary>Width of one output row (including padding where a module pads).</summary>
    public abstract int OutputWidth { get; }

    /// <summary>Number of trainable parameters.</summary>
    public abstract long ParamCount { get; }

    /// <summary>Batch sizes must be multiples of this.</summary>
    public virtual int BatchGranularity => 1;

    /// <summary>The parameters θ: [ParamCount]. Empty until <see cref="SetParams"/>.</summary>
    public DeviceSpan<T> Params { get; private set; }

    /// <summary>dL/dθ: [ParamCount]. Written by Backward according to its GradientMode.</summary>
    public DeviceSpan<T> Gradients { get; private set; }

    /// <summary>Points the module at its slice of the flat parameter and gradient buffers.</summary>
    public void SetParams(DeviceSpan<T> parameters, DeviceSpan<T> gradients)
    {
        if (parameters.Length != ParamCount || gradients.Length != ParamCount)
            throw new ArgumentException($"{GetType().Name} has {ParamCount} parameters; got views of {parameters.Length} and {gradients.Length}");
        Params = parameters;
        Gradients = gradients;
        OnParamsSet();
    }

    /// <summary>Called after <see cref="SetParams"/> (composite modules forward slices to their children).</summary>
    protected virtual void OnParamsSet() { }

    /// <summary>Writes initial parameter values into <paramref name="parameters"/> ([ParamCount]).</summary>
    public abstract void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f);

    /// <summary>y = f(x). input: [B, InputWidth], output: [B, OutputWidth].</summary>
    /// <returns>What Backward needs; dispose after Backward (or at once when <paramref name="prepareBackward"/> is false).</returns>
    public ForwardContext Forward(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward = true)
    {
        CheckShapes(input, output, "Forward");
        var ctx = ForwardCore(input, output, prepareBackward);
        AfterForward(output);
        return ctx;
    }

    /// <summary>y = f(x) without keeping anything for a backward pass.</summary>
    public void Inference(DeviceMatrix<T> input, DeviceMatrix<T> output)
    {
        using var ctx = Forward(input, output, prepareBackward: false);
    }

    /// <summary>
    /// Given dL/dy, computes dL/dθ into <see cref="Gradients"/> (per <paramref name="paramGradients"/>) and,
    /// when <paramref name="dLdInput"/> is given, dL/dx (overwritten). Shapes as in Forward.
    /// </summary>
    public void Backward(ForwardContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T>? dLdInput = null, GradientMode paramGradients = GradientMode.Overwrite)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.IsDisposed) throw new ObjectDisposedException(nameof(ctx), "Backward needs the context of its Forward, not disposed yet");
        CheckShapes(input, output, "Backward");
        CheckMatrix(dLdOutput, input.Rows, OutputWidth, "dLdOutput");
        if (dLdInput is { } dx) CheckMatrix(dx, input.Rows, InputWidth, "dLdInput");
        if (paramGradients != GradientMode.Ignore && ParamCount > 0 && Gradients.IsEmpty)
            throw new InvalidOperationException($"{GetType().Name}: parameter gradients requested before SetParams");
        BackwardCore(ctx, input, output, dLdOutput, dLdInput, paramGradients);
    }

    protected abstract ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward);

    protected abstract void BackwardCore(ForwardContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients);

    /// <summary>Hook after ForwardCore (encodings fill their padding columns here).</summary>
    protected virtual void AfterForward(DeviceMatrix<T> output) { }

    /// <summary>The module's configuration in tiny-cuda-nn's JSON form.</summary>
    public abstract JsonObject Hyperparams();

    void CheckShapes(DeviceMatrix<T> input, DeviceMatrix<T> output, string op)
    {
        if (ParamCount > 0 && Params.IsEmpty)
            throw new InvalidOperationException($"{GetType().Name}.{op}: SetParams has not been called");
        CheckMatrix(input, input.Rows, InputWidth, "input");
        CheckMatrix(output, input.Rows, OutputWidth, "output");
        if (input.Rows % BatchGranularity != 0)
            throw new ArgumentException($"{GetType().Name}.{op}: batch size {input.Rows} is not a multiple of {BatchGranularity}");
    }

    void CheckMatrix(DeviceMatrix<T> m, int rows, int cols, string name)
    {
        if (m.IsNull) throw new ArgumentException($"{GetType().Name}: {name} is a null matrix");
        if (m.Rows != rows || m.Cols != cols)
            throw new ArgumentException($"{GetType().Name}: {name} is [{m.Rows}, {m.Cols}], expected [{rows}, {cols}]");
        if (!ReferenceEquals(m.Backend, Backend))
            throw new ArgumentException($"{GetType().Name}: {name} lives on another backend ({m.Backend.Kind}) than the module ({Backend.Kind})");
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);
}
