using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp train`: a NeRF run (instant-ngp's algorithm) or a NeuS run (NeusTrainCommand) from a YAML config with dotted overrides.</summary>
public static class TrainCommand
{
    public const string Usage = "ngp train --config configs/nerf-blender.yaml|neus-dtu.yaml [dotted.key=value ...] [--device auto|cpu|cuda|cuda-emulator] [--out RUN_DIR] [--resume [CKPT|latest]] [--quiet]";

    /// <summary>
    /// metrics.csv columns, averages over the steps since the previous row: samples = marched samples per step,
    /// trained_samples = those composited before early termination (the network's training batch with compaction),
    /// samples_per_s = marched samples per second of step time, skipped = steps skipped for NaN/Inf so far (the run's total).
    /// </summary>
    public static readonly IReadOnlyList<string> MetricsColumns = ["step", "loss", "lr", "psnr", "samples_per_s", "rays", "samples", "trained_samples", "skipped"];

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 0) throw new UsageException($"ngp train takes no positional arguments (got \"{cl.Positional[0]}\"); overrides look like key=value\nusage: {Usage}");
        string configPath = cl.String("config") ?? throw new UsageException($"ngp train needs --config\nusage: {Usage}");
        string device = cl.String("device", "auto");
        string? outDir = cl.String("out"), resume = cl.String("resume");
        bool quiet = cl.Flag("quiet");
        cl.RejectUnknown("train");
        if (!File.Exists(configPath)) throw new FileNotFoundException($"--config: {configPath} not found", configPath);
        resume = ResolveResume(resume, outDir);
        var tree = YamlConfig.LoadTree(configPath, cl.Overrides);
        return Train(tree, device, outDir, resume, quiet);
    }

    /// <summary>
    /// Trains the run a loaded config describes (NeRF here, NeuS in <see cref="NeusTrainCommand"/>), as `ngp train`
    /// does: run folder at <paramref name="outDir"/> (null: exp/name@time), metrics, checkpoints, timings, report.
    /// </summary>
    public static int Train(ConfigMapping tree, string device, string? outDir, string? resume, bool quiet)
    {
        if (SystemKinds.Of(tree) == SystemKind.Neus) return NeusTrainCommand.Run(tree, device, outDir, resume, quiet);
        var settings = ConfigBinder.Bind<NerfSettings>(tree);
        var backend = SelectBackend(device, quiet);

        var data = NerfData.Load(settings.Dataset, settings.Dataset.Split);
        var run = outDir is not null ? RunDirectory.CreateAt(outDir) : RunDirectory.Create("exp", settings.Name, settings.Tag);
        run.WriteParsedConfig(settings);
        using var trainer = new NerfTrainer(settings, data, backend);
        trainer.MarkUnseenCells();
        if (resume is not null) trainer.Resume(resume);
        trainer.Log = Console.Error.WriteLine; // NaN restores, out-of-memory retries
        var t = settings.Trainer;
        if (!quiet)
            Console.WriteLine(FormattableString.Invariant(
                $"training {data.Source} ({data.Count} {data.Split} views, {data.Width}×{data.Height}) → {run.Root}: {trainer.Network.ParamCount} parameters, grid {trainer.Grid.Cascades}×{trainer.Grid.Resolution}³, ~{t.TargetSamplesPerStep} samples/step, up to {t.MaxSteps} steps{(t.MaxSeconds is { } ms ? $" or {ms} s" : "")}{(resume is not null ? $", resuming at step {trainer.StepCount}" : "")}"));

        using var metrics = run.OpenMetrics(MetricsColumns, resume is not null ? trainer.StepCount : null);
        var bar = new ProgressBar(quiet);
        var clock = Stopwatch.StartNew();
        var window = new Window();
        var total = new Window();
        NerfStep last = default;
        long startStep = trainer.StepCount;
        while (trainer.StepCount < t.MaxSteps && !(t.MaxSeconds is { } limit && clock.Elapsed.TotalSeconds >= limit))
        {
            var before = clock.Elapsed;
            last = trainer.Step();
            window.Add(last, (clock.Elapsed - before).TotalSeconds);
            window.Add(trainer.LastTimings);
            total.Add(trainer.LastTimings);
            long step = trainer.StepCount;
            if (step % t.LogEvery == 0 || step == t.MaxSteps)
            {
                metrics.Append(step, window.Loss, trainer.Optimizer.LearningRate, window.Psnr, window.SamplesPerSecond, window.Rays, window.Samples, window.Trained, trainer.SkippedSteps);
                metrics.Flush();
                window = new Window();
            }
            if (t.CheckpointEvery > 0 && step % t.CheckpointEvery == 0) Checkpoint(trainer, run, t.KeepCheckpoints);
            double samplesPerSecond = window.Count > 0 ? window.SamplesPerSecond : 0;
            bar.Report(step, t.MaxSteps, clock.Elapsed * ((double)(step) / Math.Max(1, step - startStep)), string.Create(CultureInfo.InvariantCulture,
                $"loss {last.Loss:E3} · PSNR {last.Psnr:F2} dB · {last.Rays} rays · {ProgressBar.Si(last.Samples)} samples ({ProgressBar.Si(last.UsedSamples)} trained) · {ProgressBar.Si(samplesPerSecond)} samples/s{SkippedNote(trainer.SkippedSteps)}"), remaining: t.MaxSeconds is { } cap ? TimeSpan.FromSeconds(cap) - clock.Elapsed : null);
        }
        bar.Finish();
        if (window.Count > 0)
            metrics.Append(trainer.StepCount, window.Loss, trainer.Optimizer.LearningRate, window.Psnr, window.SamplesPerSecond, window.Rays, window.Samples, window.Trained, trainer.SkippedSteps);
        string ckpt = Checkpoint(trainer, run, t.KeepCheckpoints);
        double seconds = clock.Elapsed.TotalSeconds;
        long steps = trainer.StepCount - startStep;
        WriteTrainTimings(run, backend, trainer.StepCount, steps, trainer.SkippedSteps, seconds, total.Timings);
        string report = RunReport.Write(run.Root);
        if (!quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{steps} steps in {seconds:F1} s ({(steps > 0 ? seconds / steps : 0):F3} s/step) · last loss {last.Loss:E3}, batch PSNR {last.Psnr:F2} dB"));
            var p = total.Timings;
            if (steps > 0)
                Console.WriteLine(FormattableString.Invariant(
                    $"time per step: grid {p.Grid / steps * 1e3:F1} ms · rays {p.Rays / steps * 1e3:F1} · march {p.March / steps * 1e3:F1} · forward {p.Forward / steps * 1e3:F1} · render+loss {p.Render / steps * 1e3:F1} · backward {p.Backward / steps * 1e3:F1} · optimizer {p.Optimizer / steps * 1e3:F1}"));
            if (trainer.SkippedSteps > 0) Console.WriteLine($"warning: {trainer.SkippedSteps} steps had NaN/Inf and were skipped ({trainer.NanGuard.Restores} restores of the last good state this session)");
            Console.WriteLine($"wrote {run.ParsedConfigPath}, {run.MetricsCsvPath}, {ckpt}, {report}");
            Console.WriteLine($"next: ngp test --run {run.Root}");
        }
        return 0;
    }

    /// <summary>
    /// Records this training session's timings under "train" in metrics.json (other keys, e.g. an earlier test's
    /// metrics, are kept) so that the report shows them after `ngp test` rewrites the page.
    /// </summary>
    static void WriteTrainTimings(RunDirectory run, Backend backend, long step, long steps, long skipped, double seconds, NerfStepTimings p)
    {
        var json = ReadMetricsJson(run);
        double perStep = steps > 0 ? 1e3 / steps : 0;
        json["train"] = new JsonObject
        {
            ["step"] = step, ["steps"] = steps, ["seconds"] = Math.Round(seconds, 3), ["skipped_steps"] = skipped,
            ["seconds_per_step"] = steps > 0 ? Math.Round(seconds / steps, 5) : 0, ["device"] = backend.Description,
            ["grid_ms_per_step"] = Math.Round(p.Grid * perStep, 3), ["march_ms_per_step"] = Math.Round(p.March * perStep, 3),
            ["forward_ms_per_step"] = Math.Round(p.Forward * perStep, 3), ["backward_ms_per_step"] = Math.Round(p.Backward * perStep, 3),
        };
        AtomicFile.WriteAllText(run.MetricsJsonPath, json.ToJsonString(new() { WriteIndented = true }) + "\n");
    }

    /// <summary>metrics.json as an object, or an empty one when it is missing or not a JSON object.</summary>
    internal static JsonObject ReadMetricsJson(RunDirectory run)
    {
        try { return File.Exists(run.MetricsJsonPath) && JsonNode.Parse(File.ReadAllText(run.MetricsJsonPath)) is JsonObject o ? o : new JsonObject(); }
        catch (System.Text.Json.JsonException) { return new JsonObject(); }
    }

    static string Checkpoint(NerfTrainer trainer, RunDirectory run, int keep)
    {
        string path = run.CheckpointPath(trainer.StepCount);
        trainer.SaveCheckpoint(path);
        if (keep > 0) run.KeepLastCheckpoints(keep);
        return path;
    }

    /// <summary>" · N skipped (NaN/Inf)" for the progress line, or "".</summary>
    internal static string SkippedNote(long skipped) => skipped > 0 ? $" · {skipped} skipped (NaN/Inf)" : "";

    /// <summary>
    /// --resume CKPT: that file; --resume alone or --resume latest: the newest checkpoint of --out RUN (a run that was
    /// stopped or killed continues from there); null when not resuming.
    /// </summary>
    internal static string? ResolveResume(string? resume, string? outDir)
    {
        if (resume is null) return null;
        if (resume is "" or "latest")
        {
            if (outDir is null) throw new UsageException($"--resume without a checkpoint path continues the run in --out RUN_DIR; give --out (or --resume PATH.ckpt)\nusage: {Usage}");
            return RunDirectory.Open(outDir).LatestCheckpoint() ?? throw new FileNotFoundException($"--resume: {Path.Combine(outDir, "ckpt")} holds no step-*.ckpt checkpoint to continue from (drop --resume to start the run)");
        }
        if (!File.Exists(resume)) throw new FileNotFoundException($"--resume: {resume} not found", resume);
        return resume;
    }

    /// <summary>--device auto|cpu|cuda|cuda-emulator (NeRF training and rendering run on the CPU or CUDA backend).</summary>
    internal static Backend SelectBackend(string device, bool quiet) => DeviceSelection.Select(device, quiet);

    /// <summary>Averages of the steps since the last metrics row.</summary>
    sealed class Window
    {
        double _loss, _psnr, _seconds, _rays, _samples, _trained;
        NerfStepTimings _t;
        public int Count { get; private set; }
        public void Add(NerfStep s, double seconds)
        {
            _loss += s.Loss; _psnr += s.Psnr; _seconds += seconds; _rays += s.Rays; _samples += s.Samples; _trained += s.UsedSamples;
            Count++;
        }
        public void Add(NerfStepTimings t) => _t = new(_t.Grid + t.Grid, _t.Rays + t.Rays, _t.March + t.March, _t.Forward + t.Forward,
            _t.Render + t.Render, _t.Backward + t.Backward, _t.Optimizer + t.Optimizer);
        public NerfStepTimings Timings => _t;
        public double Loss => _loss / Math.Max(1, Count);
        public double Psnr => _psnr / Math.Max(1, Count);
        public double Rays => _rays / Math.Max(1, Count);
        public double Samples => _samples / Math.Max(1, Count);
        public double Trained => _trained / Math.Max(1, Count);
        public double SamplesPerSecond => _seconds > 0 ? _samples / _seconds : 0;
    }
}
