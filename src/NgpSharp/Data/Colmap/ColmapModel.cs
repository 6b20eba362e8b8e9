namespace NgpSharp.Data.Colmap;

/// <summary>One COLMAP camera (intrinsics). <c>Params</c>: the model's parameters in COLMAP's order (see <see cref="ColmapCameraModels"/>).</summary>
public sealed record ColmapCamera(int Id, ColmapCameraModel Model, long Width, long Height, double[] Params);

/// <summary>
/// One registered image. <c>Qvec</c>: [4] world-to-camera rotation quaternion (w, x, y, z), unit length;
/// <c>Tvec</c>: [3] world-to-camera translation (x_cam = R·x_world + t; COLMAP/OpenCV camera: +x right, +y down, looks down +z).
/// <c>Points2D</c>: [N, 2] keypoint positions in pixels, flattened; <c>Point3DIds</c>: [N], −1 where the keypoint has no 3D point.
/// </summary>
public sealed record ColmapImage(int Id, double[] Qvec, double[] Tvec, int CameraId, string Name, double[] Points2D, long[] Point3DIds);

/// <summary>One 3D point with its colour, reprojection error and track: <c>TrackImageIds</c>, <c>TrackPoint2DIndices</c>: [L] each.</summary>
public sealed record ColmapPoint3D(long Id, double X, double Y, double Z, byte R, byte G, byte B, double Error,
    int[] TrackImageIds, int[] TrackPoint2DIndices);

/// <summary>Which files a model was read from.</summary>
public enum ColmapModelFormat { Binary, Text }

/// <summary>
/// A COLMAP sparse model: cameras, registered images and 3D points, read from COLMAP's text (<c>*.txt</c>) or
/// binary (<c>*.bin</c>) files. Layouts follow COLMAP's scripts/python/read_write_model.py.
/// </summary>
public sealed class ColmapModel
{
    public ColmapModel(IReadOnlyList<ColmapCamera> cameras, IReadOnlyList<ColmapImage> images, IReadOnlyList<ColmapPoint3D> points3D,
        string directory = "", ColmapModelFormat format = ColmapModelFormat.Binary)
    {
        Cameras = cameras; Images = images; Points3D = points3D; Directory = directory; Format = format;
    }

    public IReadOnlyList<ColmapCamera> Cameras { get; }
    public IReadOnlyList<ColmapImage> Images { get; }
    public IReadOnlyList<ColmapPoint3D> Points3D { get; }

    /// <summary>The folder the files were read from ("" for a model built in memory).</summary>
    public string Directory { get; }
    public ColmapModelFormat Format { get; }

    public ColmapCamera Camera(int id) => Cameras.First(c => c.Id == id);

    /// <summary>
    /// Reads the model in <paramref name="path"/>: a folder holding cameras/images/points3D files, or a COLMAP
    /// project folder with the model in <c>sparse/0</c> (or <c>sparse</c>). A format is complete when its cameras and
    /// images files exist; binary wins when complete (it is what COLMAP's mapper writes, and loses no precision),
    /// else text. points3D is read from the same format when present, else the model has no points.
    /// </summary>
    public static ColmapModel Load(string path)
    {
        if (!System.IO.Directory.Exists(path))
            throw File.Exists(path)
                ? new ColmapFormatException($"{path}: expected a COLMAP model folder (with cameras.bin|txt, images.bin|txt), got a file")
                : new DirectoryNotFoundException($"COLMAP model folder not found: {path}");
        foreach (var dir in new[] { path, System.IO.Path.Combine(path, "sparse", "0"), System.IO.Path.Combine(path, "sparse") })
        {
            if (!System.IO.Directory.Exists(dir)) continue;
            if (Complete(dir, ".bin")) return Read(dir, ColmapModelFormat.Binary);
            if (Complete(dir, ".txt")) return Read(dir, ColmapModelFormat.Text);
        }
        var present = new[] { "cameras.bin", "images.bin", "points3D.bin", "cameras.txt", "images.txt", "points3D.txt" }
            .Where(f => File.Exists(System.IO.Path.Combine(path, f))).ToList();
        throw new FileNotFoundException(
            $"{path}: no complete COLMAP model (needs cameras.bin + images.bin or cameras.txt + images.txt, here or in sparse/0)" +
            (present.Count > 0 ? $"; found only {string.Join(", ", present)}" : ""));
    }

    static bool Complete(string dir, string ext) =>
        File.Exists(System.IO.Path.Combine(dir, "cameras" + ext)) && File.Exists(System.IO.Path.Combine(dir, "images" + ext));

    static ColmapModel Read(string dir, ColmapModelFormat format)
    {
        string ext = format == ColmapModelFormat.Binary ? ".bin" : ".txt";
        string F(string name) => System.IO.Path.Combine(dir, name + ext);
        var points = File.Exists(F("points3D"));
        var model = format == ColmapModelFormat.Binary
            ? new ColmapModel(ColmapBinaryReader.ReadCameras(F("cameras")), ColmapBinaryReader.ReadImages(F("images")),
                points ? ColmapBinaryReader.ReadPoints3D(F("points3D")) : [], dir, format)
            : new ColmapModel(ColmapTextReader.ReadCameras(F("cameras")), ColmapTextReader.ReadImages(F("images")),
                points ? ColmapTextReader.ReadPoints3D(F("points3D")) : [], dir, format);
        model.CheckReferences(F("images"));
        return model;
    }

    /// <summary>Every image names a camera that exists; ids are unique. <paramref name="imagesFile"/> names the file in errors.</summary>
    public void CheckReferences(string imagesFile)
    {
        var cameraIds = new HashSet<int>();
        foreach (var c in Cameras)
            if (!cameraIds.Add(c.Id)) throw new ColmapFormatException($"{Sibling(imagesFile, "cameras")}: camera id {c.Id} appears twice");
        var imageIds = new HashSet<int>();
        foreach (var im in Images)
        {
            if (!imageIds.Add(im.Id)) throw new ColmapFormatException($"{imagesFile}: image id {im.Id} appears twice");
            if (!cameraIds.Contains(im.CameraId))
                throw new ColmapFormatException(
                    $"{imagesFile}: image {im.Id} (\"{im.Name}\") refers to camera {im.CameraId}, which {System.IO.Path.GetFileName(Sibling(imagesFile, "cameras"))} does not define" +
                    $" (cameras: {string.Join(", ", cameraIds.Order().Take(10))}{(cameraIds.Count > 10 ? ", …" : "")})");
        }
    }

    static string Sibling(string imagesFile, string name) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(imagesFile) ?? "", name + System.IO.Path.GetExtension(imagesFile));

    // ---- checks shared by the text and binary readers; `where` names the file and line or record ----

    internal static ColmapCamera CheckCamera(string where, int id, ColmapCameraModel model, long width, long height, double[] parameters)
    {
        if (width <= 0 || height <= 0 || width > 1 << 20 || height > 1 << 20)
            throw new ColmapFormatException($"{where}: camera {id} has size {width}×{height} (expected 1 … 1048576 pixels each way)");
        if (parameters.Length != ColmapCameraModels.ParamCount(model))
            throw new ColmapFormatException($"{where}: camera {id} ({ColmapCameraModels.Name(model)}) has {parameters.Length} parameters, the model takes {ColmapCameraModels.ParamCount(model)}");
        for (int i = 0; i < parameters.Length; i++)
            if (!double.IsFinite(parameters[i])) throw new ColmapFormatException($"{where}: camera {id} parameter {i} is {parameters[i]}");
        if (parameters[0] <= 0) throw new ColmapFormatException($"{where}: camera {id} has focal length {parameters[0]} (must be > 0)");
        return new ColmapCamera(id, model, width, height, parameters);
    }

    /// <summary>Quaternions must be unit length within 1e-3 (COLMAP writes them normalised); they are renormalised exactly.</summary>
    internal static ColmapImage CheckImage(string where, int id, double[] q, double[] t, int cameraId, string name, double[] xy, long[] ids)
    {
        if (q.Any(v => !double.IsFinite(v)) || t.Any(v => !double.IsFinite(v)))
            throw new ColmapFormatException($"{where}: image {id} (\"{name}\") has a non-finite pose: q = ({string.Join(", ", q)}), t = ({string.Join(", ", t)})");
        double norm = Math.Sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        if (Math.Abs(norm - 1) > 1e-3)
            throw new ColmapFormatException($"{where}: image {id} (\"{name}\") has a quaternion of length {norm:G6} (expected 1)");
        for (int i = 0; i < 4; i++) q[i] /= norm;
        if (name.Length == 0) throw new ColmapFormatException($"{where}: image {id} has an empty name");
        if (name.AsSpan().IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
            throw new ColmapFormatException($"{where}: image {id} has a name with a character that cannot be in a file name (NUL or control): \"{name.Replace("\0", "\\0")}\"");
        return new ColmapImage(id, q, t, cameraId, name, xy, ids);
    }

    internal static void CheckPoint(string where, long id, double x, double y, double z, double error)
    {
        if (!double.IsFinite(x) || !double.IsFinite(y) || !double.IsFinite(z))
            throw new ColmapFormatException($"{where}: point {id} has a non-finite position ({x}, {y}, {z})");
        if (double.IsNaN(error)) throw new ColmapFormatException($"{where}: point {id} has a NaN error");
    }
}
