using NgpSharp.Data.Npy;
using System.Globalization;
using System.Text;
using System.Text.Json;
using NgpSharp.Compute;
using NgpSharp.Geometry;
using NgpSharp.Imaging;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>One frame of a transforms file: file_path ("./train/r_0"), camera, and the depth PNG's path or null.</summary>
public sealed record DatasetFrame(string FilePath, Camera Camera, string? DepthFilePath);

/// <summary>The files of a rendered dataset besides the images: transforms JSON, depth PNGs, gt_mesh.obj, DTU cameras.</summary>
public static class DatasetFiles
{
    /// <summary>Largest 16-bit depth code used (a little headroom below 65535).</summary>
    public const int DepthCodeMax = 65000;

    /// <summary>
    /// nerf_synthetic's <c>transforms_{split}.json</c>: camera_angle_x and frames {file_path, transform_matrix}, plus
    /// extra keys that nerf_synthetic readers ignore: <c>world_from_model</c> (4×4: the normalisation of the source
    /// model), and with depth maps <c>depth_scale</c> (world units per 16-bit code) and each frame's
    /// <c>depth_file_path</c>.
    /// </summary>
    public static void WriteTransforms(string path, double cameraAngleX, IReadOnlyList<DatasetFrame> frames,
        double[,] worldFromModel, double? depthScale)
    {
        AtomicFile.Write(path, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteNumber("camera_angle_x", cameraAngleX);
            w.WriteStartArray("frames");
            foreach (var f in frames)
            {
                w.WriteStartObject();
                w.WriteString("file_path", f.FilePath);
                WriteMatrix(w, "transform_matrix", DatasetCameras.TransformMatrix(f.Camera));
                if (f.DepthFilePath is not null) w.WriteString("depth_file_path", f.DepthFilePath);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            WriteMatrix(w, "world_from_model", worldFromModel);
            if (depthScale is { } s) w.WriteNumber("depth_scale", s);
            w.WriteEndObject();
        });
    }

    static void WriteMatrix(Utf8JsonWriter w, string name, double[,] m)
    {
        w.WriteStartArray(name);
        for (int r = 0; r < m.GetLength(0); r++)
        {
            w.WriteStartArray();
            for (int c = 0; c < m.GetLength(1); c++) w.WriteNumberValue(m[r, c]);
            w.WriteEndArray();
        }
        w.WriteEndArray();
    }

    /// <summary>Depth [H·W] in world units → a 16-bit gray PNG, code = round(depth / depthScale), 0 = no surface.</summary>
    public static byte[] EncodeDepth(ReadOnlySpan<float> depth, int width, int height, double depthScale)
    {
        var image = new Image(width, height, 1);
        for (int i = 0; i < depth.Length; i++)
            image.Data[i] = (float)(Math.Min(Math.Round(depth[i] / depthScale), 65535) / 65535.0);
        return Png.Encode(image, bitDepth: 16);
    }

    /// <summary>A depth PNG written by <see cref="EncodeDepth"/> → depth [H·W] in world units (0 = no surface).</summary>
    public static float[] DecodeDepth(string path, double depthScale)
    {
        var image = Png.Read(path);
        var depth = new float[image.Width * image.Height];
        for (int i = 0; i < depth.Length; i++) depth[i] = (float)(Math.Round(image.Data[i * image.Channels] * 65535.0) * depthScale);
        return depth;
    }

    /// <summary>The triangles of <paramref name="mesh"/> as OBJ (positions and faces only), invariant culture.</summary>
    public static void WriteObj(string path, TexturedMesh mesh, string comment)
    {
        var sb = new StringBuilder(mesh.Positions.Length * 40 + mesh.TriangleCount * 24);
        sb.Append("# ").Append(comment).Append('\n');
        foreach (var p in mesh.Positions)
            sb.Append(CultureInfo.InvariantCulture, $"v {p.X:0.######} {p.Y:0.######} {p.Z:0.######}\n");
        var idx = mesh.Indices;
        for (int t = 0; t < mesh.TriangleCount; t++)
            sb.Append(CultureInfo.InvariantCulture, $"f {idx[3 * t] + 1} {idx[3 * t + 1] + 1} {idx[3 * t + 2] + 1}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    /// <summary>
    /// NeuS's <c>cameras_sphere.npz</c> arrays for <paramref name="cameras"/>: world_mat_i = K·[R|t] (OpenCV), camera_mat_i = K,
    /// scale_mat_i = diag(s, s, s, 1) (unit sphere → world, s = <paramref name="sphereRadius"/>), and their inverses.
    /// </summary>
    public static void WriteDtuCameras(string folder, IReadOnlyList<Camera> cameras, double sphereRadius)
    {
        var arrays = new List<(string Name, double[,] Value)>();
        var scale = new double[4, 4];
        (scale[0, 0], scale[1, 1], scale[2, 2], scale[3, 3]) = (sphereRadius, sphereRadius, sphereRadius, 1);
        for (int i = 0; i < cameras.Count; i++)
        {
            var (world, k) = DatasetCameras.OpenCvProjection(cameras[i]);
            arrays.Add(($"world_mat_{i}", world));
            arrays.Add(($"world_mat_inv_{i}", Invert4x4(world)));
            arrays.Add(($"scale_mat_{i}", scale));
            arrays.Add(($"scale_mat_inv_{i}", Invert4x4(scale)));
            arrays.Add(($"camera_mat_{i}", k));
            arrays.Add(($"camera_mat_inv_{i}", Invert4x4(k)));
        }
        WriteCameraArrays(Path.Combine(folder, "cameras_sphere"), arrays);
    }

    /// <summary>Writes <c>{pathWithoutExtension}.npz</c>: float64 [4, 4] arrays under the given names (NeuS's cameras_sphere.npz).</summary>
    internal static void WriteCameraArrays(string pathWithoutExtension, IReadOnlyList<(string Name, double[,] Value)> arrays)
    {
        var entries = arrays.Select(a =>
        {
            var flat = new double[16];
            for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) flat[4 * r + c] = a.Value[r, c];
            return new KeyValuePair<string, NpyArray>(a.Name, NpyArray.Create<double>(flat, 4, 4));
        });
        Npz.Write(pathWithoutExtension + ".npz", entries);
    }

    /// <summary>Gauss–Jordan inverse with partial pivoting of a 4×4 matrix.</summary>
    internal static double[,] Invert4x4(double[,] m)
    {
        var a = new double[4, 8];
        for (int r = 0; r < 4; r++)
        {
            for (int c = 0; c < 4; c++) a[r, c] = m[r, c];
            a[r, 4 + r] = 1;
        }
        for (int c = 0; c < 4; c++)
        {
            int pivot = c;
            for (int r = c + 1; r < 4; r++) if (Math.Abs(a[r, c]) > Math.Abs(a[pivot, c])) pivot = r;
            if (a[pivot, c] == 0) throw new ArgumentException("matrix is singular");
            for (int k = 0; k < 8; k++) (a[c, k], a[pivot, k]) = (a[pivot, k], a[c, k]);
            double inv = 1 / a[c, c];
            for (int k = 0; k < 8; k++) a[c, k] *= inv;
            for (int r = 0; r < 4; r++)
            {
                if (r == c || a[r, c] == 0) continue;
                double f = a[r, c];
                for (int k = 0; k < 8; k++) a[r, k] -= f * a[c, k];
            }
        }
        var result = new double[4, 4];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) result[r, c] = a[r, 4 + c];
        return result;
    }
}
