using System.Globalization;

namespace NgpSharp.Data.Colmap;

/// <summary>
/// Reads COLMAP's text model files. Lines starting with '#' are comments; fields are separated by spaces.
/// cameras.txt: <c>CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]</c>.
/// images.txt: two lines per image, <c>IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME</c> then <c>(X Y POINT3D_ID)*</c>;
/// the second line is read even when empty (an image with no keypoints), so blank lines are skipped only between images.
/// points3D.txt: <c>POINT3D_ID X Y Z R G B ERROR (IMAGE_ID POINT2D_IDX)*</c>.
/// </summary>
public static class ColmapTextReader
{
    static readonly char[] Separators = [' ', '\t'];

    public static List<ColmapCamera> ReadCameras(string path)
    {
        var cameras = new List<ColmapCamera>();
        foreach (var (lineNo, line) in DataLines(path))
        {
            var where = $"{path} line {lineNo}";
            var f = Fields(line);
            Need(f, 5, where, "CAMERA_ID MODEL WIDTH HEIGHT PARAMS[]");
            int id = Int(f[0], where, "CAMERA_ID");
            if (!ColmapCameraModels.TryFromName(f[1], out var model))
                throw new ColmapFormatException($"{where}: unknown camera model \"{f[1]}\" (known: {ColmapCameraModels.KnownNames})");
            var p = new double[f.Length - 4];
            for (int i = 0; i < p.Length; i++) p[i] = Double(f[4 + i], where, $"parameter {i}");
            cameras.Add(ColmapModel.CheckCamera(where, id, model, Long(f[2], where, "WIDTH"), Long(f[3], where, "HEIGHT"), p));
        }
        return cameras;
    }

    public static List<ColmapImage> ReadImages(string path)
    {
        var images = new List<ColmapImage>();
        var lines = ReadLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            var where = $"{path} line {i + 1}";
            var f = Fields(line);
            Need(f, 10, where, "IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME");
            int id = Int(f[0], where, "IMAGE_ID");
            var q = new double[4];
            var t = new double[3];
            for (int k = 0; k < 4; k++) q[k] = Double(f[1 + k], where, "QW QX QY QZ"[(3 * k)..(3 * k + 2)]);
            for (int k = 0; k < 3; k++) t[k] = Double(f[5 + k], where, "TX TY TZ"[(3 * k)..(3 * k + 2)]);
            int cameraId = Int(f[8], where, "CAMERA_ID");
            // The name is the rest of the line after the ninth field, so names with spaces survive.
            string name = RestAfterFields(line, 9);
            // The keypoint line follows directly (possibly empty); a file that ends right after the image line has none.
            double[] xy = [];
            long[] ids = [];
            if (i + 1 < lines.Length)
            {
                i++;
                var pw = $"{path} line {i + 1}";
                var pf = Fields(lines[i]);
                if (pf.Length % 3 != 0)
                    throw new ColmapFormatException($"{pw}: the keypoints of image {id} need X Y POINT3D_ID triples, got {pf.Length} fields");
                xy = new double[pf.Length / 3 * 2];
                ids = new long[pf.Length / 3];
                for (int k = 0; k < ids.Length; k++)
                {
                    xy[2 * k] = Double(pf[3 * k], pw, $"keypoint {k} X");
                    xy[2 * k + 1] = Double(pf[3 * k + 1], pw, $"keypoint {k} Y");
                    ids[k] = Long(pf[3 * k + 2], pw, $"keypoint {k} POINT3D_ID");
                }
            }
            images.Add(ColmapModel.CheckImage(where, id, q, t, cameraId, name, xy, ids));
        }
        return images;
    }

    public static List<ColmapPoint3D> ReadPoints3D(string path)
    {
        var points = new List<ColmapPoint3D>();
        foreach (var (lineNo, line) in DataLines(path))
        {
            var where = $"{path} line {lineNo}";
            var f = Fields(line);
            Need(f, 8, where, "POINT3D_ID X Y Z R G B ERROR TRACK[]");
            if ((f.Length - 8) % 2 != 0)
                throw new ColmapFormatException($"{where}: the track needs IMAGE_ID POINT2D_IDX pairs, got {f.Length - 8} fields");
            long id = Long(f[0], where, "POINT3D_ID");
            double x = Double(f[1], where, "X"), y = Double(f[2], where, "Y"), z = Double(f[3], where, "Z");
            byte r = Byte(f[4], where, "R"), g = Byte(f[5], where, "G"), b = Byte(f[6], where, "B");
            double error = Double(f[7], where, "ERROR");
            ColmapModel.CheckPoint(where, id, x, y, z, error);
            var imageIds = new int[(f.Length - 8) / 2];
            var pointIdx = new int[imageIds.Length];
            for (int k = 0; k < imageIds.Length; k++)
            {
                imageIds[k] = Int(f[8 + 2 * k], where, $"track {k} IMAGE_ID");
                pointIdx[k] = Int(f[9 + 2 * k], where, $"track {k} POINT2D_IDX");
            }
            points.Add(new ColmapPoint3D(id, x, y, z, r, g, b, error, imageIds, pointIdx));
        }
        return points;
    }

    static string[] ReadLines(string path) =>
        File.Exists(path) ? File.ReadAllLines(path) : throw new FileNotFoundException($"COLMAP file not found: {path}", path);

    /// <summary>Non-empty, non-comment lines with their 1-based numbers.</summary>
    static IEnumerable<(int, string)> DataLines(string path)
    {
        var lines = ReadLines(path);
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length > 0 && line[0] != '#') yield return (i + 1, line);
        }
    }

    static string[] Fields(string line) => line.Split(Separators, StringSplitOptions.RemoveEmptyEntries);

    static string RestAfterFields(string line, int count)
    {
        int at = 0;
        for (int k = 0; k < count; k++)
        {
            while (at < line.Length && Array.IndexOf(Separators, line[at]) >= 0) at++;
            while (at < line.Length && Array.IndexOf(Separators, line[at]) < 0) at++;
        }
        return line[at..].Trim();
    }

    static void Need(string[] f, int count, string where, string layout)
    {
        if (f.Length < count) throw new ColmapFormatException($"{where}: expected {layout}, got {f.Length} field{(f.Length == 1 ? "" : "s")}");
    }

    static int Int(string s, string where, string what) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(s, where, what, "an integer");

    static long Long(string s, string where, string what) =>
        long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(s, where, what, "an integer");

    static byte Byte(string s, string where, string what) =>
        byte.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(s, where, what, "an integer 0 … 255");

    static double Double(string s, string where, string what) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw Bad(s, where, what, "a number");

    static ColmapFormatException Bad(string s, string where, string what, string expected) =>
        new($"{where}: {what} must be {expected}, got \"{s}\"");
}
