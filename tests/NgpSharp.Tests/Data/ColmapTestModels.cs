using System.Text.Json;
using NgpSharp.Data.Colmap;
using NgpSharp.Tests.Support;

namespace NgpSharp.Tests.Data;

/// <summary>COLMAP models built from known cameras (the bunny's nerf_synthetic poses) and math written independently of the library.</summary>
static class ColmapTestModels
{
    /// <summary>The bunny's training cameras as a COLMAP model: OpenGL c2w → OpenCV w2c (q, t), moved by a similarity
    /// (COLMAP's gauge is arbitrary), PINHOLE 400×400 from camera_angle_x; a few keypoints and 3D points so every block is exercised.</summary>
    public static ColmapModel Bunny(int frames = 100, bool gauge = true)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Path("bunny", "nerf", "transforms_train.json")));
        double angle = doc.RootElement.GetProperty("camera_angle_x").GetDouble();
        double focal = 0.5 * 400 / Math.Tan(0.5 * angle);
        var cameras = new List<ColmapCamera> { new(1, ColmapCameraModel.Pinhole, 400, 400, [focal, focal, 200, 200]) };
        var images = new List<ColmapImage>();
        var (gR, gT, gS) = Gauge(gauge);
        int id = 0;
        foreach (var f in doc.RootElement.GetProperty("frames").EnumerateArray().Take(frames))
        {
            var m = f.GetProperty("transform_matrix").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
            // OpenGL → OpenCV camera: negate the camera's y and z axes; orthonormalise away the file's float rounding.
            var c2w = Orthonormalise(new[,] { { m[0][0], -m[0][1], -m[0][2] }, { m[1][0], -m[1][1], -m[1][2] }, { m[2][0], -m[2][1], -m[2][2] } });
            double[] centre = [m[0][3], m[1][3], m[2][3]];
            // Gauge: x' = s·G·x + g, so camera rotation c2w' = G·c2w and centre' = s·G·centre + g.
            c2w = Mul(gR, c2w);
            centre = Add(Scale(Apply(gR, centre), gS), gT);
            var w2c = Transpose(c2w);
            var t = Scale(Apply(w2c, centre), -1);
            var name = Path.GetFileName(f.GetProperty("file_path").GetString()!) + ".png";
            id++;
            double[] xy = id % 3 == 0 ? [] : [10.5, 20.25, 30, 40];
            long[] pids = id % 3 == 0 ? [] : [-1, 7];
            images.Add(new ColmapImage(id * 2 + 1, QuaternionFromRotation(w2c), t, 1, name, xy, pids));
        }
        var points = new List<ColmapPoint3D>
        {
            new(7, 0.1, -0.2, 0.3, 255, 128, 0, 0.5, [3, 5], [1, 1]),
            new(9, 1e-3, 2.5, -7, 1, 2, 3, 1.25, [], []),
        };
        return new ColmapModel(cameras, images, points);
    }

    /// <summary>The similarity x' = s·G·x + g that the bunny model was moved by.</summary>
    public static (double[,] G, double[] g, double s) Gauge(bool on) => on
        ? (Mul(AxisAngle([0.3, -0.5, 0.8], 2.1), AxisAngle([1, 0.2, 0], 0.7)), [5.0, -3.0, 11.0], 2.7)
        : (new double[,] { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, [0.0, 0.0, 0.0], 1.0);

    /// <summary>An image's camera-to-world in OpenGL camera axes, in COLMAP's world (no re-orientation): [3, 4].
    /// Computed by rotating the camera axes with quaternion products, not with the library's matrix.</summary>
    public static double[,] ColmapCameraToWorldOpenGl(ColmapImage im)
    {
        // w2c rotation q; c2w rotation is its conjugate.
        double[] qc = [im.Qvec[0], -im.Qvec[1], -im.Qvec[2], -im.Qvec[3]];
        var x = Rotate(qc, [1, 0, 0]);
        var y = Scale(Rotate(qc, [0, 1, 0]), -1); // OpenGL +y = OpenCV −y
        var z = Scale(Rotate(qc, [0, 0, 1]), -1);
        var c = Scale(Rotate(qc, im.Tvec), -1);
        var m = new double[3, 4];
        for (int r = 0; r < 3; r++) { m[r, 0] = x[r]; m[r, 1] = y[r]; m[r, 2] = z[r]; m[r, 3] = c[r]; }
        return m;
    }

    static double[] Rotate(double[] q, double[] v)
    {
        double[] p = [0, v[0], v[1], v[2]];
        var r = QMul(QMul(q, p), [q[0], -q[1], -q[2], -q[3]]);
        return [r[1], r[2], r[3]];
    }

    static double[] QMul(double[] a, double[] b) =>
    [
        a[0] * b[0] - a[1] * b[1] - a[2] * b[2] - a[3] * b[3],
        a[0] * b[1] + a[1] * b[0] + a[2] * b[3] - a[3] * b[2],
        a[0] * b[2] - a[1] * b[3] + a[2] * b[0] + a[3] * b[1],
        a[0] * b[3] + a[1] * b[2] - a[2] * b[1] + a[3] * b[0],
    ];

    /// <summary>Unit quaternion (w, x, y, z) of a rotation matrix (Shepperd's method), w ≥ 0.</summary>
    public static double[] QuaternionFromRotation(double[,] R)
    {
        double tr = R[0, 0] + R[1, 1] + R[2, 2];
        double[] q;
        if (tr > 0) { double s = 2 * Math.Sqrt(1 + tr); q = [0.25 * s, (R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s, (R[1, 0] - R[0, 1]) / s]; }
        else if (R[0, 0] > R[1, 1] && R[0, 0] > R[2, 2]) { double s = 2 * Math.Sqrt(1 + R[0, 0] - R[1, 1] - R[2, 2]); q = [(R[2, 1] - R[1, 2]) / s, 0.25 * s, (R[0, 1] + R[1, 0]) / s, (R[0, 2] + R[2, 0]) / s]; }
        else if (R[1, 1] > R[2, 2]) { double s = 2 * Math.Sqrt(1 + R[1, 1] - R[0, 0] - R[2, 2]); q = [(R[0, 2] - R[2, 0]) / s, (R[0, 1] + R[1, 0]) / s, 0.25 * s, (R[1, 2] + R[2, 1]) / s]; }
        else { double s = 2 * Math.Sqrt(1 + R[2, 2] - R[0, 0] - R[1, 1]); q = [(R[1, 0] - R[0, 1]) / s, (R[0, 2] + R[2, 0]) / s, (R[1, 2] + R[2, 1]) / s, 0.25 * s]; }
        if (q[0] < 0) q = q.Select(v => -v).ToArray();
        double n = Math.Sqrt(q.Sum(v => v * v));
        return q.Select(v => v / n).ToArray();
    }

    public static double[,] AxisAngle(double[] axis, double angle)
    {
        double n = Math.Sqrt(axis.Sum(v => v * v));
        double x = axis[0] / n, y = axis[1] / n, z = axis[2] / n, c = Math.Cos(angle), s = Math.Sin(angle), C = 1 - c;
        return new[,] { { c + x * x * C, x * y * C - z * s, x * z * C + y * s }, { y * x * C + z * s, c + y * y * C, y * z * C - x * s }, { z * x * C - y * s, z * y * C + x * s, c + z * z * C } };
    }

    static double[,] Orthonormalise(double[,] m)
    {
        double[] a = [m[0, 0], m[1, 0], m[2, 0]], b = [m[0, 1], m[1, 1], m[2, 1]];
        a = Scale(a, 1 / Norm(a));
        b = Add(b, Scale(a, -Dot(a, b)));
        b = Scale(b, 1 / Norm(b));
        double[] c = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
        return new[,] { { a[0], b[0], c[0] }, { a[1], b[1], c[1] }, { a[2], b[2], c[2] } };
    }

    public static double[,] Mul(double[,] a, double[,] b)
    {
        var m = new double[3, 3];
        for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) for (int k = 0; k < 3; k++) m[r, c] += a[r, k] * b[k, c];
        return m;
    }

    public static double[,] Transpose(double[,] a) { var m = new double[3, 3]; for (int r = 0; r < 3; r++) for (int c = 0; c < 3; c++) m[r, c] = a[c, r]; return m; }
    public static double[] Apply(double[,] a, double[] v) => [a[0, 0] * v[0] + a[0, 1] * v[1] + a[0, 2] * v[2], a[1, 0] * v[0] + a[1, 1] * v[1] + a[1, 2] * v[2], a[2, 0] * v[0] + a[2, 1] * v[1] + a[2, 2] * v[2]];
    public static double[] Add(double[] a, double[] b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
    public static double[] Sub(double[] a, double[] b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    public static double[] Scale(double[] a, double s) => [a[0] * s, a[1] * s, a[2] * s];
    public static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    public static double Norm(double[] a) => Math.Sqrt(Dot(a, a));
    public static double[] Column(double[,] m, int c) => [m[0, c], m[1, c], m[2, c]];
}
