using System.Numerics;
using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn;

/// <summary>The outcome of one training step.</summary>
/// <param name="Loss">Mean loss over the batch (before the optimizer step).</param>
/// <param name="Skipped">True when the loss or a gradient was NaN/Inf and the update was skipped.</param>
public readonly record struct TrainingStep(double Loss, bool Skipped);

/// <summary>
/// Owns the flat parameter and gradient buffers of a model and runs forward → loss → backward → optimizer
/// (tiny-cuda-nn's Trainer). Non-finite losses or gradients skip the update instead of poisoning the weights.
/// </summary>
public sealed class Trainer<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly DeviceBuffer<T> _params, _gradients;
    DeviceBuffer<T>? _output, _values, _dLdOutput;
    CudaReductions? _cudaReductions;
    int _cachedBatch = -1;

    /// <param name="seed">Seeds the parameter initialisation (pcg32).</param>
    public Trainer(DifferentiableObject<T> model, Loss<T> loss, Optimizer<T> optimizer, ulong seed = 1337)
    {
        Model = model;
        Loss = loss;
        Optimizer = optimizer;
        var backend = model.Backend;
        _params = backend.Allocate<T>(model.ParamCount);
        _gradients = backend.Allocate<T>(model.ParamCount);
        var rng = new Rng(seed);
        model.InitializeParams(ref rng, _params.All);
        model.SetParams(_params.All, _gradients.All);
        long matrixParams = model is Network<T> net ? net.MatrixParamCount : 0;
        optimizer.Allocate(model.ParamCount, matrixParams);
    }

    public DifferentiableObject<T> Model { get; }
    public Loss<T> Loss { get; }
    public Optimizer<T> Optimizer { get; }

    /// <summary>The trained parameters θ: [ParamCount].</summary>
    public DeviceSpan<T> Params => _params.All;

    /// <summary>dL/dθ of the last step: [ParamCount].</summary>
    public DeviceSpan<T> Gradients => _gradients.All;

    /// <summary>Gradient scale (128 for fp16 training on a GPU; 1 on the CPU).</summary>
    public float LossScale { get; set; } = 1f;

    /// <summary>Training steps run (skipped ones included).</summary>
    public long StepCount { get; private set; }

    /// <summary>Steps whose update was skipped because of NaN/Inf.</summary>
    public long SkippedSteps { get; private set; }

    /// <summary>One step on input [B, Model.InputWidth] and target [B, Model.OutputWidth].</summary>
    public TrainingStep Step(DeviceMatrix<T> input, DeviceMatrix<T> target, DeviceMatrix<T>? dataPdf = null)
    {
        int batch = input.Rows;
        EnsureBuffers(batch);
        var output = _output!.AsMatrix(batch, Model.OutputWidth);
        var values = _values!.AsMatrix(batch, Model.OutputWidth);
        var dLdOutput = _dLdOutput!.AsMatrix(batch, Model.OutputWidth);

        using (var ctx = Model.Forward(input, output))
        {
            Loss.Evaluate(T.CreateTruncating(LossScale), output, target, values, dLdOutput, dataPdf);
            Model.Backward(ctx, input, output, dLdOutput, null, GradientMode.Overwrite);
        }
        StepCount++;
        var (loss, finite) = SumAndCheckFinite(values.Data, _gradients.All);
        if (!finite)
        {
            SkippedSteps++;
            return new TrainingStep(loss, Skipped: true);
        }
        Optimizer.Step(LossScale, _params.All, _gradients.All);
        return new TrainingStep(loss, Skipped: false);
    }

    /// <summary>y = f(x) with the inference weights (the EMA ones when the optimizer keeps an EMA).</summary>
    public void Inference(DeviceMatrix<T> input, DeviceMatrix<T> output)
    {
        if (Optimizer.InferenceWeights is { } ema && ema.Length == _params.Length)
        {
            Model.SetParams(ema, _gradients.All);
            try { Model.Inference(input, output); }
            finally { Model.SetParams(_params.All, _gradients.All); }
        }
        else Model.Inference(input, output);
    }

    const uint CheckpointMagic = 0x4B43474E; // "NGCK"
    const int CheckpointVersion = 1;

    /// <summary>Writes parameters, optimizer state and counters atomically (temp file, then rename).</summary>
    public void SaveCheckpoint(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(CheckpointMagic);
            w.Write(CheckpointVersion);
            w.Write(System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
            w.Write(Model.ParamCount);
            w.Write(StepCount);
            w.Write(SkippedSteps);
            w.Write(MemoryMarshal.AsBytes<T>(Model.Backend.ToArray(_params.All)));
            Optimizer.SaveState(w);
            w.Flush();
        }, flushToDisk: true);
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote for the same model and optimizer configuration.</summary>
    public void LoadCheckpoint(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        try
        {
            using var r = new BinaryReader(File.OpenRead(path));
            if (r.ReadUInt32() != CheckpointMagic) throw new InvalidDataException($"{path}: not an NgpSharp checkpoint (wrong magic)");
            int version = r.ReadInt32();
            if (version != CheckpointVersion) throw new InvalidDataException($"{path}: checkpoint version {version}, this build reads {CheckpointVersion}");
            int size = r.ReadInt32();
            if (size != System.Runtime.CompilerServices.Unsafe.SizeOf<T>()) throw new InvalidDataException($"{path}: parameters are {size}-byte values, the model uses {System.Runtime.CompilerServices.Unsafe.SizeOf<T>()}");
            long count = r.ReadInt64();
            if (count != Model.ParamCount) throw new InvalidDataException($"{path}: checkpoint has {count} parameters, the model has {Model.ParamCount} (different config?)");
            long steps = r.ReadInt64(), skipped = r.ReadInt64();
            var values = new T[count];
            var bytes = MemoryMarshal.AsBytes(values.AsSpan());
            if (r.Read(bytes) != bytes.Length) throw new InvalidDataException($"{path}: truncated parameter block");
            Model.Backend.CopyFromHost<T>(values, _params.All);
            Optimizer.LoadState(r);
            StepCount = steps;
            SkippedSteps = skipped;
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path}: checkpoint is truncated", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    void EnsureBuffers(int batch)
    {
        if (batch == _cachedBatch) return;
        _output?.Dispose(); _values?.Dispose(); _dLdOutput?.Dispose();
        long n = (long)batch * Model.OutputWidth;
        _output = Model.Backend.Allocate<T>(n);
        _values = Model.Backend.Allocate<T>(n);
        _dLdOutput = Model.Backend.Allocate<T>(n);
        _cachedBatch = batch;
    }

    /// <summary>Σ values (the loss) and whether it and every gradient are finite; on the device for CUDA.</summary>
    (double Loss, bool Finite) SumAndCheckFinite(DeviceSpan<T> values, DeviceSpan<T> gradients)
    {
        if (values.Backend is CudaBackend cuda && typeof(T) == typeof(float))
        {
            var (sum, allFinite) = (_cudaReductions ??= new CudaReductions(cuda)).SumAndCheck((DeviceSpan<float>)(object)values, (DeviceSpan<float>)(object)gradients);
            return (sum, allFinite && double.IsFinite(sum));
        }
        double loss = Sum(values);
        return (loss, double.IsFinite(loss) && AllFinite(gradients));
    }

    static double Sum(DeviceSpan<T> span) => span.Backend.Kind == BackendKind.Cpu
        ? CpuReductions.Sum<T>(span.AsSpan())
        : CpuReductions.Sum<T>(span.Backend.ToArray(span));

    static bool AllFinite(DeviceSpan<T> span) => span.Backend.Kind == BackendKind.Cpu
        ? CpuReductions.AllFinite<T>(span.AsSpan())
        : CpuReductions.AllFinite<T>(span.Backend.ToArray(span));

    /// <summary>Frees the buffers, the model and the optimizer (the trainer owns them).</summary>
    public void Dispose()
    {
        _output?.Dispose(); _values?.Dispose(); _dLdOutput?.Dispose();
        _cudaReductions?.Dispose();
        _params.Dispose();
        _gradients.Dispose();
        Model.Dispose();
        Optimizer.Dispose();
    }
}
