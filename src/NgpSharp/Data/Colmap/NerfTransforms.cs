using System.Text.Json;

namespace NgpSharp.Data.Colmap;

/// <summary>Pinhole intrinsics with OpenCV radial-tangential distortion, in pixels, as instant-ngp's transforms.json names them.</summary>
public sealed record NerfIntrinsics(double FlX, double FlY, double Cx, double Cy, int W, int H, double K1, double K2, double P1, double P2)
{
    /// <summary>Horizontal field of view in radians: 2·atan(w / (2·fl_x)).</summary>
    public double CameraAngleX => 2 * Math.Atan(W / (2 * FlX));
    public double CameraAngleY => 2 * Math.Atan(H / (2 * FlY));
}

/// <summary>One frame: <c>FilePath</c> relative to the transforms.json folder ('/' separators); <c>TransformMatrix</c>: [4, 4]
/// camera-to-world, OpenGL camera (+x right, +y up, looks down −z); <c>Intrinsics</c> only when the frames use several cameras.</summary>
public sealed record NerfFrame(string FilePath, double[,] TransformMatrix, NerfIntrinsics? Intrinsics, int ColmapImageId);

/// <summary>
/// instant-ngp's transforms.json. <c>Intrinsics</c> is set when every frame shares one camera (else each frame has its own).
/// <c>WorldFromColmap</c>: [4, 4] the similarity that maps COLMAP world points into this file's world (for the point cloud).
/// </summary>
public sealed record NerfTransforms(NerfIntrinsics? Intrinsics, int AabbScale, IReadOnlyList<NerfFrame> Frames, double[,] WorldFromColmap)
{
    /// <summary>Writes the file (invariant JSON, indented) through a temp file and a rename, so a reader never sees half a file.</summary>
    public void Write(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var dir = System.IO.Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                if (Intrinsics is { } k) WriteIntrinsics(w, k);
                w.WriteNumber("aabb_scale", AabbScale);
                w.WriteStartArray("frames");
                foreach (var f in Frames)
                {
                    w.WriteStartObject();
                    w.WriteString("file_path", f.FilePath);
                    if (f.Intrinsics is { } fk) WriteIntrinsics(w, fk);
                    w.WriteStartArray("transform_matrix");
                    for (int r = 0; r < 4; r++)
                    {
                        w.WriteStartArray();
                        for (int c = 0; c < 4; c++) w.WriteNumberValue(f.TransformMatrix[r, c]);
                        w.WriteEndArray();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    static void WriteIntrinsics(Utf8JsonWriter w, NerfIntrinsics k)
    {
        w.WriteNumber("camera_angle_x", k.CameraAngleX);
        w.WriteNumber("camera_angle_y", k.CameraAngleY);
        w.WriteNumber("fl_x", k.FlX);
        w.WriteNumber("fl_y", k.FlY);
        w.WriteNumber("k1", k.K1);
        w.WriteNumber("k2", k.K2);
        w.WriteNumber("p1", k.P1);
        w.WriteNumber("p2", k.P2);
        w.WriteNumber("cx", k.Cx);
        w.WriteNumber("cy", k.Cy);
        w.WriteNumber("w", k.W);
        w.WriteNumber("h", k.H);
    }
}
