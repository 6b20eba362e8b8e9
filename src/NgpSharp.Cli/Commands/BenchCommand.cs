using System.Text.Json;
using NgpSharp.Bench;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp bench`: throughput table (or one JSON object with --json).</summary>
public static class BenchCommand
{
    public const string Usage = "ngp bench [--task image|encoding|mlp|sdf] [--batch N] [--device auto|cpu|cuda] [--json]   (default batches: 2^16 and 2^18 on the CPU, 2^18 and 2^21 on a GPU)";

    public static int Run(CommandLine cl)
    {
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
}
