namespace NgpSharp.Data.Colmap;

/// <summary>
/// COLMAP model → instant-ngp transforms.json, step for step as instant-ngp's scripts/colmap2nerf.py does it
/// (without its optional re-running of COLMAP and without the per-frame "sharpness" field):
/// <list type="number">
/// <item>c2w = inverse of the world-to-camera [R(q) | t];</item>
/// <item>OpenCV → OpenGL camera: negate columns 2 and 1 (camera z and y); then the world change the script makes:
///   swap rows 0 and 1, negate row 2 (a proper rotation, det +1);</item>
/// <item>up = Σ camera y axes; rotate every pose by the rotation taking up/|up| to +z (Rodrigues form, as the script);</item>
/// <item>centre: for every ordered pair of cameras, the midpoint of the closest points of their z axes (o + t·d with
///   t clamped to ≤ 0, i.e. in front of the camera), weighted by |d_a × d_b|² and kept where that weight exceeds 1e-5;
///   the weighted mean is moved to the origin;</item>
/// <item>scale translations so the mean camera distance from the origin is 4.</item>
/// </list>
/// Intrinsics per camera model as the script maps them (SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV).
/// Frames are sorted by image name (ordinal).
/// </summary>
public static class ColmapToNerf
{
    /// <summary>instant-ngp's current colmap2nerf default (--aabb_scale 32, choices 1 … 128).</summary>
    public const int DefaultAabbScale = 32;

    /// <summary>Loads the model at <paramref name="modelPath"/>, checks every image exists under <paramref name="imagesDir"/>,
    /// converts and writes <paramref name="outputPath"/>.</summary>
    public static NerfTransforms Run(string modelPath, string imagesDir, string outputPath, int aabbScale = DefaultAabbScale)
    {
        CheckAabbScale(aabbScale);
        var model = ColmapModel.Load(modelPath);
        if (!Directory.Exists(imagesDir)) throw new DirectoryNotFoundException($"images folder not found: {imagesDir}");
        var missing = model.Images.Where(im => !File.Exists(Path.Combine(imagesDir, im.Name))).Select(im => im.Name).ToList();
        if (missing.Count > 0)
            throw new FileNotFoundException($"{imagesDir}: {missing.Count} of the model's {model.Images.Count} images are missing, e.g. " +
                string.Join(", ", missing.Take(3).Select(n => $"\"{n}\"")));
        var result = Convert(model, imagesDir, outputPath, aabbScale);
        result.Write(outputPath);
        return result;
    }

    /// <summary>The conversion alone (no file access). File paths are written relative to <paramref name="outputPath"/>'s folder.</summary>
    public static NerfTransforms Convert(ColmapModel model, string imagesDir, string outputPath, int aabbScale = DefaultAabbScale)
    {
        CheckAabbScale(aabbScale);
        var where = model.Directory.Length > 0 ? model.Directory : "COLMAP model";
        if (model.Images.Count == 0) throw new ColmapFormatException($"{where}: the model has no registered images");
        var cameras = model.Cameras.ToDictionary(c => c.Id);
        var images = model.Images.OrderBy(im => im.Name, StringComparer.Ordinal).ToList();
        var intrinsics = new Dictionary<int, NerfIntrinsics>();
        foreach (var im in images)
        {
            if (!cameras.TryGetValue(im.CameraId, out var cam))
                throw new ColmapFormatException($"{where}: image {im.Id} (\"{im.Name}\") refers to camera {im.CameraId}, which the model does not define");
            if (!intrinsics.ContainsKey(cam.Id)) intrinsics[cam.Id] = Intrinsics(cam, where);
        }

        var poses = images.Select(ToOpenGl).ToList();
        var worldFromColmap = WorldFlip();

        var up = new double[3];
        foreach (var m in poses) for (int r = 0; r < 3; r++) up[r] += m[r, 1];
        double upNorm = Math.Sqrt(Dot(up, up));
        if (!(upNorm > 1e-12)) throw new ColmapFormatException($"{where}: the cameras' up vectors cancel out; no up direction to align with +z");
        var rotate = RotationBetween([up[0] / upNorm, up[1] / upNorm, up[2] / upNorm], [0, 0, 1]);
        for (int i = 0; i < poses.Count; i++) poses[i] = Mul(rotate, poses[i]);
        worldFromColmap = Mul(rotate, worldFromColmap);

        var centre = CentreOfAttention(poses);
        foreach (var m in poses) for (int r = 0; r < 3; r++) m[r, 3] -= centre[r];
        for (int r = 0; r < 3; r++) worldFromColmap[r, 3] -= centre[r];

        double meanDistance = poses.Average(m => Math.Sqrt(m[0, 3] * m[0, 3] + m[1, 3] * m[1, 3] + m[2, 3] * m[2, 3]));
        // One camera at the centre (or all cameras at one point) has no scale; leave it as is instead of dividing by 0.
        double scale = meanDistance > 1e-12 ? 4.0 / meanDistance : 1.0;
        foreach (var m in poses) for (int r = 0; r < 3; r++) m[r, 3] *= scale;
        for (int r = 0; r < 3; r++) for (int c = 0; c < 4; c++) worldFromColmap[r, c] *= scale;

        // Finite but huge inputs (t = 1e308) overflow the centring and scaling: refuse rather than write NaN poses.
        for (int i = 0; i < poses.Count; i++)
            foreach (double v in poses[i])
                if (!double.IsFinite(v))
                    throw new ColmapFormatException($"{where}: image {images[i].Id} (\"{images[i].Name}\"): the pose overflows during conversion (t = ({string.Join(", ", images[i].Tvec)})); the model's coordinates are out of range");
        bool shared = intrinsics.Count == 1;
        var outDir = Path.GetDirectoryName(Path.GetFullPath(outputPath))!;
        var frames = images.Select((im, i) => new NerfFrame(
            Path.GetRelativePath(outDir, Path.GetFullPath(Path.Combine(imagesDir, im.Name))).Replace('\\', '/'),
            poses[i], shared ? null : intrinsics[im.CameraId], im.Id)).ToList();
        return new NerfTransforms(shared ? intrinsics.Values.Single() : null, aabbScale, frames, worldFromColmap);
    }

    /// <summary>Steps 1–2: the image's camera-to-world in OpenGL camera axes and the script's world frame. [4, 4].</summary>
    public static double[,] ToOpenGl(ColmapImage image)
    {
        var R = RotationFromQuaternion(image.Qvec);
        var t = image.Tvec;
        var c2w = new double[4, 4];
        for (int r = 0; r < 3; r++)
        {
            for (int c = 0; c < 3; c++) c2w[r, c] = R[c, r]; // Rᵀ
            c2w[r, 3] = -(R[0, r] * t[0] + R[1, r] * t[1] + R[2, r] * t[2]); // −Rᵀt
        }
        c2w[3, 3] = 1;
        for (int r = 0; r < 3; r++) { c2w[r, 2] = -c2w[r, 2]; c2w[r, 1] = -c2w[r, 1]; } // camera y and z flipped
        for (int c = 0; c < 4; c++) (c2w[0, c], c2w[1, c]) = (c2w[1, c], c2w[0, c]);     // world x ↔ y
        for (int c = 0; c < 4; c++) c2w[2, c] = -c2w[2, c];                                // world z flipped
        return c2w;
    }

    /// <summary>The world part of step 2 as a 4×4: rows 0 and 1 swapped, row 2 negated.</summary>
    static double[,] WorldFlip() => new double[,] { { 0, 1, 0, 0 }, { 1, 0, 0, 0 }, { 0, 0, -1, 0 }, { 0, 0, 0, 1 } };

    /// <summary>Rotation matrix of a unit quaternion (w, x, y, z): [3, 3].</summary>
    public static double[,] RotationFromQuaternion(double[] q)
    {
        double w = q[0], x = q[1], y = q[2], z = q[3];
        return new[,]
        {
            { 1 - 2 * y * y - 2 * z * z, 2 * x * y - 2 * w * z, 2 * z * x + 2 * w * y },
            { 2 * x * y + 2 * w * z, 1 - 2 * x * x - 2 * z * z, 2 * y * z - 2 * w * x },
            { 2 * z * x - 2 * w * y, 2 * y * z + 2 * w * x, 1 - 2 * x * x - 2 * y * y },
        };
    }

    /// <summary>Rotation [4, 4] taking unit a to unit b: I + K + K²·(1 − c)/s², K = [a × b]ₓ, c = a·b, s = |a × b| (the script's
    /// rotmat, whose "+ 1e-10" in the denominator we drop: it leaves the matrix off orthonormal by ~1e-10; a = b gives I).
    /// Opposite vectors (the script perturbs them at random) get a deterministic half turn about an axis ⟂ a.</summary>
    static double[,] RotationBetween(double[] a, double[] b)
    {
        var v = Cross(a, b);
        double c = Dot(a, b), s2 = Dot(v, v);
        var m = new double[4, 4];
        m[3, 3] = 1;
        if (c < -1 + 1e-10)
        {
            var axis = Math.Abs(a[0]) < 0.9 ? Cross(a, [1, 0, 0]) : Cross(a, [0, 1, 0]);
            double n = Math.Sqrt(Dot(axis, axis));
            for (int r = 0; r < 3; r++) for (int k = 0; k < 3; k++) m[r, k] = 2 * axis[r] * axis[k] / (n * n) - (r == k ? 1 : 0);
            return m;
        }
        double[,] K = { { 0, -v[2], v[1] }, { v[2], 0, -v[0] }, { -v[1], v[0], 0 } };
        double f = s2 > 1e-30 ? (1 - c) / s2 : 0.5; // (1 − c)/s² → 1/2 as a → b
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 3; k++)
            {
                double kk = 0;
                for (int j = 0; j < 3; j++) kk += K[r, j] * K[j, k];
                m[r, k] = (r == k ? 1 : 0) + K[r, k] + kk * f;
            }
        return m;
    }

    /// <summary>Step 4: the weighted mean of the pairwise closest points of the cameras' z axes. poses: [N] of [4, 4].</summary>
    public static double[] CentreOfAttention(IReadOnlyList<double[,]> poses)
    {
        var total = new double[3];
        double totalWeight = 0;
        foreach (var f in poses)
            foreach (var g in poses)
            {
                var (p, weight) = ClosestPointOfTwoLines(Column(f, 3), Column(f, 2), Column(g, 3), Column(g, 2));
                if (weight > 1e-5) { for (int r = 0; r < 3; r++) total[r] += p[r] * weight; totalWeight += weight; }
            }
        if (totalWeight > 0) for (int r = 0; r < 3; r++) total[r] /= totalWeight;
        return total;
    }

    /// <summary>The midpoint of the closest points of lines oa + ta·da and ob + tb·db with ta, tb clamped to ≤ 0, and the
    /// weight |da × db|² (0 for parallel lines).</summary>
    static (double[] Point, double Weight) ClosestPointOfTwoLines(double[] oa, double[] da, double[] ob, double[] db)
    {
        da = Normalised(da);
        db = Normalised(db);
        var c = Cross(da, db);
        double denom = Dot(c, c);
        double[] t = [ob[0] - oa[0], ob[1] - oa[1], ob[2] - oa[2]];
        double ta = Math.Min(Dot(t, Cross(db, c)) / (denom + 1e-10), 0); // det([t, db, c])
        double tb = Math.Min(Dot(t, Cross(da, c)) / (denom + 1e-10), 0); // det([t, da, c])
        var p = new double[3];
        for (int r = 0; r < 3; r++) p[r] = (oa[r] + ta * da[r] + ob[r] + tb * db[r]) * 0.5;
        return (p, denom);
    }

    /// <summary>transforms.json intrinsics for one camera, mapped as colmap2nerf.py maps each model.</summary>
    public static NerfIntrinsics Intrinsics(ColmapCamera cam, string where = "COLMAP model")
    {
        var p = cam.Params;
        int w = checked((int)cam.Width), h = checked((int)cam.Height);
        return cam.Model switch
        {
            ColmapCameraModel.SimplePinhole => new(p[0], p[0], p[1], p[2], w, h, 0, 0, 0, 0),
            ColmapCameraModel.Pinhole => new(p[0], p[1], p[2], p[3], w, h, 0, 0, 0, 0),
            ColmapCameraModel.SimpleRadial => new(p[0], p[0], p[1], p[2], w, h, p[3], 0, 0, 0),
            ColmapCameraModel.Radial => new(p[0], p[0], p[1], p[2], w, h, p[3], p[4], 0, 0),
            ColmapCameraModel.OpenCv => new(p[0], p[1], p[2], p[3], w, h, p[4], p[5], p[6], p[7]),
            _ => throw new ColmapFormatException(
                $"{where}: camera {cam.Id} uses the {ColmapCameraModels.Name(cam.Model)} model, which transforms.json cannot express " +
                "(supported: SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV; re-run COLMAP with one of them or undistort the images)"),
        };
    }

    static void CheckAabbScale(int s)
    {
        if (s < 1 || s > 128 || (s & (s - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(s), s, "aabb_scale must be a power of two from 1 to 128");
    }

    static double[,] Mul(double[,] a, double[,] b)
    {
        var m = new double[4, 4];
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) { double s = 0; for (int k = 0; k < 4; k++) s += a[r, k] * b[k, c]; m[r, c] = s; }
        return m;
    }

    static double[] Column(double[,] m, int c) => [m[0, c], m[1, c], m[2, c]];
    static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    static double[] Cross(double[] a, double[] b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    static double[] Normalised(double[] a) { double n = Math.Sqrt(Dot(a, a)); return [a[0] / n, a[1] / n, a[2] / n]; }
}
