using System.Text.Json;
using NgpSharp.Bench;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp bench`: throughput table (or one JSON object with --json).</summary>
public static class BenchCommand
{
    public const string Usage = "ngp bench [--task image|encoding|mlp|mesh|sdf] [--batch N] [--device auto|cpu|cuda] [--json]   (default batches: 2^16 and 2^18 on the CPU, 2^18 and 2^21 on a GPU)\n"
        + "       ngp bench --nerf [--steps N] [--warmup N] [--samples N] [--device ...]   NeRF training step (bunny 400×400 from shared/data, else synthetic)";

    public static int Run(CommandLine cl)
    {
        if (cl.Flag("nerf")) return RunNerf(cl);
        var task = cl.String("task");
        bool json = cl.Flag("json");
        var batchOption = cl.String("batch");
        var backend = DeviceSelection.Select(cl.String("device", "auto"), quiet: json);
        cl.RejectUnknown("bench");
        var tasks = task is null ? BenchRunner.AllTasks : [task];
        if (task is not null && !BenchRunner.AllTasks.Contains(task))
            throw new UsageException($"--task: expected one of {string.Join(", ", BenchRunner.AllTasks)}, got \"{task}\"");
        // The GPU needs larger batches to fill it (tiny-cuda-nn's benchmarks use 2^18–2^21).
        int[] defaultBatches = backend.Kind == NgpSharp.Compute.BackendKind.Cpu ? [1 << 16, 1 << 18] : [1 << 18, 1 << 21];
        int[] batches = batchOption is null ? defaultBatches : [cl.Int("batch", 1 << 16, min: 1)];
        if (!json) Console.WriteLine($"benchmarking on {backend.Description} (config_hash.json; best of 3 rounds)");
        var report = BenchRunner.Run(backend, tasks, batches, json ? null : r =>
            Console.WriteLine($"  {r.Key,-28} batch {r.Batch,7}: {r.SamplesPerSecond / 1e6,8:F3} M samples/s"));
        Console.WriteLine(json ? report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) : "\n" + report.ToTable());
        return 0;
    }

    /// <summary>`ngp bench --nerf`: ms per step, rays/s and samples/s of NeRF training (defaults: 2^18 samples a step, as instant-ngp, on a GPU; 2^15 on the CPU).</summary>
    static int RunNerf(CommandLine cl)
    {
        var backend = DeviceSelection.Select(cl.String("device", "auto"), quiet: false);
        bool gpu = backend.Kind != NgpSharp.Compute.BackendKind.Cpu;
        int steps = cl.Int("steps", gpu ? 200 : 5, min: 1);
        int warmup = cl.Int("warmup", gpu ? 100 : 3, min: 0);
        int samples = cl.Int("samples", gpu ? 1 << 18 : 1 << 15, min: 256);
        cl.RejectUnknown("bench");
        Console.WriteLine($"NeRF training benchmark on {backend.Description}: {warmup} warm-up steps, {steps} timed, {samples} target samples a step");
        var r = NerfBench.Run(backend, warmup, steps, samples);
        Console.WriteLine(FormattableString.Invariant($"  scene: {r.Scene}"));
        Console.WriteLine(FormattableString.Invariant($"  {r.MsPerStep:F2} ms/step, {r.RaysPerSecond:F0} rays/s, {r.SamplesPerSecond / 1e6:F4} M marched samples/s, {r.TrainedSamplesPerSecond / 1e6:F4} M trained samples/s"));
        return 0;
    }
}
