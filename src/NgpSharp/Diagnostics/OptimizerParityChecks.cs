using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Optimizers;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of the optimizers (Adam.cu, Sgd.cu, Ema.cu) over 10 steps at loss scale 128: 50 001
/// parameters of which the first 12 288 are "matrix" ones (L2, never skipped) and the rest non-matrix ones whose
/// gradients are exactly zero for about half of the entries at each step (skipped, with their own step counters).
/// Compares weights, moments and counters, EMA weights, and a checkpoint written on the device and continued on
/// the CPU.
/// </summary>
public static class OptimizerParityChecks
{
    const int ParamCount = 50_001, MatrixCount = 12_288, Steps = 10;
    const float LossScale = 128f;

    const string AdamDefault = """{"otype": "Adam", "learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-15, "l2_reg": 1e-3}""";
    const string AdamAllOptions = """{"otype": "Adam", "learning_rate": 5e-3, "beta1": 0.8, "beta2": 0.95, "epsilon": 1e-8, "l2_reg": 1e-2, "adabound": true, "relative_decay": 0.1, "absolute_decay": 1e-4, "clipping_magnitude": 0.9, "non_matrix_learning_rate_factor": 3}""";
    const string AdamMatrixFrozen = """{"otype": "Adam", "learning_rate": 1e-2, "optimize_matrix_params": false}""";
    const string Sgd = """{"otype": "SGD", "learning_rate": 0.1, "l2_reg": 1e-2}""";
    const string EmaDecayAdam = """{"otype": "EMA", "decay": 0.95, "nested": {"otype": "ExponentialDecay", "decay_start": 3, "decay_interval": 2, "decay_base": 0.33, "nested": """ + AdamDefault + "}}";

    public static IEnumerable<ParityCheck> Checks()
    {
        yield return new("optimizer Adam (instant-ngp settings, L2 on matrix params, zero-gradient skipping), 10 steps: weights + moments + counters",
            (cpu, device) => CompareAdam(cpu, device, AdamDefault));
        yield return new("optimizer Adam (adabound, relative + absolute decay, clipping, non-matrix lr factor), 10 steps",
            (cpu, device) => CompareAdam(cpu, device, AdamAllOptions));
        yield return new("optimizer Adam (matrix params frozen), 10 steps", (cpu, device) => CompareAdam(cpu, device, AdamMatrixFrozen));
        yield return new("optimizer SGD, 10 steps: weights", (cpu, device) => CompareWeights(cpu, device, Sgd));
        yield return new("optimizer EMA(ExponentialDecay(Adam)), 10 steps: weights + EMA weights", (cpu, device) => CompareWeights(cpu, device, EmaDecayAdam));
        yield return new("optimizer Adam state saved on the device, loaded and continued on the CPU, 5 + 5 steps",
            (cpu, device) => CompareCheckpoint(cpu, device, AdamDefault));
    }

    static Optimizer<float> Create(Backend backend, string json)
    {
        var optimizer = OptimizerFactory.Create<float>(backend, json, "parity check");
        optimizer.Allocate(ParamCount, MatrixCount);
        return optimizer;
    }

    static float[] InitialWeights() => Parity.Random(ParamCount, 31, -1f, 1f);

    /// <summary>Gradients (times the loss scale) of step s; about half of the non-matrix ones exactly zero.</summary>
    static float[] Gradients(int step)
    {
        var g = Parity.Random(ParamCount, 100 + (ulong)step, -LossScale, LossScale);
        var keep = Parity.Random(ParamCount, 200 + (ulong)step);
        for (int i = MatrixCount; i < ParamCount; i++) if (keep[i] < 0.5f) g[i] = 0f;
        return g;
    }

    /// <summary>Runs steps [first, first + count) of <paramref name="optimizer"/> on <paramref name="weights"/>.</summary>
    static void Run(Optimizer<float> optimizer, DeviceBuffer<float> weights, int first, int count)
    {
        var backend = optimizer.Backend;
        using var gradients = backend.Allocate<float>(ParamCount);
        for (int s = first; s < first + count; s++)
        {
            backend.CopyFromHost<float>(Gradients(s), gradients.All);
            optimizer.Step(LossScale, weights.All, gradients.All);
        }
        backend.Synchronize();
    }

    static ParityResult CompareAdam(Backend cpu, Backend device, string json)
    {
        using var a = (Adam<float>)Create(cpu, json);
        using var b = (Adam<float>)Create(device, json);
        using var wa = cpu.Upload<float>(InitialWeights());
        using var wb = device.Upload<float>(InitialWeights());
        Run(a, wa, 0, Steps);
        Run(b, wb, 0, Steps);
        var (ma, va, sa) = a.StateSnapshot();
        var (mb, vb, sb) = b.StateSnapshot();
        return ParityResult.Worst(
            new(Parity.RelativeError(cpu.ToArray(wa.All), device.ToArray(wb.All)), Parity.Fp32Bound, "weights"),
            new(Parity.RelativeError(ma, mb), Parity.Fp32Bound, "first moments"),
            new(Parity.RelativeError(va, vb), Parity.Fp32Bound, "second moments"),
            new(sa.AsSpan().SequenceEqual(sb) ? 0 : double.PositiveInfinity, 0, "per-parameter step counters"));
    }

    static ParityResult CompareWeights(Backend cpu, Backend device, string json)
    {
        using var a = Create(cpu, json);
        using var b = Create(device, json);
        using var wa = cpu.Upload<float>(InitialWeights());
        using var wb = device.Upload<float>(InitialWeights());
        Run(a, wa, 0, Steps);
        Run(b, wb, 0, Steps);
        var results = new List<ParityResult>
        {
            new(Parity.RelativeError(cpu.ToArray(wa.All), device.ToArray(wb.All)), Parity.Fp32Bound, "weights"),
            new(Math.Abs(a.LearningRate - b.LearningRate) / Math.Abs(a.LearningRate), Parity.Fp32Bound, "learning rate"),
        };
        if (a.InferenceWeights is { } ea)
            results.Add(b.InferenceWeights is { } eb
                ? new(Parity.RelativeError(cpu.ToArray(ea), device.ToArray(eb)), Parity.Fp32Bound, "EMA weights")
                : new(double.PositiveInfinity, Parity.Fp32Bound, "the device optimizer has no EMA weights"));
        return ParityResult.Worst([.. results]);
    }

    /// <summary>5 steps on each backend; the device state moves to a fresh CPU optimizer; both go on for 5 steps.</summary>
    static ParityResult CompareCheckpoint(Backend cpu, Backend device, string json)
    {
        using var reference = Create(cpu, json);
        using var onDevice = Create(device, json);
        using var wa = cpu.Upload<float>(InitialWeights());
        using var wb = device.Upload<float>(InitialWeights());
        Run(reference, wa, 0, 5);
        Run(onDevice, wb, 0, 5);
        var state = new MemoryStream();
        using (var writer = new BinaryWriter(state, System.Text.Encoding.UTF8, leaveOpen: true)) onDevice.SaveState(writer);
        long written = state.Length;
        state.Position = 0;
        using var moved = Create(cpu, json);
        using (var reader = new BinaryReader(state)) moved.LoadState(reader);
        using var wc = cpu.Upload<float>(device.ToArray(wb.All));
        Run(reference, wa, 5, 5);
        Run(moved, wc, 5, 5);
        var cpuState = new MemoryStream();
        using (var writer = new BinaryWriter(cpuState, System.Text.Encoding.UTF8, leaveOpen: true)) reference.SaveState(writer);
        return ParityResult.Worst(
            new(cpuState.Length == written ? 0 : double.PositiveInfinity, 0, $"state sizes: device {written} bytes, cpu {cpuState.Length}"),
            new(Parity.RelativeError(cpu.ToArray(wa.All), cpu.ToArray(wc.All)), Parity.Fp32Bound, "weights after the move"),
            new(moved.StepCount == reference.StepCount ? 0 : double.PositiveInfinity, 0, "step count after the move"));
    }
}
