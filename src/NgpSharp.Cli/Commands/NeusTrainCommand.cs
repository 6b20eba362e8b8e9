using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp train` for NeuS configs (instant-nsr-pl's neus-system): same run folder, progress, checkpoints and resume as NeRF.</summary>
public static class NeusTrainCommand
{
    /// <summary>metrics.csv columns, averages over the steps since the previous row.</summary>
    public static readonly IReadOnlyList<string> MetricsColumns = ["step", "loss", "lr", "psnr", "eikonal", "inv_s", "rays", "samples", "samples_per_s", "skipped"];

    public static int Run(ConfigMapping config, string device, string? outDir, string? resume, bool quiet)
    {
        var settings = ConfigBinder.Bind<NeusSettings>(config);
        var backend = TrainCommand.SelectBackend(device, quiet);
        var data = NerfData.Load(settings.Dataset, settings.Dataset.Split);
        var run = outDir is not null ? RunDirectory.CreateAt(outDir) : RunDirectory.Create("exp", settings.Name, settings.Tag);
        run.WriteParsedConfig(settings);
        using var trainer = new NeusTrainer(settings, data, backend);
        trainer.MarkUnseenCells();
        if (resume is not null) trainer.Resume(resume);
        trainer.NanGuard.Log = Console.Error.WriteLine;
        trainer.Log = Console.Error.WriteLine; // out-of-memory retries
        var t = settings.Trainer;
        if (!quiet)
            Console.WriteLine(FormattableString.Invariant(
                $"training NeuS on {data.Source} ({data.Count} {data.Split} views, {data.Width}×{data.Height}{(data.HasAlpha ? ", masks" : "")}) → {run.Root}: {trainer.Params.Length} parameters, up to {t.MaxSteps} steps{(t.MaxSeconds is { } ms ? $" or {ms} s" : "")}{(resume is not null ? $", resuming at step {trainer.StepCount}" : "")}"));

        using var metrics = run.OpenMetrics(MetricsColumns, resume is not null ? trainer.StepCount : null);
        var bar = new ProgressBar(quiet);
        var clock = Stopwatch.StartNew();
        var window = new Window();
        NeusStep last = default;
        long startStep = trainer.StepCount;
        while (trainer.StepCount < t.MaxSteps && !(t.MaxSeconds is { } limit && clock.Elapsed.TotalSeconds >= limit))
        {
            var before = clock.Elapsed;
            last = trainer.Step();
            window.Add(last, (clock.Elapsed - before).TotalSeconds);
            long step = trainer.StepCount;
            if (step % t.LogEvery == 0 || step == t.MaxSteps) { window.WriteTo(metrics, step, trainer.Optimizer.LearningRate, trainer.SkippedSteps); window = new Window(); }
            if (t.CheckpointEvery > 0 && step % t.CheckpointEvery == 0) Checkpoint(trainer, run, t.KeepCheckpoints);
            bar.Report(step, t.MaxSteps, clock.Elapsed * ((double)step / Math.Max(1, step - startStep)), string.Create(CultureInfo.InvariantCulture,
                $"loss {last.Loss:F4} · PSNR {last.Psnr:F2} dB · eikonal {last.Eikonal:F4} · inv_s {last.InvS:F1} · {last.Rays} rays · {ProgressBar.Si(last.Samples)} samples{TrainCommand.SkippedNote(trainer.SkippedSteps)}"), remaining: t.MaxSeconds is { } cap ? TimeSpan.FromSeconds(cap) - clock.Elapsed : null);
        }
        bar.Finish();
        if (window.Count > 0) window.WriteTo(metrics, trainer.StepCount, trainer.Optimizer.LearningRate, trainer.SkippedSteps);
        string ckpt = Checkpoint(trainer, run, t.KeepCheckpoints);
        double seconds = clock.Elapsed.TotalSeconds;
        long steps = trainer.StepCount - startStep;
        var json = TrainCommand.ReadMetricsJson(run);
        json["train"] = new JsonObject
        {
            ["step"] = trainer.StepCount, ["steps"] = steps, ["seconds"] = Math.Round(seconds, 3),
            ["seconds_per_step"] = steps > 0 ? Math.Round(seconds / steps, 5) : 0, ["device"] = backend.Description,
            ["inv_s"] = Math.Round(last.InvS, 3), ["skipped_steps"] = trainer.SkippedSteps,
        };
        AtomicFile.WriteAllText(run.MetricsJsonPath, json.ToJsonString(new() { WriteIndented = true }) + "\n");
        string report = RunReport.Write(run.Root);
        if (!quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{steps} steps in {seconds:F1} s ({(steps > 0 ? seconds / steps : 0):F3} s/step) · last loss {last.Loss:F4}, batch PSNR {last.Psnr:F2} dB, inv_s {last.InvS:F1}"));
            if (trainer.SkippedSteps > 0) Console.WriteLine($"warning: {trainer.SkippedSteps} steps had NaN/Inf and were skipped ({trainer.NanGuard.Restores} restores of the last good state this session)");
            Console.WriteLine($"wrote {run.ParsedConfigPath}, {run.MetricsCsvPath}, {ckpt}, {report}");
            Console.WriteLine($"next: ngp test --run {run.Root} · ngp mesh --run {run.Root}");
        }
        return 0;
    }

    static string Checkpoint(NeusTrainer trainer, RunDirectory run, int keep)
    {
        string path = run.CheckpointPath(trainer.StepCount);
        trainer.SaveCheckpoint(path);
        if (keep > 0) run.KeepLastCheckpoints(keep);
        return path;
    }

    /// <summary>Averages of the steps since the last metrics row.</summary>
    sealed class Window
    {
        double _loss, _psnr, _eik, _invS, _rays, _samples, _seconds;
        public int Count { get; private set; }
        public void Add(NeusStep s, double seconds)
        {
            _loss += s.Loss; _psnr += s.Psnr; _eik += s.Eikonal; _invS += s.InvS; _rays += s.Rays; _samples += s.Samples; _seconds += seconds;
            Count++;
        }
        public void WriteTo(MetricsLog log, long step, double lr, long skipped)
        {
            double n = Math.Max(1, Count);
            log.Append(step, _loss / n, lr, _psnr / n, _eik / n, _invS / n, _rays / n, _samples / n, _seconds > 0 ? _samples / _seconds : 0, skipped);
            log.Flush();
        }
    }
}
