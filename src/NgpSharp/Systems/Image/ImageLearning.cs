using System.Diagnostics;
using System.Globalization;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Imaging;
using NgpSharp.Nn;

namespace NgpSharp.Systems.Image;

/// <summary>Settings of one image-learning run (tiny-cuda-nn's mlp_learning_an_image).</summary>
public sealed record ImageLearningOptions
{
    /// <summary>The picture to learn.</summary>
    public required Imaging.Image Picture { get; init; }
    /// <summary>tiny-cuda-nn config with "loss", "optimizer", "encoding", "network" (config_hash.json by default).</summary>
    public required JsonConfig Config { get; init; }
    /// <summary>Run folder for snapshots, final.png and metrics.csv.</summary>
    public required string OutputDirectory { get; init; }
    public int Steps { get; init; } = 2000;
    public int BatchSize { get; init; } = 1 << 16;
    public ulong Seed { get; init; } = 1337;
    /// <summary>Write step-NNNNN.png every this many steps (0: never).</summary>
    public int SnapshotEvery { get; init; } = 500;
    /// <summary>Render the whole picture and log its PSNR every this many steps (0: only at the end).</summary>
    public int EvaluateEvery { get; init; } = 250;
    /// <summary>Write a metrics.csv row every this many steps.</summary>
    public int LogEvery { get; init; } = 10;
}

/// <summary>Where a run stands, reported after each logged step.</summary>
public readonly record struct ImageLearningProgress(int Step, int TotalSteps, double Loss, double? Psnr, double SamplesPerSecond, TimeSpan TrainingTime);

/// <summary>What a finished run measured.</summary>
public sealed record ImageLearningResult(double Psnr, double Loss, double SamplesPerSecond, TimeSpan TrainingTime,
    long ParamCount, string FinalImagePath, string MetricsPath, long SkippedSteps);

/// <summary>
/// Learns a 2-D picture: each step draws random points in [0,1]², looks up their colours bilinearly and trains
/// the network (HashGrid → MLP by default) towards them; the whole picture is rendered at its own resolution.
/// </summary>
public static class ImageLearning
{
    public static ImageLearningResult Run(Backend backend, ImageLearningOptions options,
        Action<ImageLearningProgress>? progress = null, CancellationToken cancel = default)
    {
        if (options.Steps < 1) throw new ArgumentOutOfRangeException(nameof(options), options.Steps, "steps must be ≥ 1");
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "batch size must be ≥ 1");
        Directory.CreateDirectory(options.OutputDirectory);
        using var session = new ImageTrainer(backend, options.Picture, options.Config, options.BatchSize, options.Seed);
        int batch = session.BatchSize;
        var metricsPath = Path.Combine(options.OutputDirectory, "metrics.csv");
        using var metrics = new StreamWriter(metricsPath) { AutoFlush = false };
        metrics.WriteLine("step,loss,psnr,samples_per_s");

        var clock = new Stopwatch();
        double lossSum = 0, lastLoss = double.NaN, lastPsnr = double.NaN;
        int lossCount = 0;
        for (int step = 1; step <= options.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            clock.Start();
            var result = session.Step();
            clock.Stop();
            if (!result.Skipped) { lossSum += result.Loss; lossCount++; }

            bool last = step == options.Steps;
            bool evaluate = last || (options.EvaluateEvery > 0 && step % options.EvaluateEvery == 0);
            bool snapshot = options.SnapshotEvery > 0 && step % options.SnapshotEvery == 0;
            double? psnr = null;
            if (evaluate || snapshot)
            {
                var rendered = session.Render();
                if (snapshot) Png.Write(Path.Combine(options.OutputDirectory, $"step-{step:D5}.png"), rendered);
                if (evaluate) psnr = lastPsnr = session.Psnr(rendered);
                if (last) Png.Write(Path.Combine(options.OutputDirectory, "final.png"), rendered);
            }
            if (last || step % options.LogEvery == 0 || psnr is not null)
            {
                lastLoss = lossCount > 0 ? lossSum / lossCount : double.NaN;
                lossSum = 0; lossCount = 0;
                double rate = (double)step * batch / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                metrics.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{step},{lastLoss:G6},{(psnr is { } p ? p.ToString("F3", CultureInfo.InvariantCulture) : "")},{rate:F0}"));
                progress?.Invoke(new ImageLearningProgress(step, options.Steps, lastLoss, psnr, rate, clock.Elapsed));
            }
        }
        metrics.Flush();
        double samplesPerSecond = (double)options.Steps * batch / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
        return new ImageLearningResult(lastPsnr, lastLoss, samplesPerSecond, clock.Elapsed, session.Trainer.Model.ParamCount,
            Path.Combine(options.OutputDirectory, "final.png"), metricsPath, session.Trainer.SkippedSteps);
    }

}
