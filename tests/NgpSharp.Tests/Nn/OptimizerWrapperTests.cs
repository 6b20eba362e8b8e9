using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Optimizers;
using Xunit;

namespace NgpSharp.Tests.Nn;

/// <summary>EMA, ExponentialDecay, checkpoints and the factory.</summary>
public class OptimizerWrapperTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    const string InstantNgpBase = """
        {"otype": "Ema", "decay": 0.95, "nested": {"otype": "ExponentialDecay", "decay_start": 20000, "decay_interval": 10000,
         "decay_base": 0.33, "nested": {"otype": "Adam", "learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-15, "l2_reg": 1e-6}}}
        """;

    const string TcnnConfigHash = """{"otype": "Adam", "learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-15, "l2_reg": 1e-6}""";

    static JsonConfig Optimizer(string json) => new(JsonConfig.Parse(json, "test").Node, "optimizer");

    [Fact]
    public void Ema_AfterKSteps_IsTheDebiasedAverage()
    {
        // Nested SGD with lr 1 and gradient 1 per step: w_k = 10 − k, so every w_k is known.
        const double d = 0.5;
        using var ema = new Ema<double>(Cpu, new Sgd<double>(Cpu) { LearningRate = 1, L2Reg = 0 }) { Decay = (float)d };
        ema.Allocate(2, 0);
        using var weights = Cpu.Upload<double>([10, 20]);
        using var gradients = Cpu.Upload<double>([1, -2]);
        Assert.Null(ema.InferenceWeights);

        ema.Step(1, weights.All, gradients.All);
        Assert.Equal([9.0, 22.0], Cpu.ToArray(ema.InferenceWeights!.Value)); // debiasing makes ema_1 = w_1

        ema.Step(1, weights.All, gradients.All);
        ema.Step(1, weights.All, gradients.All);
        // ema_3 = Σ_k d^{3−k}(1−d) w_k / (1 − d³) with w = 9, 8, 7 (first entry) and 22, 24, 26 (second).
        double norm = 1 - d * d * d;
        double e0 = (d * d * (1 - d) * 9 + d * (1 - d) * 8 + (1 - d) * 7) / norm;
        double e1 = (d * d * (1 - d) * 22 + d * (1 - d) * 24 + (1 - d) * 26) / norm;
        var average = Cpu.ToArray(ema.InferenceWeights!.Value);
        Assert.Equal(e0, average[0], 1e-12);
        Assert.Equal(e1, average[1], 1e-12);
        Assert.Equal([7.0, 26.0], Cpu.ToArray(weights.All)); // the trained weights are the nested optimizer's
        Assert.Equal(3, ema.StepCount);

        ema.LearningRate = 0.25f;
        Assert.Equal(0.25f, ((Ema<double>)ema).Nested.LearningRate);
    }

    [Fact]
    public void ExponentialDecay_LearningRate_BeforeAtAndAfterDecayPoints()
    {
        var sgd = new Sgd<double>(Cpu) { LearningRate = 1, L2Reg = 0 };
        using var decay = new ExponentialDecay<double>(Cpu, sgd) { DecayStart = 3, DecayInterval = 2, DecayBase = 0.5f, DecayEnd = 7 };
        decay.Allocate(1, 0);
        using var weights = Cpu.Allocate<double>(1);
        using var gradients = Cpu.Upload<double>([1]);
        // Rate used by step number s + 1 (s steps already taken): decays when s ∈ {3, 5, 7}; s = 9 is past decay_end.
        double[] expected = [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125];
        double w = 0;
        for (int s = 0; s < expected.Length; s++)
        {
            decay.Step(1, weights.All, gradients.All);
            w -= expected[s];
            Assert.Equal(expected[s], sgd.LearningRate);
            Assert.Equal(expected[s], decay.LearningRate);
            Assert.Equal(w, Cpu.ToArray(weights.All)[0]);
        }
        // Setting the rate mid-schedule rescales the base: the next decay still halves it.
        decay.LearningRate = 0.5f;
        decay.DecayEnd = 100;
        decay.Step(1, weights.All, gradients.All); // s = 11: (11 − 3) % 2 == 0 → × 0.5
        Assert.Equal(0.25, sgd.LearningRate);
    }

    [Fact]
    public void ExponentialDecay_InstantNgpSchedule_DecaysAfterStep20000()
    {
        using var opt = OptimizerFactory.Create<float>(Cpu, Optimizer(InstantNgpBase));
        opt.Allocate(1, 0);
        using var weights = Cpu.Allocate<float>(1);
        using var gradients = Cpu.Allocate<float>(1); // zero gradient: the one (non-matrix) weight is skipped, cheap
        var rates = new Dictionary<long, float>();
        for (int s = 0; s < 30001; s++)
        {
            opt.Step(1, weights.All, gradients.All);
            if (s is 0 or 19999 or 20000 or 29999 or 30000) rates[opt.StepCount] = opt.LearningRate;
        }
        Assert.Equal(1e-2f, rates[1]);
        Assert.Equal(1e-2f, rates[20000]);
        Assert.Equal(1e-2f * 0.33f, rates[20001]);
        Assert.Equal(1e-2f * 0.33f, rates[30000]);
        Assert.Equal(1e-2f * 0.33f * 0.33f, rates[30001], 1e-9f);
    }

    [Theory]
    [InlineData(InstantNgpBase)]
    [InlineData(TcnnConfigHash)]
    [InlineData("""{"otype": "sgd", "learning_rate": 0.1}""")]
    public void SaveState_LoadState_ContinuesBitIdentically(string json)
    {
        // Short decay schedule so that the restored run crosses decay points.
        json = json.Replace("\"decay_start\": 20000", "\"decay_start\": 3").Replace("\"decay_interval\": 10000", "\"decay_interval\": 2");
        const int n = 1000, matrixCount = 300, saveAt = 6, more = 7;
        var rng = new Rng(21);
        var grads = new float[saveAt + more][];
        for (int s = 0; s < grads.Length; s++)
        {
            grads[s] = new float[n];
            for (int i = 0; i < n; i++) grads[s][i] = rng.NextFloat() < 0.3f ? 0 : rng.NextFloat() - 0.5f;
        }
        using var a = OptimizerFactory.Create<float>(Cpu, Optimizer(json));
        a.Allocate(n, matrixCount);
        using var wa = Cpu.Upload(Enumerable.Range(0, n).Select(i => MathF.Sin(i)).ToArray());
        using var g = Cpu.Allocate<float>(n);
        var checkpoint = new MemoryStream();
        float[] savedWeights = [];
        for (int s = 0; s < grads.Length; s++)
        {
            if (s == saveAt)
            {
                using var writer = new BinaryWriter(checkpoint, System.Text.Encoding.UTF8, leaveOpen: true);
                a.SaveState(writer);
                savedWeights = Cpu.ToArray(wa.All);
            }
            Cpu.CopyFromHost<float>(grads[s], g.All);
            a.Step(1, wa.All, g.All);
        }

        using var b = OptimizerFactory.Create<float>(Cpu, Optimizer(json));
        b.Allocate(n, matrixCount);
        checkpoint.Position = 0;
        using (var reader = new BinaryReader(checkpoint)) b.LoadState(reader);
        Assert.Equal(saveAt, b.StepCount);
        using var wb = Cpu.Upload(savedWeights);
        for (int s = saveAt; s < grads.Length; s++)
        {
            Cpu.CopyFromHost<float>(grads[s], g.All);
            b.Step(1, wb.All, g.All);
        }
        Assert.Equal(a.StepCount, b.StepCount);
        Assert.Equal(a.LearningRate, b.LearningRate);
        Assert.Equal(Cpu.ToArray(wa.All), Cpu.ToArray(wb.All));
        if (a.InferenceWeights is { } ia) Assert.Equal(Cpu.ToArray(ia), Cpu.ToArray(b.InferenceWeights!.Value));
        Assert.NotEqual(savedWeights, Cpu.ToArray(wb.All));
    }

    [Fact]
    public void LoadState_RejectsOtherOptimizerOrSize()
    {
        using var adam = new Adam<float>(Cpu);
        adam.Allocate(10, 5);
        var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) adam.SaveState(writer);

        using var sgd = new Sgd<float>(Cpu);
        sgd.Allocate(10, 5);
        stream.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => sgd.LoadState(new BinaryReader(stream)));
        Assert.Contains("expected a SGD state", e.Message);

        using var bigger = new Adam<float>(Cpu);
        bigger.Allocate(11, 5);
        stream.Position = 0;
        e = Assert.Throws<InvalidDataException>(() => bigger.LoadState(new BinaryReader(stream)));
        Assert.Contains("10 parameters", e.Message);

        using var dbl = new Adam<double>(Cpu);
        dbl.Allocate(10, 5);
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => dbl.LoadState(new BinaryReader(stream)));
    }

    [Fact]
    public void Factory_LoadsInstantNgpBaseJson()
    {
        using var opt = OptimizerFactory.Create<float>(Cpu, Optimizer(InstantNgpBase));
        var ema = Assert.IsType<Ema<float>>(opt);
        Assert.Equal(0.95f, ema.Decay);
        var decay = Assert.IsType<ExponentialDecay<float>>(ema.Nested);
        Assert.Equal((20000L, 10000L, 0.33f, 10_000_000L), (decay.DecayStart, decay.DecayInterval, decay.DecayBase, decay.DecayEnd));
        var adam = Assert.IsType<Adam<float>>(decay.Nested);
        Assert.Equal((1e-2f, 0.9f, 0.99f, 1e-15f, 1e-6f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.L2Reg));
        Assert.Equal(1e-2f, opt.LearningRate);

        var h = opt.Hyperparams();
        Assert.Equal("EMA", (string)h["otype"]!);
        Assert.Equal("ExponentialDecay", (string)h["nested"]!["otype"]!);
        Assert.Equal(1e-15, (double)h["nested"]!["nested"]!["epsilon"]!);
        // Hyperparams() loads back into the same optimizer.
        using var again = OptimizerFactory.Create<float>(Cpu, new JsonConfig(h));
        Assert.Equal(h.ToJsonString(), again.Hyperparams().ToJsonString());
    }

    [Fact]
    public void Factory_LoadsTinyCudaNnConfigHash_AndAliases()
    {
        using var opt = OptimizerFactory.Create<float>(Cpu, Optimizer(TcnnConfigHash));
        var adam = Assert.IsType<Adam<float>>(opt);
        Assert.Equal((1e-2f, 0.9f, 0.99f, 1e-15f, 1e-6f), (adam.LearningRate, adam.Beta1, adam.Beta2, adam.Epsilon, adam.L2Reg));
        Assert.True(adam.OptimizeMatrixParams && adam.OptimizeNonMatrixParams);

        using var upper = OptimizerFactory.Create<double>(Cpu, Optimizer("""{"otype": "EMA", "nested": {"otype": "sgd"}}"""));
        Assert.IsType<Sgd<double>>(Assert.IsType<Ema<double>>(upper).Nested);
        using var lower = OptimizerFactory.Create<double>(Cpu, Optimizer("""{"otype": "exponentialdecay", "nested": {"otype": "ADAM"}}"""));
        Assert.IsType<ExponentialDecay<double>>(lower);
        using var noOtype = OptimizerFactory.Create<double>(Cpu, Optimizer("""{"learning_rate": 0.5}""")); // tcnn's default: Adam
        Assert.Equal(0.5f, Assert.IsType<Adam<double>>(noOtype).LearningRate);
    }

    [Theory]
    [InlineData("""{"otype": "Lion"}""", "optimizer.otype", "Adam, SGD, EMA, ExponentialDecay")]
    [InlineData("""{"otype": "Ema", "decay": 0.95}""", "optimizer.nested", "missing")]
    [InlineData("""{"otype": "Ema", "nested": {"otype": "ExponentialDecay"}}""", "optimizer.nested.nested", "missing")]
    [InlineData("""{"otype": "Ema", "nested": {"otype": "Adamw"}}""", "optimizer.nested.otype", "Adamw")]
    [InlineData("""{"otype": "ExponentialDecay", "decay_interval": 0, "nested": {}}""", "optimizer.decay_interval", "[1, ")]
    [InlineData("""{"otype": "Adam", "beta2": 1.5}""", "optimizer.beta2", "[0, 1)")]
    [InlineData("""{"otype": "Adam", "learning_rate": "fast"}""", "optimizer.learning_rate", "a number")]
    [InlineData("""{"otype": "Ema", "nested": 3}""", "optimizer.nested", "an object")]
    public void Factory_BadConfig_NamesTheKey(string json, string key, string problem)
    {
        var e = Assert.Throws<ConfigException>(() => OptimizerFactory.Create<float>(Cpu, Optimizer(json)));
        Assert.StartsWith(key + ":", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void Optimizers_FreeTheirBuffers()
    {
        long before = Cpu.LiveAllocations;
        using (var opt = OptimizerFactory.Create<float>(Cpu, Optimizer(InstantNgpBase)))
        {
            opt.Allocate(100, 50);
            opt.Allocate(200, 50); // re-sizing frees the old state
            Assert.True(Cpu.LiveAllocations > before);
        }
        Assert.Equal(before, Cpu.LiveAllocations);
    }
}
