using System.Diagnostics;
using System.Runtime.ExceptionServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Geometry;
using NgpSharp.Imaging;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>What <see cref="SyntheticDataset.Render"/> did: views and primary rays rendered, the time, the model→world map,
/// materials replaced by grey, and the splits written.</summary>
public sealed record RenderDatasetResult(int Views, long PrimaryRays, TimeSpan Elapsed, SceneNormalization Normalization,
    IReadOnlyList<string> Warnings, IReadOnlyList<string> Splits, int Triangles);

/// <summary>
/// Renders a nerf_synthetic-style dataset from an OBJ model without Blender. Layout under the output folder:
/// <c>transforms_{train,val,test}.json</c>, <c>{split}/r_{i}.png</c> (RGBA, transparent background),
/// <c>{split}/r_{i}_depth.png</c> (16-bit z-depth, see <see cref="DatasetFiles.WriteTransforms"/>), <c>gt_mesh.obj</c>
/// (the normalised mesh in the cameras' world). For DTU: <c>dtu/image/NNN.png</c> (RGB on grey 60),
/// <c>dtu/mask/NNN.png</c> (255 where alpha ≥ ½) for the train then val views, and their cameras.
/// Deterministic for a seed whatever the thread count.
/// </summary>
public static class SyntheticDataset
{
    /// <summary>The DTU images' background, like the shared bunny's (60, 60, 60).</summary>
    public const float DtuBackground = 60f / 255f;

    /// <summary>NeuS's scale_mat radius relative to the object radius (1.5 for the shared bunny's 1.2).</summary>
    public const float DtuSphereFactor = 1.25f;

    sealed record ViewJob(int Index, string Split, string FilePath, Camera Camera, int DtuIndex);

    /// <param name="modelPath">OBJ file (with its MTL libraries and textures beside it).</param>
    /// <param name="outputFolder">Created if needed; existing files of the same names are replaced.</param>
    /// <param name="options">Resolution, view counts, formats, seed, samples per pixel, normalisation.</param>
    /// <param name="progress">(views done, views) after each view, from worker threads (never concurrently).</param>
    public static RenderDatasetResult Render(string modelPath, string outputFolder, RenderDatasetOptions options,
        Action<int, int>? progress = null)
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var source = ObjSceneReader.Read(modelPath, options.AllowMissing, out var warnings);
        var normalization = SceneNormalization.FitSphere(source.Positions, options.ObjectRadius, options.Up);
        var mesh = source.Transformed(normalization);
        var tracer = new MeshRaytracer(mesh, SceneLighting.Default with { Shadows = options.Shadows });

        var (angle, splits) = PlanViews(options);
        var jobs = splits.SelectMany(s => s.Views).ToList();
        bool nerf = options.Format != DatasetFormat.Dtu, dtu = options.Format != DatasetFormat.Nerf;
        Directory.CreateDirectory(outputFolder);
        foreach (var dir in jobs.Select(j => Path.GetDirectoryName(Path.Combine(outputFolder, j.FilePath))!).Distinct())
            if (nerf) Directory.CreateDirectory(dir);
        if (dtu)
        {
            Directory.CreateDirectory(Path.Combine(outputFolder, "dtu", "image"));
            Directory.CreateDirectory(Path.Combine(outputFolder, "dtu", "mask"));
        }

        // Depth codes: every surface lies within the object sphere, so depth ≤ camera distance + radius.
        float farthest = jobs.Max(j => j.Camera.Position.Length()) + options.ObjectRadius;
        double? depthScale = nerf && options.Depth ? farthest / (double)DatasetFiles.DepthCodeMax : null;

        int done = 0;
        var progressLock = new object();
        void RenderJob(ViewJob job, bool parallelRows)
        {
            var view = tracer.Render(job.Camera, options.SamplesPerPixel, ViewSeed(options.Seed, job.Index), parallelRows);
            WriteView(outputFolder, job, view, nerf, dtu, depthScale);
            lock (progressLock) progress?.Invoke(++done, jobs.Count);
        }
        // Many views: one view per task (PNG encoding runs in parallel too); few views: rows in parallel.
        if (jobs.Count >= 2 * CpuParallel.ThreadCount)
            RethrowInner(() => CpuParallel.ForTiles(jobs.Count, 1, (start, _) => RenderJob(jobs[start], parallelRows: false)));
        else
            foreach (var job in jobs) RenderJob(job, parallelRows: true);

        var worldFromModel = normalization.WorldFromModel();
        if (nerf)
        {
            foreach (var (name, views) in splits)
                DatasetFiles.WriteTransforms(Path.Combine(outputFolder, $"transforms_{name}.json"), angle,
                    views.Select(v => new DatasetFrame(v.FilePath, v.Camera, depthScale is null ? null : DepthPath(v.FilePath))).ToList(),
                    worldFromModel, depthScale);
        }
        if (dtu)
        {
            var dtuCameras = jobs.Where(j => j.DtuIndex >= 0).OrderBy(j => j.DtuIndex).Select(j => j.Camera).ToList();
            DatasetFiles.WriteDtuCameras(Path.Combine(outputFolder, "dtu"), dtuCameras, DtuSphereFactor * options.ObjectRadius);
        }
        DatasetFiles.WriteObj(Path.Combine(outputFolder, "gt_mesh.obj"), mesh,
            $"ground-truth geometry in the cameras' world (Z up): {Path.GetFileName(modelPath)} centred, scaled to radius {options.ObjectRadius}, {options.Up}-up → Z-up");

        long rays = jobs.Sum(j => (long)j.Camera.Width * j.Camera.Height) * options.SamplesPerPixel;
        return new RenderDatasetResult(jobs.Count, rays, clock.Elapsed, normalization, warnings, splits.Select(s => s.Name).ToList(), mesh.TriangleCount);
    }

    /// <summary>The generated rig (train, val: hemisphere; test: orbit) or the cameras of <see cref="RenderDatasetOptions.CamerasFile"/>.
    /// DTU indices number the train then val views (all views of a camera file).</summary>
    static (double Angle, List<(string Name, List<ViewJob> Views)> Splits) PlanViews(RenderDatasetOptions o)
    {
        var splits = new List<(string, List<ViewJob>)>();
        int index = 0;
        if (o.CamerasFile is { } file)
        {
            var (fileAngle, views) = CameraFile.Read(file, o.Resolution);
            splits.Add((CameraFile.SplitName(file), views.Select((v, i) => new ViewJob(index++, "", v.FilePath, v.Camera, i)).ToList()));
            return (fileAngle, splits);
        }
        int r = o.Resolution;
        var rng = new Rng(o.Seed, stream: 1);
        var train = DatasetCameras.Hemisphere(o.Train, o.CameraDistance, ref rng, r, r, o.CameraAngleX);
        var val = DatasetCameras.Hemisphere(o.Val, o.CameraDistance, ref rng, r, r, o.CameraAngleX);
        var test = DatasetCameras.Orbit(o.Test, o.CameraDistance, o.TestElevationDegrees, r, r, o.CameraAngleX);
        int dtu = 0;
        foreach (var (name, cameras, forDtu) in new[] { ("train", train, true), ("val", val, true), ("test", test, false) })
        {
            if (cameras.Length == 0) continue;
            splits.Add((name, cameras.Select((c, i) => new ViewJob(index++, name, $"./{name}/r_{i}", c, forDtu ? dtu++ : -1)).ToList()));
        }
        return (o.CameraAngleX, splits);
    }

    static void WriteView(string folder, ViewJob job, RenderedView view, bool nerf, bool dtu, double? depthScale)
    {
        var (w, h) = (view.Rgba.Width, view.Rgba.Height);
        if (nerf)
        {
            AtomicFile.WriteAllBytes(Path.Combine(folder, job.FilePath + ".png"), Png.Encode(view.Rgba));
            if (depthScale is { } s)
                AtomicFile.WriteAllBytes(Path.Combine(folder, DepthPath(job.FilePath) + ".png"), DatasetFiles.EncodeDepth(view.Depth, w, h, s));
        }
        if (dtu && job.DtuIndex >= 0)
        {
            var image = view.Rgba.ToChannels(3, [DtuBackground]);
            var mask = new Image(w, h, 3);
            for (int i = 0; i < w * h; i++)
                mask.Data[3 * i] = mask.Data[3 * i + 1] = mask.Data[3 * i + 2] = view.Rgba.Data[4 * i + 3] >= 0.5f ? 1f : 0f;
            string name = $"{job.DtuIndex:D3}.png";
            AtomicFile.WriteAllBytes(Path.Combine(folder, "dtu", "image", name), Png.Encode(image));
            AtomicFile.WriteAllBytes(Path.Combine(folder, "dtu", "mask", name), Png.Encode(mask));
        }
    }

    static string DepthPath(string filePath) => filePath + "_depth";

    /// <summary>splitmix64 of (seed, view): each view's pixel streams are independent of the others.</summary>
    static ulong ViewSeed(ulong seed, int view)
    {
        ulong z = unchecked(seed + 0x9E3779B97F4A7C15UL * (ulong)(view + 1));
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    static void RethrowInner(Action action)
    {
        try { action(); }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
