using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using NgpSharp.Compute.Cpu;
using NgpSharp.Data.Npy;
using NgpSharp.Geometry;
using NgpSharp.Imaging;

namespace NgpSharp.Data;

/// <summary>
/// Which views <see cref="DtuDataset.Load"/> returns for each split. NeuS and instant-nsr-pl train on every view of a
/// DTU scan (instant-nsr-pl validates on the training views and tests on a synthetic orbit); here "train" is every
/// view by default, and "val"/"test" are a held-out subset (by default every 8th view: 0, 8, 16, ...) so that
/// test-view metrics exist. Set <see cref="ExcludeHeldOutFromTrain"/> for a true hold-out.
/// </summary>
public sealed record DtuSplitOptions
{
    /// <summary>Held-out views by position in the sorted image listing; null: every <see cref="HeldOutEvery"/>-th view.</summary>
    public IReadOnlyList<int>? HeldOut { get; init; }

    /// <summary>With <see cref="HeldOut"/> null: views i with i mod HeldOutEvery = 0 are held out (≥ 1).</summary>
    public int HeldOutEvery { get; init; } = 8;

    /// <summary>Leave the held-out views out of "train" (false: train on all views, as NeuS and instant-nsr-pl do).</summary>
    public bool ExcludeHeldOutFromTrain { get; init; }
}

/// <summary>
/// The NeuS layout of DTU and BlendedMVS scans: <c>image/</c> (PNG or JPEG), optional <c>mask/</c> and
/// <c>cameras_sphere.npz</c> with <c>world_mat_i</c> (K·[R|t], OpenCV camera, 4×4) and <c>scale_mat_i</c> (the
/// normalised frame, where the object fits the unit sphere → world). Images and masks are taken in sorted listing
/// order whatever their names (000.png, 000000.png, IMG_1.jpg), and camera i belongs to the i-th image.
/// Cameras: P = world_mat·scale_mat, decomposed like NeuS's load_K_Rt_from_P (<see cref="ProjectionMatrix"/>), so
/// poses live in the normalised frame and are converted to our OpenGL convention; the principal point is used as
/// written (pixel centres at +0.5, as instant-nsr-pl's rays). Images are RGBA: RGB as captured (with its real
/// background) and alpha = the object mask (its first channel, 1 without masks), so HasAlpha means "has masks".
/// The scene box is the unit sphere's cube [−1, 1]³ (aabb_scale 1), the background is not white, and
/// <see cref="NerfDataset.SceneToWorld"/> is scale_mat_0 (NeuS exports meshes with it).
/// </summary>
public static partial class DtuDataset
{
    public const string CamerasFile = "cameras_sphere.npz";

    /// <summary>The splits <see cref="Load"/> accepts: "all" and "trainval" are every view.</summary>
    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test", "trainval", "all"];

    static readonly string[] ImageExtensions = [".png", ".jpg", ".jpeg"];

    /// <summary>True when <paramref name="root"/> is a folder holding cameras_sphere.npz.</summary>
    public static bool IsDtuFolder(string root) => Directory.Exists(root) && File.Exists(Path.Combine(root, CamerasFile));

    /// <summary>
    /// Loads a split of the scan at <paramref name="root"/>, box-downscaling images and masks by
    /// <paramref name="downscale"/> (intrinsics divided by it). All cameras are validated whatever the split.
    /// </summary>
    /// <exception cref="DatasetException">Missing or malformed input; the message names the file, the key or frame, and the problem.</exception>
    public static NerfDataset Load(string root, string split, int downscale = 1, PixelStorage storage = PixelStorage.Rgba8, DtuSplitOptions? splits = null)
    {
        if (!Directory.Exists(root)) throw new DatasetException($"{root}: dataset folder not found");
        if (!Splits.Contains(split)) throw new DatasetException($"{root}: unknown split '{split}' (expected {string.Join(", ", Splits)})");
        FrameImageLoader.CheckDownscale(downscale, root);
        splits ??= new DtuSplitOptions();

        var images = ListImages(Path.Combine(root, "image"), "images", required: true)!;
        var masks = ListImages(Path.Combine(root, "mask"), "masks", required: false);
        if (masks is not null && masks.Length != images.Length)
            throw new DatasetException($"{Path.Combine(root, "mask")}: {masks.Length} masks for {images.Length} images in {Path.Combine(root, "image")} (masks are paired with images by sorted file name, so the counts must match)");

        string npzPath = Path.Combine(root, CamerasFile);
        var (cameras, sceneToWorld) = ReadCameras(npzPath, images.Length);
        var selected = SelectFrames(root, split, images.Length, splits);

        var loaded = LoadImages(root, selected, images, masks, downscale, storage);
        var frames = new NerfFrame[selected.Length];
        for (int k = 0; k < selected.Length; k++)
        {
            int i = selected[k];
            var (image, fileWidth, fileHeight) = loaded[k];
            var c = cameras[i];
            string where = FrameName(root, i, images[i]);
            double maxY = Math.Max(c.Cy, fileHeight - c.Cy) / c.Fy;
            if (Math.Abs(c.Skew) * maxY > 0.5)
                throw new DatasetException($"{where}: {npzPath}: world_mat_{i} has skewed intrinsics (skew {c.Skew:G4} px shifts the image edge by {Math.Abs(c.Skew) * maxY:F2} px); a pinhole camera without skew cannot represent it");
            var r = c.WorldToCamera;
            // OpenCV camera axes (rows of R) → OpenGL: x stays, y and z flip
            var x = new Vector3((float)r[0], (float)r[1], (float)r[2]);
            var y = -new Vector3((float)r[3], (float)r[4], (float)r[5]);
            var z = -new Vector3((float)r[6], (float)r[7], (float)r[8]);
            var position = new Vector3((float)c.Centre[0], (float)c.Centre[1], (float)c.Centre[2]);
            var camera = new Camera(fileWidth, fileHeight, (float)c.Fx, (float)c.Fy, (float)c.Cx, (float)c.Cy, x, y, z, position)
                .Downscaled(downscale);
            frames[k] = new NerfFrame(k, RelativeName(root, images[i]), images[i], camera, image);
        }
        return new NerfDataset(root, split, frames, new Vector3(-1), new Vector3(1), aabbScale: 1,
            hasAlpha: masks is not null, whiteBackground: false) { SceneToWorld = sceneToWorld };
    }

    /// <summary>The image files of a folder, sorted by name (ordinal, like Python's sorted); null when optional and absent.</summary>
    static string[]? ListImages(string folder, string what, bool required)
    {
        if (!Directory.Exists(folder))
        {
            if (!required) return null;
            throw new DatasetException($"{folder}: {what} folder not found (the NeuS layout has image/, optional mask/ and {CamerasFile})");
        }
        var files = Directory.EnumerateFiles(folder)
            .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new DatasetException($"{folder}: no {what} (.png, .jpg or .jpeg files)");
        return files;
    }

    [GeneratedRegex(@"^(world_mat|scale_mat)_(\d+)$")]
    private static partial Regex CameraKey();

    /// <summary>Reads and decomposes every camera: [count] decompositions of world_mat_i·scale_mat_i, and scale_mat_0 as SceneToWorld.</summary>
    static (ProjectionDecomposition[] Cameras, Matrix4x4 SceneToWorld) ReadCameras(string npzPath, int count)
    {
        if (!File.Exists(npzPath)) throw new DatasetException($"{npzPath}: not found (a NeuS/DTU scan needs {CamerasFile} with world_mat_i and scale_mat_i)");
        IReadOnlyDictionary<string, NpyArray> npz;
        try { npz = Npz.Read(npzPath); }
        catch (NpyFormatException e) { throw new DatasetException(e.Message, e); }

        foreach (var key in npz.Keys)
        {
            var match = CameraKey().Match(key);
            if (match.Success && (!int.TryParse(match.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= count))
                throw new DatasetException($"{npzPath}: has '{key}' but image/ holds only {count} images (camera i belongs to the i-th image in sorted order)");
        }
        var cameras = new ProjectionDecomposition[count];
        double[]? scale0 = null;
        for (int i = 0; i < count; i++)
        {
            var world = Matrix(npz, npzPath, $"world_mat_{i}");
            var scale = Matrix(npz, npzPath, $"scale_mat_{i}");
            scale0 ??= scale;
            var p = ProjectionMatrix.Multiply4x4(world, scale);
            cameras[i] = ProjectionMatrix.TryDecompose(p.AsSpan(0, 12), out string? error)
                ?? throw new DatasetException($"{npzPath}: camera {i}: P = world_mat_{i}·scale_mat_{i}: {error}");
        }
        var s = scale0!;
        if (Math.Abs(Det4(s)) < 1e-12)
            throw new DatasetException($"{npzPath}: scale_mat_0 is singular: it cannot map the normalised frame back to the world");
        var sceneToWorld = new Matrix4x4(
            (float)s[0], (float)s[4], (float)s[8], (float)s[12],
            (float)s[1], (float)s[5], (float)s[9], (float)s[13],
            (float)s[2], (float)s[6], (float)s[10], (float)s[14],
            (float)s[3], (float)s[7], (float)s[11], (float)s[15]); // transposed: numpy acts on column vectors
        return (cameras, sceneToWorld);
    }

    /// <summary>The 4×4 array under <paramref name="key"/> as row-major doubles, checked for shape and finiteness.</summary>
    static double[] Matrix(IReadOnlyDictionary<string, NpyArray> npz, string npzPath, string key)
    {
        if (!npz.TryGetValue(key, out var a))
            throw new DatasetException($"{npzPath}: missing '{key}' (keys: {string.Join(", ", npz.Keys.Take(8))}{(npz.Count > 8 ? ", …" : "")})");
        if (a.Shape is not [4, 4]) throw new DatasetException($"{npzPath}: '{key}' is {a.Description}, expected a 4×4 matrix");
        if (!a.DType.IsFloatingPoint && !a.DType.IsInteger) throw new DatasetException($"{npzPath}: '{key}' holds {a.DType}, expected numbers");
        var v = a.ToDoubles();
        if (v.Any(x => !double.IsFinite(x))) throw new DatasetException($"{npzPath}: '{key}' contains NaN or infinity");
        return v;
    }

    static double Det4(double[] m)
    {
        double det = 0;
        Span<double> minor = stackalloc double[9];
        for (int c = 0; c < 4; c++)
        {
            int k = 0;
            for (int r = 1; r < 4; r++)
                for (int cc = 0; cc < 4; cc++)
                    if (cc != c) minor[k++] = m[4 * r + cc];
            double d3 = minor[0] * (minor[4] * minor[8] - minor[5] * minor[7]) - minor[1] * (minor[3] * minor[8] - minor[5] * minor[6]) + minor[2] * (minor[3] * minor[7] - minor[4] * minor[6]);
            det += (c % 2 == 0 ? 1 : -1) * m[c] * d3;
        }
        return det;
    }

    /// <summary>Indices (into the sorted listing) of the views of <paramref name="split"/>.</summary>
    static int[] SelectFrames(string root, string split, int count, DtuSplitOptions options)
    {
        if (split is "all" or "trainval" || (split == "train" && !options.ExcludeHeldOutFromTrain))
            return Enumerable.Range(0, count).ToArray();
        bool[] heldOut = new bool[count];
        if (options.HeldOut is { } list)
        {
            foreach (int i in list)
            {
                if ((uint)i >= (uint)count) throw new DatasetException($"{root}: held-out view {i} does not exist ({count} views: 0 … {count - 1})");
                heldOut[i] = true;
            }
        }
        else
        {
            if (options.HeldOutEvery < 1) throw new DatasetException($"{root}: HeldOutEvery must be ≥ 1, got {options.HeldOutEvery}");
            for (int i = 0; i < count; i += options.HeldOutEvery) heldOut[i] = true;
        }
        bool wantHeldOut = split is "val" or "test";
        var selected = Enumerable.Range(0, count).Where(i => heldOut[i] == wantHeldOut).ToArray();
        if (selected.Length == 0) throw new DatasetException($"{root}: split '{split}' has no views (held out: {heldOut.Count(h => h)} of {count})");
        return selected;
    }

    /// <summary>Reads the selected images and masks in parallel; on failure reports the lowest failing frame.</summary>
    static (NerfImage Image, int Width, int Height)[] LoadImages(string root, int[] selected, string[] images, string[]? masks,
        int downscale, PixelStorage storage)
    {
        var results = new (NerfImage, int, int)[selected.Length];
        var errors = new Exception?[selected.Length];
        Parallel.For(0, selected.Length, new ParallelOptions { MaxDegreeOfParallelism = CpuParallel.ThreadCount }, k =>
        {
            int i = selected[k];
            string where = FrameName(root, i, images[i]);
            try
            {
                var colour = ReadImage(images[i], where, "image");
                var mask = masks is null ? null : ReadImage(masks[i], where, "mask");
                if (mask is not null && (mask.Width != colour.Width || mask.Height != colour.Height))
                    throw new DatasetException($"{where}: mask {masks![i]} is {mask.Width}×{mask.Height}, the image {images[i]} is {colour.Width}×{colour.Height}");
                if (downscale > colour.Width || downscale > colour.Height)
                    throw new DatasetException($"{where}: downscale {downscale} is larger than the {colour.Width}×{colour.Height} image {images[i]}");
                results[k] = (NerfImage.FromColourAndMask(colour, mask, downscale, storage), colour.Width, colour.Height);
            }
            catch (Exception e) { errors[k] = e; }
        });
        foreach (var e in errors)
            if (e is not null) throw e is DatasetException ? e : new DatasetException(e.Message, e);
        return results;
    }

    static Image ReadImage(string path, string where, string what)
    {
        try { return ImageFile.Read(path); }
        catch (Exception e) when (e is ImageFormatException or IOException)
        {
            throw new DatasetException($"{where}: cannot read {what} {path}: {e.Message}", e);
        }
    }

    static string RelativeName(string root, string path) => Path.GetRelativePath(root, path).Replace('\\', '/');

    static string FrameName(string root, int index, string image) => $"{root}: frame {index} ({RelativeName(root, image)})";
}
