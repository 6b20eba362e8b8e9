namespace NgpSharp.Data.Colmap;

/// <summary>COLMAP's camera model ids (src/colmap/sensor/models.h; the same table as scripts/python/read_write_model.py).</summary>
public enum ColmapCameraModel
{
    SimplePinhole = 0,
    Pinhole = 1,
    SimpleRadial = 2,
    Radial = 3,
    OpenCv = 4,
    OpenCvFisheye = 5,
    FullOpenCv = 6,
    Fov = 7,
    SimpleRadialFisheye = 8,
    RadialFisheye = 9,
    ThinPrismFisheye = 10,
}

/// <summary>Names and parameter counts of the COLMAP camera models; the binary format needs the count to find the next record.</summary>
public static class ColmapCameraModels
{
    static readonly (string Name, int ParamCount)[] Table =
    [
        ("SIMPLE_PINHOLE", 3),        // f, cx, cy
        ("PINHOLE", 4),               // fx, fy, cx, cy
        ("SIMPLE_RADIAL", 4),         // f, cx, cy, k
        ("RADIAL", 5),                // f, cx, cy, k1, k2
        ("OPENCV", 8),                // fx, fy, cx, cy, k1, k2, p1, p2
        ("OPENCV_FISHEYE", 8),        // fx, fy, cx, cy, k1, k2, k3, k4
        ("FULL_OPENCV", 12),          // fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, k5, k6
        ("FOV", 5),                   // fx, fy, cx, cy, omega
        ("SIMPLE_RADIAL_FISHEYE", 4), // f, cx, cy, k
        ("RADIAL_FISHEYE", 5),        // f, cx, cy, k1, k2
        ("THIN_PRISM_FISHEYE", 12),   // fx, fy, cx, cy, k1, k2, p1, p2, k3, k4, sx1, sy1
    ];

    /// <summary>All known model names, for error messages.</summary>
    public static string KnownNames => string.Join(", ", Table.Select(t => t.Name));

    public static string Name(ColmapCameraModel model) => Table[(int)model].Name;

    public static int ParamCount(ColmapCameraModel model) => Table[(int)model].ParamCount;

    public static bool TryFromId(int id, out ColmapCameraModel model)
    {
        model = (ColmapCameraModel)id;
        return id >= 0 && id < Table.Length;
    }

    public static bool TryFromName(string name, out ColmapCameraModel model)
    {
        int i = Array.FindIndex(Table, t => t.Name == name);
        model = (ColmapCameraModel)Math.Max(i, 0);
        return i >= 0;
    }
}
