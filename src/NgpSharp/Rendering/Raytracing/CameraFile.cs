using System.Text.Json;
using NgpSharp.Data;
using NgpSharp.Geometry;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>A view to render: where its image goes (nerf_synthetic <c>file_path</c>, no extension) and its camera.</summary>
public sealed record CameraView(string FilePath, Camera Camera);

/// <summary>Reads the cameras of a nerf_synthetic <c>transforms_*.json</c> (camera_angle_x and each frame's
/// transform_matrix) to render them again at another resolution.</summary>
public static class CameraFile
{
    /// <summary>The frames of <paramref name="path"/> as square <paramref name="resolution"/>² cameras. File paths must be
    /// relative and stay inside the dataset folder ("./test/r_0"); errors name the file and frame.</summary>
    public static (double CameraAngleX, CameraView[] Views) Read(string path, int resolution)
    {
        using var doc = TransformsJson.Read(path);
        var root = doc.RootElement;
        double angle = TransformsJson.OptionalNumber(root, "camera_angle_x", path)
            ?? throw new DatasetException($"{path}: missing \"camera_angle_x\" (horizontal field of view in radians)");
        if (!(angle > 0 && angle < Math.PI)) throw new DatasetException($"{path}: camera_angle_x = {angle} is not in (0, π) radians");
        var frames = TransformsJson.Frames(root, path);
        var views = new CameraView[frames.GetArrayLength()];
        for (int i = 0; i < views.Length; i++)
        {
            var frame = frames[i];
            if (frame.ValueKind != JsonValueKind.Object) throw new DatasetException($"{TransformsJson.FrameName(path, i, null)}: expected an object");
            string filePath = TransformsJson.RequiredString(frame, "file_path", TransformsJson.FrameName(path, i, null));
            string where = TransformsJson.FrameName(path, i, filePath);
            string normalised = filePath.Replace('\\', '/');
            if (Path.IsPathRooted(normalised) || normalised.Split('/').Contains(".."))
                throw new DatasetException($"{where}: file_path must be relative and inside the dataset folder");
            if (Path.HasExtension(normalised)) normalised = Path.ChangeExtension(normalised, null)!; // instant-ngp style "r_0.png"
            var (x, y, z, t) = TransformsJson.ReadPose(frame, where);
            float focal = (float)(0.5 * resolution / Math.Tan(0.5 * angle));
            views[i] = new CameraView(normalised, new Camera(resolution, resolution, focal, focal, 0.5f * resolution, 0.5f * resolution, x, y, z, t));
        }
        if (views.Length == 0) throw new DatasetException($"{path}: \"frames\" is empty");
        return (angle, views);
    }

    /// <summary>"transforms_test.json" → "test"; other names → "cameras".</summary>
    public static string SplitName(string path)
    {
        string name = Path.GetFileNameWithoutExtension(path);
        return name.StartsWith("transforms_", StringComparison.Ordinal) && name.Length > 11 ? name[11..] : "cameras";
    }
}
