using System.Numerics;
using System.Text.Json;
using NgpSharp.Geometry;

namespace NgpSharp.Data;

/// <summary>
/// The nerf_synthetic (Blender) layout: <c>transforms_{train,val,test}.json</c> with <c>camera_angle_x</c> and
/// frames <c>{file_path: "./train/r_0", transform_matrix: 4×4 camera-to-world}</c> (OpenGL camera), RGBA PNGs
/// named by <c>file_path</c> + ".png". Poses are kept in the file's world units; the scene box is ±1.5 (instant-ngp
/// scales nerf_synthetic by 0.33 into its unit cube, i.e. ±0.5/0.33 ≈ ±1.52; nerfacc and instant-nsr-pl use ±1.5).
/// </summary>
public static class BlenderDataset
{
    /// <summary>Half the edge of the nerf_synthetic scene box.</summary>
    public const float SceneRadius = 1.5f;

    /// <summary>The splits <see cref="Load"/> accepts; "trainval" is train followed by val.</summary>
    public static readonly IReadOnlyList<string> Splits = ["train", "val", "test", "trainval"];

    /// <summary>
    /// Loads a split of the dataset at <paramref name="root"/>, box-downscaling every image by
    /// <paramref name="downscale"/> (focal length and principal point divided by it too).
    /// Intrinsics: fx = fy = 0.5·W / tan(0.5·camera_angle_x) with W the file's image width, (cx, cy) = (W/2, H/2).
    /// All images of the split must have the same size.
    /// </summary>
    public static NerfDataset Load(string root, string split, int downscale = 1, PixelStorage storage = PixelStorage.Rgba8)
    {
        if (!Directory.Exists(root)) throw new DatasetException($"{root}: dataset folder not found");
        if (!Splits.Contains(split)) throw new DatasetException($"{root}: unknown split '{split}' (expected {string.Join(", ", Splits)})");
        FrameImageLoader.CheckDownscale(downscale, root);
        string[] parts = split == "trainval" ? ["train", "val"] : [split];

        var entries = new List<(string File, double Angle, string FilePath, ImageRequest Request, (Vector3 X, Vector3 Y, Vector3 Z, Vector3 T) Pose)>();
        foreach (var part in parts)
        {
            string file = Path.Combine(root, $"transforms_{part}.json");
            using var doc = TransformsJson.Read(file);
            var json = doc.RootElement;
            double angle = TransformsJson.OptionalNumber(json, "camera_angle_x", file)
                ?? throw new DatasetException($"{file}: missing \"camera_angle_x\" (horizontal field of view in radians)");
            if (!(angle > 0 && angle < Math.PI)) throw new DatasetException($"{file}: camera_angle_x = {angle} is not in (0, π) radians");
            var frames = TransformsJson.Frames(json, file);
            for (int i = 0; i < frames.GetArrayLength(); i++)
            {
                var frame = frames[i];
                if (frame.ValueKind != JsonValueKind.Object) throw new DatasetException($"{TransformsJson.FrameName(file, i, null)}: expected an object, got {TransformsJson.Describe(frame)}");
                string filePath = TransformsJson.RequiredString(frame, "file_path", TransformsJson.FrameName(file, i, null));
                string where = TransformsJson.FrameName(file, i, filePath);
                var pose = TransformsJson.ReadPose(frame, where);
                entries.Add((file, angle, filePath, new ImageRequest(ResolveImage(root, filePath), where), pose));
            }
        }

        var images = FrameImageLoader.Load(entries.Select(e => e.Request).ToList(), downscale, storage);
        var result = new NerfFrame[entries.Count];
        bool hasAlpha = false;
        for (int i = 0; i < entries.Count; i++)
        {
            var (file, angle, filePath, request, (x, y, z, t)) = entries[i];
            var img = images[i];
            if (img.FileWidth != images[0].FileWidth || img.FileHeight != images[0].FileHeight)
                throw new DatasetException($"{request.FrameName}: image {request.Path} is {img.FileWidth}×{img.FileHeight}, but the split's first image is {images[0].FileWidth}×{images[0].FileHeight}; nerf_synthetic needs one size per split");
            float focal = (float)(0.5 * img.FileWidth / Math.Tan(0.5 * angle));
            var camera = new Camera(img.FileWidth, img.FileHeight, focal, focal, 0.5f * img.FileWidth, 0.5f * img.FileHeight, x, y, z, t)
                .Downscaled(downscale);
            result[i] = new NerfFrame(i, filePath, request.Path, camera, img.Image);
            hasAlpha |= img.HadAlpha;
        }
        return new NerfDataset(root, split, result, new Vector3(-SceneRadius), new Vector3(SceneRadius), aabbScale: 1,
            hasAlpha: hasAlpha, whiteBackground: true);
    }

    /// <summary>"./train/r_0" → root/train/r_0.png; a file_path that already names an existing file is used as is.</summary>
    static string ResolveImage(string root, string filePath)
    {
        string relative = filePath.Replace('\\', '/');
        string path = Path.IsPathRooted(relative) ? relative : Path.GetFullPath(Path.Combine(root, relative));
        if (File.Exists(path) && Path.HasExtension(path)) return path;
        return path + ".png";
    }
}
