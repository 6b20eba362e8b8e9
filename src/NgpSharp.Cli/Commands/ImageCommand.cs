using System.Globalization;
using NgpSharp.Config;
using NgpSharp.Imaging;
using NgpSharp.Resources;
using NgpSharp.Systems;
using NgpSharp.Systems.Image;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp image`: tiny-cuda-nn's mlp_learning_an_image.</summary>
public static class ImageCommand
{
    public const string Usage = "ngp image [picture.png|jpg (default: the embedded demo picture)] [--steps 2000] [--batch 65536] [--config file.json] [--device auto|cpu|cuda] [--out DIR] [--seed 1337] [--snapshot-every 500] [--quiet]";

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count > 1) throw new UsageException($"ngp image takes one picture\nusage: {Usage}");
        if (cl.Positional.Count == 0)
        {
            // The picture shipped inside the library (what `ngp demo` learned before it became the NeRF/NeuS tour).
            var embedded = ReadSettings(cl, defaultSteps: 400, defaultOut: DefaultOutDir("demo.png"), defaultSnapshotEvery: 100);
            cl.RejectUnknown("image");
            if (!embedded.Quiet) Console.WriteLine("ngp image: learning the embedded demo picture (tiny-cuda-nn's mlp_learning_an_image with config_hash.json)");
            return Train(Png.Decode(EmbeddedResources.DemoPicture, "embedded demo.png"), "demo.png", embedded);
        }
        var picturePath = cl.Positional[0];
        var settings = ReadSettings(cl, defaultSteps: 2000, defaultOut: DefaultOutDir(picturePath));
        cl.RejectUnknown("image");
        var picture = ImageFile.Read(picturePath);
        return Train(picture, Path.GetFileName(picturePath), settings);
    }

    internal sealed record Settings(int Steps, int Batch, JsonConfig Config, string ConfigName, string Device, string Out,
        ulong Seed, int SnapshotEvery, bool Quiet);

    internal static Settings ReadSettings(CommandLine cl, int defaultSteps, string defaultOut, int defaultSnapshotEvery = 500)
    {
        var configPath = cl.String("config");
        var config = configPath is null ? EmbeddedResources.ImageConfig : JsonConfig.Load(configPath);
        return new Settings(
            Steps: cl.Int("steps", defaultSteps, min: 1),
            Batch: cl.Int("batch", 1 << 16, min: 1),
            Config: config,
            ConfigName: configPath ?? "config_hash.json (embedded)",
            Device: cl.String("device", "auto"),
            Out: cl.String("out") ?? defaultOut,
            Seed: cl.ULong("seed", 1337),
            SnapshotEvery: cl.Int("snapshot-every", defaultSnapshotEvery, min: 0),
            Quiet: cl.Flag("quiet"));
    }

    internal static int Train(Imaging.Image picture, string pictureName, Settings s)
    {
        var backend = DeviceSelection.Select(s.Device, s.Quiet);
        if (!s.Quiet)
            Console.WriteLine($"learning {pictureName} ({picture.Width}×{picture.Height}) with {s.ConfigName}: {s.Steps} steps × {s.Batch} samples on {backend.Description}");
        var bar = new ProgressBar(s.Quiet);
        var options = new ImageLearningOptions
        {
            Picture = picture, Config = s.Config, OutputDirectory = s.Out, Steps = s.Steps, BatchSize = s.Batch,
            Seed = s.Seed, SnapshotEvery = s.SnapshotEvery,
        };
        var result = ImageLearning.Run(backend, options, p =>
            bar.Report(p.Step, p.TotalSteps, p.TrainingTime,
                $"loss {p.Loss:E3}{(p.Psnr is { } q ? $" · PSNR {q:F2} dB" : "")} · {ProgressBar.Si(p.SamplesPerSecond)} samples/s"));
        bar.Finish();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"final PSNR {result.Psnr:F2} dB · loss {result.Loss:E3} · {ProgressBar.Si(result.SamplesPerSecond)} samples/s · {result.TrainingTime.TotalSeconds:F1} s of training · {result.ParamCount} parameters"));
        if (result.SkippedSteps > 0) Console.WriteLine($"warning: {result.SkippedSteps} steps had NaN/Inf and were skipped");
        bool snapshots = s.SnapshotEvery > 0 && s.Steps >= s.SnapshotEvery;
        string report = WriteReport(picture, pictureName, s, result, backend);
        Console.WriteLine($"wrote {result.FinalImagePath}, {result.MetricsPath}, {report}" + (snapshots ? $" and step-*.png snapshots in {s.Out}" : ""));
        return 0;
    }

    /// <summary>reference.png (the picture as learned) beside final.png, and report.html in the output folder.</summary>
    static string WriteReport(Imaging.Image picture, string pictureName, Settings s, ImageLearningResult result, Compute.Backend backend)
    {
        Png.Write(Path.Combine(s.Out, "reference.png"), picture);
        var inv = CultureInfo.InvariantCulture;
        return RunReport.Write(s.Out, new RunReportInfo
        {
            Title = $"ngp image {pictureName}",
            Device = backend.Description,
            Metrics = [("PSNR (dB)", result.Psnr.ToString("F3", inv)), ("final loss", result.Loss.ToString("G6", inv)), ("parameters", result.ParamCount.ToString(inv))],
            Timings = [("training seconds", result.TrainingTime.TotalSeconds.ToString("F2", inv)), ("steps", s.Steps.ToString(inv)),
                ("batch", s.Batch.ToString(inv)), ("samples per second", result.SamplesPerSecond.ToString("G4", inv))],
            Images = [new ReportImagePair($"{pictureName}, step {s.Steps}", "final.png", "reference.png")],
        });
    }

    static string DefaultOutDir(string picture) =>
        Path.Combine("exp", "image", $"{Path.GetFileNameWithoutExtension(picture)}@{DateTime.Now:yyyyMMdd-HHmmss}");
}
