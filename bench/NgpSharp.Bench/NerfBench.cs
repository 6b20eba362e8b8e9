using System.Diagnostics;
using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Geometry;
using NgpSharp.Systems.Nerf;

namespace NgpSharp.Bench;

/// <summary>
/// A whole NeRF training step (grid update when due, rays, march, inference + compaction, forward, render, loss,
/// backward, optimizer) with configs/nerf-blender.yaml: the bunny at 400×400 when shared/data is found above the
/// working or program directory, else a synthetic scene (24 views of a textured disc, 400×400). Reports rays/s,
/// marched and trained samples/s and ms per step, after warm-up steps (which also fill the occupancy grid).
/// </summary>
public static class NerfBench
{
    /// <summary>What one NeRF benchmark measured.</summary>
    public sealed record Result(string Scene, int Steps, double MsPerStep, double RaysPerSecond, double SamplesPerSecond, double TrainedSamplesPerSecond);

    public static Result Run(Backend backend, int warmupSteps, int timedSteps, int targetSamples)
    {
        string config = FindUp(Path.Combine("configs", "nerf-blender.yaml"))
            ?? throw new FileNotFoundException("nerf bench: configs/nerf-blender.yaml not found above the working or program directory");
        string? bunny = FindUp(Path.Combine("shared", "data", "bunny", "nerf")) ?? FindUp(Path.Combine("..", "shared", "data", "bunny", "nerf"));
        var overrides = new List<string>
        {
            "trainer.initial_rays=4096", $"trainer.target_samples_per_step={targetSamples}", "trainer.max_rays=1048576",
        };
        NerfDataset dataset;
        string scene;
        if (bunny is not null)
        {
            overrides.Add($"dataset.root={bunny}");
            overrides.Add("dataset.downscale=1"); // the shared bunny is 400×400
        }
        var settings = YamlConfig.Load<NerfSettings>(config, overrides);
        if (bunny is not null)
        {
            dataset = NerfData.Load(settings.Dataset, settings.Dataset.Split);
            scene = $"bunny {dataset.Frames[0].Width}×{dataset.Frames[0].Height}, {dataset.Count} views";
        }
        else
        {
            dataset = SyntheticScene(24, 400);
            scene = "synthetic disc 400×400, 24 views (no shared/data found)";
        }
        using var trainer = new NerfTrainer(settings, dataset, backend);
        trainer.MarkUnseenCells();
        for (int i = 0; i < warmupSteps; i++) trainer.Step();
        backend.Synchronize();
        long rays = 0, samples = 0, trained = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < timedSteps; i++)
        {
            var s = trainer.Step();
            rays += s.Rays; samples += s.Samples; trained += s.UsedSamples;
        }
        backend.Synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        return new Result(scene, timedSteps, 1e3 * seconds / timedSteps, rays / seconds, samples / seconds, trained / seconds);
    }

    static string? FindUp(string relative)
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                string c = Path.GetFullPath(Path.Combine(d.FullName, relative));
                if (File.Exists(c) || Directory.Exists(c)) return c;
            }
        }
        return null;
    }

    /// <summary>Views on a circle (radius 4, looking at the origin) of a disc of radius 0.8 at z = 0 with a colour ramp; transparent around it.</summary>
    static NerfDataset SyntheticScene(int views, int size)
    {
        var frames = new List<NerfFrame>();
        for (int f = 0; f < views; f++)
        {
            float angle = 2 * MathF.PI * f / views;
            var position = new Vector3(4f * MathF.Sin(angle), 1.2f, 4f * MathF.Cos(angle));
            var z = Vector3.Normalize(position);
            var x = Vector3.Normalize(Vector3.Cross(Vector3.UnitY, z));
            var y = Vector3.Cross(z, x);
            var camera = new Camera(size, size, 1.1f * size, 1.1f * size, 0.5f * size, 0.5f * size, x, y, z, position);
            var image = new Imaging.Image(size, size, 4);
            for (int py = 0; py < size; py++)
            for (int px = 0; px < size; px++)
            {
                var (o, d) = camera.Ray(px + 0.5f, py + 0.5f);
                long i = 4L * (py * size + px);
                if (MathF.Abs(d.Z) > 1e-6f)
                {
                    float t = -o.Z / d.Z;
                    var p = o + t * d;
                    if (t > 0 && p.X * p.X + p.Y * p.Y < 0.64f)
                    {
                        image.Data[i] = 0.5f + 0.5f * p.X; image.Data[i + 1] = 0.5f + 0.5f * p.Y; image.Data[i + 2] = 0.3f; image.Data[i + 3] = 1f;
                    }
                }
            }
            frames.Add(new NerfFrame(f, $"view{f}", $"view{f}.png", camera, NerfImage.From(image, 1, PixelStorage.Rgba8)));
        }
        return new NerfDataset("synthetic", "train", frames, new Vector3(-1.5f), new Vector3(1.5f), 1, hasAlpha: true, whiteBackground: true);
    }
}
