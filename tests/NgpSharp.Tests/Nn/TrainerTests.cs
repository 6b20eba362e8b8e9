using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class TrainerTests
{
    const string Config = """
        {
          "loss": {"otype": "RelativeL2"},
          "optimizer": {"otype": "Ema", "decay": 0.9, "nested": {"otype": "Adam", "learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-15, "l2_reg": 1e-6}},
          "encoding": {"otype": "HashGrid", "n_levels": 8, "n_features_per_level": 2, "log2_hashmap_size": 12, "base_resolution": 4, "per_level_scale": 1.5},
          "network": {"otype": "FullyFusedMLP", "activation": "ReLU", "output_activation": "None", "n_neurons": 32, "n_hidden_layers": 2}
        }
        """;

    static Trainer<float> NewTrainer(ulong seed = 7) =>
        ModelFactory.CreateTrainer<float>(CpuBackend.Shared, 2, 3, JsonConfig.Parse(Config, "test"), seed);

    /// <summary>A smooth colour field over [0,1]² and a fixed stream of batches from it.</summary>
    static (DeviceBuffer<float> x, DeviceBuffer<float> y) Batch(int step, int batch = 1024)
    {
        var rng = new Rng(100 + (ulong)step);
        var x = new float[batch * 2];
        var y = new float[batch * 3];
        for (int i = 0; i < batch; i++)
        {
            float u = rng.NextFloat(), v = rng.NextFloat();
            x[2 * i] = u; x[2 * i + 1] = v;
            y[3 * i] = 0.5f + 0.4f * MathF.Sin(6 * u);
            y[3 * i + 1] = 0.5f + 0.4f * MathF.Cos(5 * v);
            y[3 * i + 2] = u * v;
        }
        return (CpuBackend.Shared.Upload<float>(x), CpuBackend.Shared.Upload<float>(y));
    }

    static TrainingStep Step(Trainer<float> t, int step)
    {
        var (x, y) = Batch(step);
        using (x) using (y) return t.Step(x.AsMatrix(1024, 2), y.AsMatrix(1024, 3));
    }

    [Fact]
    public void LossFallsByOrdersOfMagnitude()
    {
        using var t = NewTrainer();
        double first = Step(t, 0).Loss;
        double last = 0;
        for (int s = 1; s <= 300; s++) last = Step(t, s).Loss;
        Assert.True(last < first / 30, $"loss went from {first} to {last}");
        Assert.Equal(301, t.StepCount);
        Assert.Equal(0, t.SkippedSteps);
    }

    [Fact]
    public void ResumeFromCheckpointContinuesBitIdentically()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ngp-trainer-{Guid.NewGuid():N}.ckpt");
        try
        {
            using var a = NewTrainer();
            for (int s = 0; s < 20; s++) Step(a, s);
            a.SaveCheckpoint(path);
            for (int s = 20; s < 40; s++) Step(a, s);

            using var b = NewTrainer(seed: 99); // different initialisation, overwritten by the checkpoint
            b.LoadCheckpoint(path);
            Assert.Equal(20, b.StepCount);
            for (int s = 20; s < 40; s++) Step(b, s);
            Assert.Equal(a.Params.AsSpan().ToArray(), b.Params.AsSpan().ToArray());
            Assert.Equal(a.Optimizer.InferenceWeights!.Value.AsSpan().ToArray(), b.Optimizer.InferenceWeights!.Value.AsSpan().ToArray());
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void NonFiniteTargetsSkipTheUpdateAndKeepTheWeights()
    {
        using var t = NewTrainer();
        Step(t, 0);
        var before = t.Params.AsSpan().ToArray();
        var (x, y) = Batch(1);
        using (x) using (y)
        {
            y.All.AsSpan()[5] = float.NaN;
            var result = t.Step(x.AsMatrix(1024, 2), y.AsMatrix(1024, 3));
            Assert.True(result.Skipped);
        }
        Assert.Equal(before, t.Params.AsSpan().ToArray());
        Assert.Equal(1, t.SkippedSteps);
        Assert.False(Step(t, 2).Skipped);
    }

    [Fact]
    public void BadCheckpointsGiveErrorsNamingTheFile()
    {
        using var t = NewTrainer();
        var dir = Directory.CreateTempSubdirectory("ngp-ckpt").FullName;
        try
        {
            var missing = Path.Combine(dir, "missing.ckpt");
            Assert.Contains("missing.ckpt", Assert.Throws<FileNotFoundException>(() => t.LoadCheckpoint(missing)).Message);

            var garbage = Path.Combine(dir, "garbage.ckpt");
            File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
            Assert.Contains("garbage.ckpt", Assert.Throws<InvalidDataException>(() => t.LoadCheckpoint(garbage)).Message);

            var good = Path.Combine(dir, "good.ckpt");
            t.SaveCheckpoint(good);
            var bytes = File.ReadAllBytes(good);
            var truncated = Path.Combine(dir, "truncated.ckpt");
            foreach (int length in new[] { 3, 20, 40, bytes.Length / 2, bytes.Length - 1 })
            {
                File.WriteAllBytes(truncated, bytes[..length]);
                var e = Assert.Throws<InvalidDataException>(() => t.LoadCheckpoint(truncated));
                Assert.Contains("truncated.ckpt", e.Message);
            }

            var other = ModelFactory.CreateTrainer<float>(CpuBackend.Shared, 2, 3, JsonConfig.Parse(Config.Replace("\"n_neurons\": 32", "\"n_neurons\": 16"), "t"));
            using (other)
                Assert.Contains("parameters", Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(good)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BuffersAreReturnedWhenDisposed()
    {
        // A private backend, so concurrent tests on the shared one do not disturb the counts.
        var own = new CpuBackend();
        var t = ModelFactory.CreateTrainer<float>(own, 2, 3, JsonConfig.Parse(Config, "t"));
        using (var x = own.Allocate<float>(1024 * 2))
        using (var y = own.Allocate<float>(1024 * 3))
            t.Step(x.AsMatrix(1024, 2), y.AsMatrix(1024, 3));
        Assert.True(own.LiveAllocations > 0);
        t.Dispose();
        Assert.Equal(0, own.LiveAllocations);
        Assert.Equal(0, own.LiveBytes);
    }
}
