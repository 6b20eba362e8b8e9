using System.Globalization;
using NgpSharp.Rendering.Raytracing;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp render-dataset`: a nerf_synthetic-style (and/or NeuS/DTU) dataset from an OBJ model, ray traced on the CPU.</summary>
public static class RenderDatasetCommand
{
    public const string Usage = "ngp render-dataset <model.obj> --out DIR [--res 400] [--train 100] [--val 10] [--test 30] " +
        "[--format nerf|dtu|both] [--seed S] [--spp 4] [--radius 1.2] [--up y|z] [--cameras transforms.json] " +
        "[--no-depth] [--no-shadows] [--allow-missing] [--quiet]";

    /// <summary>Flags (options without a value) this command reads.</summary>
    public static readonly string[] Flags = ["no-depth", "no-shadows", "allow-missing"];

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 1) throw new UsageException($"ngp render-dataset takes one OBJ model\nusage: {Usage}");
        string model = cl.Positional[0];
        string output = cl.String("out") ?? throw new UsageException($"ngp render-dataset needs --out DIR\nusage: {Usage}");
        var options = new RenderDatasetOptions
        {
            Resolution = cl.Int("res", 400, min: 1),
            Train = cl.Int("train", 100, min: 0),
            Val = cl.Int("val", 10, min: 0),
            Test = cl.Int("test", 30, min: 0),
            Format = cl.String("format", "nerf") switch
            {
                "nerf" => DatasetFormat.Nerf,
                "dtu" => DatasetFormat.Dtu,
                "both" => DatasetFormat.Both,
                var f => throw new UsageException($"--format: expected nerf, dtu or both, got \"{f}\""),
            },
            Seed = cl.ULong("seed", 0),
            SamplesPerPixel = cl.Int("spp", 4, min: 1),
            ObjectRadius = Float(cl, "radius", 1.2f),
            Up = cl.String("up", "y").ToLowerInvariant() switch
            {
                "y" => UpAxis.Y,
                "z" => UpAxis.Z,
                var u => throw new UsageException($"--up: expected y or z, got \"{u}\""),
            },
            CamerasFile = cl.String("cameras"),
            Depth = !cl.Flag("no-depth"),
            Shadows = !cl.Flag("no-shadows"),
            AllowMissing = cl.Flag("allow-missing"),
        };
        bool quiet = cl.Flag("quiet");
        cl.RejectUnknown("render-dataset");
        try { options.Validate(); }
        catch (ArgumentException e) { throw new UsageException($"ngp render-dataset: {e.Message}"); }

        var bar = new ProgressBar(quiet);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = SyntheticDataset.Render(model, output, options,
            (done, total) => bar.Report(done, total, clock.Elapsed, "views"));
        bar.Finish();
        foreach (var warning in result.Warnings) Console.Error.WriteLine($"ngp: warning: {warning}");
        if (!quiet)
        {
            var n = result.Normalization;
            double seconds = result.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {output}: {result.Views} views ({string.Join(", ", result.Splits)}) of {result.Triangles} triangles at {options.Resolution}×{options.Resolution}, {options.SamplesPerPixel} spp, " +
                $"{seconds:F2} s ({ProgressBar.Si(result.PrimaryRays / Math.Max(seconds, 1e-9))} primary rays/s)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"model → world: centre ({n.Centre.X:G6}, {n.Centre.Y:G6}, {n.Centre.Z:G6}), scale {n.Scale:G6}, {n.Up}-up → Z-up (world_from_model in the transforms files)"));
        }
        return 0;
    }

    static float Float(CommandLine cl, string name, float defaultValue)
    {
        var s = cl.String(name);
        if (s is null) return defaultValue;
        return float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && v > 0 && float.IsFinite(v)
            ? v : throw new UsageException($"--{name}: expected a positive number, got \"{s}\"");
    }
}
