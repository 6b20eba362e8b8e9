using System.Numerics;
using System.Text.Json;
using NgpSharp.Geometry;

namespace NgpSharp.Data;

/// <summary>
/// instant-ngp's <c>transforms.json</c> (what its colmap2nerf.py writes): intrinsics <c>fl_x fl_y cx cy w h</c>
/// (or <c>camera_angle_x/y</c> in radians, <c>x_fov/y_fov</c> in degrees), OpenCV distortion <c>k1 k2 p1 p2</c>,
/// each either for the whole file or overridden per frame; <c>aabb_scale</c>, <c>scale</c>, <c>offset</c> (or
/// <c>aabb</c>); frames with <c>file_path</c> (PNG or JPEG, with extension; without one .png/.jpg/.jpeg are tried) and
/// a camera-to-world <c>transform_matrix</c> in the OpenGL camera convention.
/// <para>
/// World frame. instant-ngp (<c>nerf_loader.h</c>, <c>nerf_matrix_to_ngp</c>) maps a pose [R | t] to
/// [R·diag(1, −1, −1) | t·scale + offset], then cycles the world axes (x, y, z) ← (y, z, x); its scene is the unit
/// cube [0, 1]³ (cascade 0) grown about its centre (0.5, 0.5, 0.5) by aabb_scale; defaults scale 0.33 and
/// offset (0.5, 0.5, 0.5) (<c>NERF_SCALE</c>). Our cameras keep the OpenGL convention (the column flip only turns it
/// into instant-ngp's OpenCV one) and the file's axis order (the cycle is a rotation of the world that leaves a
/// centred cube unchanged), and we shift by −0.5 so the box is centred at the origin:
/// <c>R' = R</c>, <c>t' = t·scale + offset − (0.5, 0.5, 0.5)</c>, box = ±aabb_scale/2. A point p of the file's world
/// is at <c>p·scale + offset − 0.5</c> in ours; ray directions are unchanged.
/// </para>
/// </summary>
public static class InstantNgpDataset
{
    /// <summary>instant-ngp's default scene scale (NERF_SCALE) and offset.</summary>
    public const float DefaultScale = 0.33f, DefaultOffset = 0.5f;

    static readonly string[] IntrinsicKeys = ["fl_x", "fl_y", "camera_angle_x", "camera_angle_y", "x_fov", "y_fov", "cx", "cy", "w", "h"];
    static readonly string[] ImageExtensions = ["png", "jpg", "jpeg", "PNG", "JPG", "JPEG"];

    /// <summary>
    /// Loads <paramref name="path"/>: a transforms file, or a folder holding transforms_{split}.json or else
    /// transforms.json (all its frames form the split). Images are box-downscaled by <paramref name="downscale"/>
    /// with the intrinsics scaled to match. Images may differ in size only where the frame gives its own intrinsics.
    /// </summary>
    public static NerfDataset Load(string path, string split = "train", int downscale = 1, PixelStorage storage = PixelStorage.Rgba8)
    {
        string file = ResolveFile(path, split);
        FrameImageLoader.CheckDownscale(downscale, file);
        string folder = Path.GetDirectoryName(Path.GetFullPath(file))!;
        using var doc = TransformsJson.Read(file);
        var json = doc.RootElement;

        int aabbScale = ReadAabbScale(json, file);
        var (scale, offset) = ReadScaleOffset(json, file);
        CheckLens(json, file);
        var frames = TransformsJson.Frames(json, file);

        int n = frames.GetArrayLength();
        var requests = new ImageRequest[n];
        var poses = new (Vector3 X, Vector3 Y, Vector3 Z, Vector3 T)[n];
        var filePaths = new string[n];
        for (int i = 0; i < n; i++)
        {
            var frame = frames[i];
            if (frame.ValueKind != JsonValueKind.Object) throw new DatasetException($"{TransformsJson.FrameName(file, i, null)}: expected an object, got {TransformsJson.Describe(frame)}");
            filePaths[i] = TransformsJson.RequiredString(frame, "file_path", TransformsJson.FrameName(file, i, null));
            string where = TransformsJson.FrameName(file, i, filePaths[i]);
            CheckLens(frame, where);
            poses[i] = TransformsJson.ReadPose(frame, where);
            requests[i] = new ImageRequest(ResolveImage(folder, filePaths[i]), where);
        }

        var images = FrameImageLoader.Load(requests, downscale, storage);
        var result = new NerfFrame[n];
        bool hasAlpha = false;
        var shift = offset - new Vector3(0.5f);
        for (int i = 0; i < n; i++)
        {
            var frame = frames[i];
            var img = images[i];
            string where = requests[i].FrameName;
            bool ownIntrinsics = IntrinsicKeys.Any(k => frame.TryGetProperty(k, out _));
            CheckSize(json, frame, img, where, file, requests[i].Path);
            if (!ownIntrinsics && (img.FileWidth != images[0].FileWidth || img.FileHeight != images[0].FileHeight))
                throw new DatasetException($"{where}: image {requests[i].Path} is {img.FileWidth}×{img.FileHeight}, but frame 0's is {images[0].FileWidth}×{images[0].FileHeight}; frames of another size need their own intrinsics (fl_x, cx, w, …)");
            var (x, y, z, t) = poses[i];
            var camera = ReadIntrinsics(json, frame, img, where, (x, y, z, t * scale + shift));
            result[i] = new NerfFrame(i, filePaths[i], requests[i].Path, camera.Downscaled(downscale), img.Image);
            hasAlpha |= img.HadAlpha;
        }
        var half = new Vector3(0.5f * aabbScale);
        return new NerfDataset(file, split, result, -half, half, aabbScale, hasAlpha, whiteBackground: hasAlpha);
    }

    static string ResolveFile(string path, string split)
    {
        if (File.Exists(path)) return path;
        if (!Directory.Exists(path)) throw new DatasetException($"{path}: transforms file or dataset folder not found");
        foreach (var name in (ReadOnlySpan<string>)[$"transforms_{split}.json", "transforms.json"])
            if (File.Exists(Path.Combine(path, name))) return Path.Combine(path, name);
        throw new DatasetException($"{path}: neither transforms_{split}.json nor transforms.json found");
    }

    static string ResolveImage(string folder, string filePath)
    {
        string relative = filePath.Replace('\\', '/'); // Windows paths, as instant-ngp allows
        string path = Path.GetFullPath(Path.IsPathRooted(relative) ? relative : Path.Combine(folder, relative));
        if (!Path.HasExtension(path) && !File.Exists(path))
            foreach (var ext in ImageExtensions)
                if (File.Exists(path + "." + ext)) return path + "." + ext;
        return path;
    }

    static int ReadAabbScale(JsonElement json, string file)
    {
        double? v = TransformsJson.OptionalNumber(json, "aabb_scale", file);
        if (v is null) return 1;
        double s = v.Value;
        if (s != Math.Floor(s) || s < 1 || s > 128 || !BitOperations.IsPow2((int)s))
            throw new DatasetException($"{file}: aabb_scale = {s} must be a power of two from 1 to 128");
        return (int)s;
    }

    /// <summary>scale and offset as instant-ngp reads them; an "aabb" [[min], [max]] replaces both so that the box's
    /// longest side becomes 1 and its centre lands on 0.5.</summary>
    static (float Scale, Vector3 Offset) ReadScaleOffset(JsonElement json, string file)
    {
        float scale = (float)(TransformsJson.OptionalNumber(json, "scale", file) ?? DefaultScale);
        if (!(scale > 0)) throw new DatasetException($"{file}: scale = {scale} must be positive");
        var offset = new Vector3(DefaultOffset);
        if (json.TryGetProperty("offset", out var o))
        {
            if (o.ValueKind == JsonValueKind.Number) offset = new Vector3((float)TransformsJson.OptionalNumber(json, "offset", file)!.Value);
            else offset = ReadVector3(o, file, "offset");
        }
        if (json.TryGetProperty("aabb", out var box))
        {
            if (box.ValueKind != JsonValueKind.Array || box.GetArrayLength() != 2)
                throw new DatasetException($"{file}: aabb must be [[minx, miny, minz], [maxx, maxy, maxz]], got {TransformsJson.Describe(box)}");
            Vector3 lo = ReadVector3(box[0], file, "aabb[0]"), hi = ReadVector3(box[1], file, "aabb[1]");
            var size = Vector3.Abs(hi - lo);
            float length = MathF.Max(1e-6f, MathF.Max(size.X, MathF.Max(size.Y, size.Z)));
            scale = 1f / length;
            offset = -0.5f * (lo + hi) * scale + new Vector3(0.5f);
        }
        return (scale, offset);
    }

    static Vector3 ReadVector3(JsonElement e, string file, string key)
    {
        if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 3)
            throw new DatasetException($"{file}: {key} must be a number or 3 numbers, got {TransformsJson.Describe(e)}");
        Span<float> v = stackalloc float[3];
        for (int k = 0; k < 3; k++)
            if (!TransformsJson.TryNumber(e[k], out double d) || !double.IsFinite(d))
                throw new DatasetException($"{file}: {key}[{k}] is {TransformsJson.Describe(e[k])}, not a finite number");
            else v[k] = (float)d;
        return new Vector3(v[0], v[1], v[2]);
    }

    /// <summary>Lens models other than the pinhole and OpenCV k1 k2 p1 p2 are refused rather than ignored.</summary>
    static void CheckLens(JsonElement obj, string where)
    {
        if (obj.TryGetProperty("is_fisheye", out var f) && f.ValueKind == JsonValueKind.True)
            throw new DatasetException($"{where}: fisheye lenses (is_fisheye) are not supported");
        foreach (var key in (ReadOnlySpan<string>)["k3", "k4"])
            if (TransformsJson.OptionalNumber(obj, key, where) is double v && v != 0)
                throw new DatasetException($"{where}: {key} = {v}: only the OpenCV k1 k2 p1 p2 distortion model is supported");
        foreach (var key in (ReadOnlySpan<string>)["ftheta_p0", "latlong", "equirectangular"])
            if (obj.TryGetProperty(key, out _)) throw new DatasetException($"{where}: the {key} lens model is not supported");
    }

    static void CheckSize(JsonElement json, JsonElement frame, LoadedImage img, string where, string file, string imagePath)
    {
        double? w = TransformsJson.OptionalNumber(frame, "w", where) ?? TransformsJson.OptionalNumber(json, "w", file);
        double? h = TransformsJson.OptionalNumber(frame, "h", where) ?? TransformsJson.OptionalNumber(json, "h", file);
        if ((w is not null && w != img.FileWidth) || (h is not null && h != img.FileHeight))
            throw new DatasetException($"{where}: image {imagePath} is {img.FileWidth}×{img.FileHeight}, but the transforms say w = {w?.ToString() ?? "?"}, h = {h?.ToString() ?? "?"}");
    }

    /// <summary>
    /// Intrinsics as instant-ngp's read_focal_length/read_lens: per key, the frame's value overrides the file's.
    /// Focal per object: x_fov (degrees), else fl_x, else camera_angle_x (radians), likewise for y; only one axis
    /// given means square pixels. cx, cy default to the image centre.
    /// </summary>
    static Camera ReadIntrinsics(JsonElement json, JsonElement frame, LoadedImage img, string where,
        (Vector3 X, Vector3 Y, Vector3 Z, Vector3 T) pose)
    {
        var focal = Focal(frame, img, where) ?? Focal(json, img, where)
            ?? throw new DatasetException($"{where}: no focal length (fl_x/fl_y, camera_angle_x/y or x_fov/y_fov) in the frame or the file");
        double Get(string key, double fallback) =>
            TransformsJson.OptionalNumber(frame, key, where) ?? TransformsJson.OptionalNumber(json, key, where) ?? fallback;
        // Values beyond float's range (1e308) would become ±∞ in the camera: refuse them here, naming the key.
        float Single(string key, double v) => float.IsFinite((float)v) ? (float)v
            : throw new DatasetException($"{where}: {key} = {v.ToString(System.Globalization.CultureInfo.InvariantCulture)} is out of range");
        float cx = Single("cx", Get("cx", 0.5 * img.FileWidth)), cy = Single("cy", Get("cy", 0.5 * img.FileHeight));
        var distortion = new LensDistortion(Single("k1", Get("k1", 0)), Single("k2", Get("k2", 0)), Single("p1", Get("p1", 0)), Single("p2", Get("p2", 0)));
        float FocalLength(string key, double v) => Single(key, v) is var f && f > 0 ? f      // 1e-320 is positive but 0 as a float
            : throw new DatasetException($"{where}: {key} = {v.ToString(System.Globalization.CultureInfo.InvariantCulture)} is too small");
        return new Camera(img.FileWidth, img.FileHeight, FocalLength("focal length x", focal.X), FocalLength("focal length y", focal.Y), cx, cy,
            pose.X, pose.Y, pose.Z, pose.T, distortion);
    }

    static (double X, double Y)? Focal(JsonElement obj, LoadedImage img, string where)
    {
        double? Axis(string axis, int resolution)
        {
            if (TransformsJson.OptionalNumber(obj, axis + "_fov", where) is double deg)
                return deg > 0 && deg < 180 ? 0.5 * resolution / Math.Tan(0.5 * deg * Math.PI / 180)
                    : throw new DatasetException($"{where}: {axis}_fov = {deg} is not in (0, 180) degrees");
            if (TransformsJson.OptionalNumber(obj, "fl_" + axis, where) is double fl)
                return fl > 0 ? fl : throw new DatasetException($"{where}: fl_{axis} = {fl} must be positive");
            if (TransformsJson.OptionalNumber(obj, "camera_angle_" + axis, where) is double rad)
                return rad > 0 && rad < Math.PI ? 0.5 * resolution / Math.Tan(0.5 * rad)
                    : throw new DatasetException($"{where}: camera_angle_{axis} = {rad} is not in (0, π) radians");
            return null;
        }
        double? fx = Axis("x", img.FileWidth), fy = Axis("y", img.FileHeight);
        if (fx is null && fy is null) return null;
        return (fx ?? fy!.Value, fy ?? fx!.Value);
    }
}
