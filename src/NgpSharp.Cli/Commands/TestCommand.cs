using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Imaging;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp test`: renders a trained run's test split, scores it, and writes an orbit video.</summary>
public static class TestCommand
{
    public const string Usage = "ngp test --run RUN_DIR [--checkpoint CKPT] [--device auto|cpu|cuda|cuda-emulator] [--quiet]";

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 0) throw new UsageException($"ngp test takes --run RUN_DIR, not \"{cl.Positional[0]}\"\nusage: {Usage}");
        string runDir = cl.String("run") ?? throw new UsageException($"ngp test needs --run RUN_DIR\nusage: {Usage}");
        string? checkpoint = cl.String("checkpoint");
        string device = cl.String("device", "auto");
        bool quiet = cl.Flag("quiet");
        cl.RejectUnknown("test");
        return Test(runDir, checkpoint, device, cl.Overrides, quiet);
    }

    /// <summary>
    /// `ngp test` on a run folder: renders its test split from <paramref name="checkpoint"/> (null: the latest), writes
    /// save/test*, the orbit video, metrics.json (psnr, ssim, ...) and report.html.
    /// </summary>
    public static int Test(string runDir, string? checkpoint, string device, IEnumerable<string> overrides, bool quiet)
    {
        var run = RunDirectory.Open(runDir);
        checkpoint ??= run.LatestCheckpoint() ?? throw new FileNotFoundException($"{run.CheckpointDir}: no checkpoint (train first)", run.CheckpointDir);
        using var renderer = TestRenderers.Open(run, overrides, checkpoint, device, quiet);
        var test = renderer.Test;
        var background = renderer.Background;

        string testDir = ResetFolder(run.SaveSubdir("test"));
        string depthDir = ResetFolder(run.SaveSubdir("test_depth"));
        string truthDir = ResetFolder(run.SaveSubdir("test_gt"));
        string? normalDir = null;
        var bar = new ProgressBar(quiet);
        var clock = Stopwatch.StartNew();
        double psnrSum = 0, ssimSum = 0;
        long samples = 0;
        for (int i = 0; i < test.Count; i++)
        {
            var frame = test.Frames[i];
            var render = renderer.Render(frame.Camera);
            samples += render.Samples;
            var truth = Composite(frame.Image.ToImage(), background);
            psnrSum += ImageMetrics.Psnr(render.Colour, truth);
            ssimSum += ImageMetrics.Ssim(render.Colour, truth);
            string name = i.ToString("D3", CultureInfo.InvariantCulture) + ".png";
            Png.Write(Path.Combine(testDir, name), render.Colour);
            Png.Write(Path.Combine(depthDir, name), DepthImage(render, frame.Width, frame.Height));
            Png.Write(Path.Combine(truthDir, name), truth);
            if (render.Normal is { } normal) Png.Write(Path.Combine(normalDir ??= ResetFolder(run.SaveSubdir("test_normal")), name), normal);
            bar.Report(i + 1, test.Count, clock.Elapsed, string.Create(CultureInfo.InvariantCulture, $"PSNR {psnrSum / (i + 1):F2} dB"));
        }
        bar.Finish();
        double renderSeconds = clock.Elapsed.TotalSeconds;
        var backend = renderer.Backend;

        string video = WriteOrbit(renderer, run);
        // Keys of other commands (train timings, mesh metrics) stay; the test's own are replaced.
        var metrics = TrainCommand.ReadMetricsJson(run);
        metrics["device"] = backend.Description;
        metrics["checkpoint"] = Path.GetFileName(checkpoint);
        metrics["step"] = renderer.Step;
        metrics["split"] = test.Split;
        metrics["count"] = test.Count;
        metrics["width"] = test.Width;
        metrics["height"] = test.Height;
        metrics["psnr"] = Math.Round(psnrSum / test.Count, 4);
        metrics["ssim"] = Math.Round(ssimSum / test.Count, 5);
        metrics["render_seconds"] = Math.Round(renderSeconds, 3);
        metrics["seconds_per_view"] = Math.Round(renderSeconds / test.Count, 4);
        metrics["samples_per_view"] = samples / test.Count;
        metrics["video"] = video.Length == 0 ? "" : Path.GetRelativePath(run.Root, video);
        AtomicFile.WriteAllText(run.MetricsJsonPath, metrics.ToJsonString(new() { WriteIndented = true }) + "\n");
        string report = RunReport.Write(run.Root);
        if (!quiet)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"test PSNR {psnrSum / test.Count:F2} dB · SSIM {ssimSum / test.Count:F4} over {test.Count} views ({renderSeconds / test.Count:F2} s/view) at step {renderer.Step}"));
            Console.WriteLine($"wrote {testDir}, {truthDir}, {depthDir}, {video}, {run.MetricsJsonPath}, {report}");
        }
        return 0;
    }

    /// <summary>Empties a folder so that it holds only this test's renders.</summary>
    static string ResetFolder(string dir)
    {
        foreach (var f in Directory.EnumerateFiles(dir)) File.Delete(f);
        return dir;
    }

    /// <summary>rgba [H, W, 4] straight alpha → rgb on a constant background.</summary>
    static Image Composite(Image rgba, (float R, float G, float B) bg)
    {
        var rgb = new Image(rgba.Width, rgba.Height, 3);
        Span<float> b = [bg.R, bg.G, bg.B];
        for (int p = 0, n = rgba.Width * rgba.Height; p < n; p++)
        {
            float a = rgba.Channels == 4 ? rgba.Data[4 * p + 3] : 1f;
            for (int c = 0; c < 3; c++) rgb.Data[3 * p + c] = rgba.Data[rgba.Channels * p + c] * a + b[c] * (1 - a);
        }
        return rgb;
    }

    /// <summary>Depth normalised to [0, 1] over the pixels with opacity &gt; 0.5 (near = dark); background black.</summary>
    static Image DepthImage(TestView r, int w, int h)
    {
        float lo = float.MaxValue, hi = float.MinValue;
        for (int i = 0; i < r.Depth.Length; i++)
            if (r.Opacity[i] > 0.5f) { lo = MathF.Min(lo, r.Depth[i]); hi = MathF.Max(hi, r.Depth[i]); }
        var img = new Image(w, h, 1);
        if (lo > hi) return img;
        float scale = hi > lo ? 1f / (hi - lo) : 0f;
        for (int i = 0; i < r.Depth.Length; i++)
            img.Data[i] = r.Opacity[i] > 0.5f ? Math.Clamp(1f - (r.Depth[i] - lo) * scale * 0.8f, 0.2f, 1f) : 0f;
        return img;
    }

    /// <summary>
    /// An orbit around the scene centre at the test cameras' mean distance and height, about their mean up vector (Z for
    /// Blender data, whatever the capture used otherwise), with the first test camera's intrinsics downscaled:
    /// save/video.mp4 (ffmpeg) or save/video.gif. "" when no frames are asked for.
    /// </summary>
    static string WriteOrbit(ITestRenderer renderer, RunDirectory run)
    {
        var (frames, downscale, fps) = renderer.Video;
        var test = renderer.Test;
        if (frames == 0) return "";
        var first = test.Frames[0].Camera;
        var camera = first.Downscaled(Math.Min(downscale, Math.Min(first.Width, first.Height)));
        var centre = renderer.SceneCentre;
        var up = Vector3.Zero;
        foreach (var f in test.Frames) up += f.Camera.YAxis;
        up = up.LengthSquared() > 0 ? Vector3.Normalize(up) : Vector3.UnitZ;
        var side = Vector3.Normalize(Vector3.Cross(up, MathF.Abs(up.X) < 0.9f ? Vector3.UnitX : Vector3.UnitY));
        var forward = Vector3.Cross(up, side);
        float radius = 0, height = 0;
        foreach (var f in test.Frames)
        {
            var d = f.Camera.Position - centre;
            height += Vector3.Dot(d, up);
            radius += (d - Vector3.Dot(d, up) * up).Length();
        }
        radius /= test.Count; height /= test.Count;
        return VideoWriter.Write(Path.Combine(run.SaveDir, "video"), frames, i =>
        {
            double angle = 2 * Math.PI * i / frames;
            var position = centre + radius * ((float)Math.Cos(angle) * side + (float)Math.Sin(angle) * forward) + height * up;
            var z = Vector3.Normalize(position - centre);           // the camera looks down −z, at the centre
            var x = Vector3.Normalize(Vector3.Cross(up, z));
            var y = Vector3.Cross(z, x);
            return renderer.Render(camera.WithPose(x, y, z, position)).Colour;
        }, fps);
    }
}
