using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Geometry;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// Camera rigs of nerf_synthetic: train/val views uniformly distributed over the upper hemisphere (uniform in
/// area: height uniform in [0, r)), test views on an orbit, all looking at the origin with world +Z up and no roll
/// (camera +x horizontal). Intrinsics: square pixels, fx = fy = 0.5·W / tan(0.5·camera_angle_x), principal point at
/// the image centre, no distortion.
/// </summary>
public static class DatasetCameras
{
    /// <summary>nerf_synthetic's horizontal field of view (≈ 39.6°, Blender's 50 mm lens on a 36 mm sensor).</summary>
    public const double BlenderCameraAngleX = 0.6911112070083618;

    /// <summary>A camera at <paramref name="position"/> looking at <paramref name="target"/>, image +x horizontal
    /// (perpendicular to world +Z); straight above or below the target, image up is world +Y.</summary>
    public static Camera LookAt(Vector3 position, Vector3 target, int width, int height, double cameraAngleX)
    {
        if (!(cameraAngleX > 0 && cameraAngleX < Math.PI)) throw new ArgumentOutOfRangeException(nameof(cameraAngleX), cameraAngleX, "camera_angle_x must be in (0, π)");
        var back = position - target;
        if (!(back.Length() > 0)) throw new ArgumentException($"camera position {position} coincides with its target");
        back = Vector3.Normalize(back);
        var x = Vector3.Cross(Vector3.UnitZ, back);
        if (x.Length() < 1e-6f) x = Vector3.Cross(Vector3.UnitY, back);
        x = Vector3.Normalize(x);
        var y = Vector3.Cross(back, x);
        float focal = (float)(0.5 * width / Math.Tan(0.5 * cameraAngleX));
        return new Camera(width, height, focal, focal, 0.5f * width, 0.5f * height, x, y, back, position);
    }

    /// <summary><paramref name="count"/> cameras at distance <paramref name="radius"/> uniformly distributed over the
    /// upper hemisphere (z ≥ 0), drawn from <paramref name="rng"/> (two draws per camera).</summary>
    public static Camera[] Hemisphere(int count, float radius, ref Rng rng, int width, int height, double cameraAngleX)
    {
        var result = new Camera[count];
        for (int i = 0; i < count; i++)
        {
            double z = rng.NextDouble(), azimuth = 2 * Math.PI * rng.NextDouble();
            double ring = Math.Sqrt(Math.Max(0, 1 - z * z));
            var p = new Vector3((float)(ring * Math.Cos(azimuth)), (float)(ring * Math.Sin(azimuth)), (float)z) * radius;
            result[i] = LookAt(p, Vector3.Zero, width, height, cameraAngleX);
        }
        return result;
    }

    /// <summary><paramref name="count"/> cameras on a circle at <paramref name="elevationDegrees"/>, azimuth
    /// 360°·i/count starting on +X (nerf_synthetic's test orbit).</summary>
    public static Camera[] Orbit(int count, float radius, double elevationDegrees, int width, int height, double cameraAngleX)
    {
        double elevation = elevationDegrees * Math.PI / 180;
        var result = new Camera[count];
        for (int i = 0; i < count; i++)
        {
            double azimuth = 2 * Math.PI * i / count;
            var p = new Vector3((float)(Math.Cos(elevation) * Math.Cos(azimuth)), (float)(Math.Cos(elevation) * Math.Sin(azimuth)), (float)Math.Sin(elevation)) * radius;
            result[i] = LookAt(p, Vector3.Zero, width, height, cameraAngleX);
        }
        return result;
    }

    /// <summary>The camera-to-world 4×4 <c>transform_matrix</c> (OpenGL/Blender camera), row-major.</summary>
    public static double[,] TransformMatrix(Camera c)
    {
        var pose = c.PoseMatrix();
        var m = new double[4, 4];
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 4; k++) m[r, k] = pose[4 * r + k];
        m[3, 3] = 1;
        return m;
    }

    /// <summary>
    /// The NeuS/DTU projection <c>world_mat</c> = K·[R | t] as 4×4 (OpenCV camera: +x right, +y down, looking down +z;
    /// K = [[fx, 0, cx, 0], [0, fy, cy, 0], [0, 0, 1, 0], [0, 0, 0, 1]]), and K itself (<c>camera_mat</c>).
    /// </summary>
    public static (double[,] WorldMat, double[,] CameraMat) OpenCvProjection(Camera c)
    {
        var rows = new[] { c.XAxis, -c.YAxis, -c.ZAxis }; // world→camera rotation rows (OpenGL → OpenCV flips y, z)
        var k = new double[4, 4];
        (k[0, 0], k[0, 2], k[1, 1], k[1, 2], k[2, 2], k[3, 3]) = (c.Fx, c.Cx, c.Fy, c.Cy, 1, 1);
        var rt = new double[4, 4];
        for (int r = 0; r < 3; r++)
        {
            (rt[r, 0], rt[r, 1], rt[r, 2]) = (rows[r].X, rows[r].Y, rows[r].Z);
            rt[r, 3] = -((double)rows[r].X * c.Position.X + (double)rows[r].Y * c.Position.Y + (double)rows[r].Z * c.Position.Z);
        }
        rt[3, 3] = 1;
        var world = new double[4, 4];
        for (int r = 0; r < 4; r++)
            for (int col = 0; col < 4; col++)
                for (int i = 0; i < 4; i++) world[r, col] += k[r, i] * rt[i, col];
        return (world, k);
    }
}
