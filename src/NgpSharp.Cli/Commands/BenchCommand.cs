using System.Text.Json;
using NgpSharp.Bench;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp bench`: throughput table (or one JSON object with --json).</summary>
public static class BenchCommand
{
    public const string Usage = "ngp bench [--task image|encoding|mlp] [--batch 65536] [--device auto|cpu|cuda] [--json]";

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
        int[] batches = batchOption is null ? [1 << 16, 1 << 18] : [cl.Int("batch", 1 << 16, min: 1)];
        if (!json) Console.WriteLine($"benchmarking on {backend.Description} (config_hash.json; best of 3 rounds)");
        var report = BenchRunner.Run(backend, tasks, batches, json ? null : r =>
            Console.WriteLine($"  {r.Key,-28} batch {r.Batch,7}: {r.SamplesPerSecond / 1e6,8:F3} M samples/s"));
        Console.WriteLine(json ? report.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }) : "\n" + report.ToTable());
        return 0;
    }
}
