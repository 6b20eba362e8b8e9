using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace NgpSharp.Bench;

/// <summary>One measured figure.</summary>
/// <param name="Key">Machine-readable name, e.g. "hashgrid_forward_backward".</param>
public sealed record BenchResult(string Task, string Key, string Description, int Batch, double SamplesPerSecond);

/// <summary>All figures of a bench run, as a table or one JSON object.</summary>
/// <param name="primaryBatch">The headline batch: its figures get the plain JSON keys (image_train_samples_per_s).</param>
public sealed class BenchReport(string device, int threads, int primaryBatch)
{
    /// <summary>A plain PyTorch 1.13 CPU implementation of the image task (MKL, 2 threads) on the 2-core
    /// development machine, as measured in the project's issue tracker; our ratio is reported against it.</summary>
    public const double PyTorchCpuImageSamplesPerSecond = 0.2e6;

    public string Device { get; } = device;
    public int Threads { get; } = threads;
    public int PrimaryBatch { get; } = primaryBatch;
    public List<BenchResult> Results { get; } = [];

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"device: {Device}, {Threads} threads");
        sb.AppendLine($"{"task",-9} {"what",-52} {"batch",8} {"samples/s",12}");
        foreach (var r in Results)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{r.Task,-9} {r.Description,-52} {r.Batch,8} {r.SamplesPerSecond / 1e6,10:F3} M"));
        if (ImageTrain(1 << 16) is { } image)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"image training step at batch 2^16: {image / PyTorchCpuImageSamplesPerSecond:F1}× the plain PyTorch CPU reference (0.2 M samples/s)"));
        return sb.ToString();
    }

    public JsonObject ToJson()
    {
        var json = new JsonObject { ["device"] = Device, ["threads"] = Threads };
        var list = new JsonArray();
        foreach (var r in Results)
        {
            list.Add(new JsonObject
            {
                ["task"] = r.Task, ["key"] = r.Key, ["description"] = r.Description, ["batch"] = r.Batch,
                ["samples_per_s"] = Math.Round(r.SamplesPerSecond),
            });
            // Flat keys: the headline batch under the plain name, others suffixed with their batch.
            string flat = r.Batch == PrimaryBatch ? $"{r.Key}_samples_per_s" : $"{r.Key}_samples_per_s_batch_{r.Batch}";
            json[flat] = Math.Round(r.SamplesPerSecond);
        }
        json["primary_batch"] = PrimaryBatch;
        json["results"] = list;
        if (ImageTrain(1 << 16) is { } image)
            json["image_train_vs_pytorch_cpu"] = Math.Round(image / PyTorchCpuImageSamplesPerSecond, 2);
        return json;
    }

    double? ImageTrain(int batch) => Results.FirstOrDefault(r => r.Key == "image_train" && r.Batch == batch)?.SamplesPerSecond;
}
