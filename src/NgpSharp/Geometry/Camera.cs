using System.Numerics;

namespace NgpSharp.Geometry;

/// <summary>
/// A pinhole camera: intrinsics in pixels (pixel (i, j) covers [i, i+1) × [j, j+1), so its centre is at +0.5),
/// OpenCV radial-tangential <see cref="LensDistortion"/>, and a rigid camera-to-world pose in the OpenGL/Blender
/// convention of nerf_synthetic's <c>transform_matrix</c>: camera +x is right, +y up, and it looks down −z.
/// World = <c>XAxis·c.x + YAxis·c.y + ZAxis·c.z + Position</c> for a camera-space point c.
/// </summary>
public sealed class Camera
{
    public Camera(int width, int height, float fx, float fy, float cx, float cy,
        Vector3 xAxis, Vector3 yAxis, Vector3 zAxis, Vector3 position, LensDistortion distortion = default)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"camera size {width}×{height} must be positive");
        if (!(fx > 0 && fy > 0) || !float.IsFinite(fx) || !float.IsFinite(fy))
            throw new ArgumentOutOfRangeException(nameof(fx), $"focal lengths ({fx}, {fy}) must be positive and finite");
        if (!float.IsFinite(cx) || !float.IsFinite(cy)) throw new ArgumentOutOfRangeException(nameof(cx), "principal point must be finite");
        (Width, Height, Fx, Fy, Cx, Cy) = (width, height, fx, fy, cx, cy);
        (XAxis, YAxis, ZAxis, Position, Distortion) = (xAxis, yAxis, zAxis, position, distortion);
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Focal lengths in pixels.</summary>
    public float Fx { get; }
    public float Fy { get; }
    /// <summary>Principal point in pixels (W/2, H/2 for a centred camera).</summary>
    public float Cx { get; }
    public float Cy { get; }
    public LensDistortion Distortion { get; }

    /// <summary>Camera +x (image right) in world coordinates, unit length.</summary>
    public Vector3 XAxis { get; }
    /// <summary>Camera +y (image up) in world coordinates, unit length.</summary>
    public Vector3 YAxis { get; }
    /// <summary>Camera +z (pointing backwards: the camera looks along −ZAxis), unit length.</summary>
    public Vector3 ZAxis { get; }
    /// <summary>The camera centre in world coordinates.</summary>
    public Vector3 Position { get; }

    /// <summary>The unit viewing direction (−ZAxis).</summary>
    public Vector3 Forward => -ZAxis;

    /// <summary>The pose as a row-major 3×4 camera-to-world matrix [R | t] (12 values).</summary>
    public float[] PoseMatrix() =>
    [
        XAxis.X, YAxis.X, ZAxis.X, Position.X,
        XAxis.Y, YAxis.Y, ZAxis.Y, Position.Y,
        XAxis.Z, YAxis.Z, ZAxis.Z, Position.Z,
    ];

    /// <summary>
    /// The ray through pixel position (px, py) (top-left corner of the image is (0, 0), pixel centres at +0.5):
    /// origin = <see cref="Position"/>, unit direction = R·(x, −y, −1)/‖·‖ where (x, y) are the undistorted
    /// normalised OpenCV coordinates of the pixel.
    /// </summary>
    public (Vector3 Origin, Vector3 Direction) Ray(float px, float py)
    {
        double x = (px - Cx) / (double)Fx, y = (py - Cy) / (double)Fy;
        if (!Distortion.IsNone) (x, y) = Distortion.Undistort(x, y);
        var d = XAxis * (float)x - YAxis * (float)y - ZAxis;
        return (Position, Vector3.Normalize(d));
    }

    /// <summary>
    /// Rays for a batch of pixel positions. pixels: [N, 2] (px, py); origins, directions: [N, 3] (unit directions).
    /// </summary>
    public void Rays(ReadOnlySpan<float> pixels, Span<float> origins, Span<float> directions)
    {
        if (pixels.Length % 2 != 0) throw new ArgumentException($"pixels holds {pixels.Length} values, not [N, 2]", nameof(pixels));
        int n = pixels.Length / 2;
        if (origins.Length < 3 * n || directions.Length < 3 * n)
            throw new ArgumentException($"origins/directions need [N, 3] = {3 * n} values, got {origins.Length}/{directions.Length}");
        for (int i = 0; i < n; i++)
        {
            var (o, d) = Ray(pixels[2 * i], pixels[2 * i + 1]);
            o.CopyTo(origins.Slice(3 * i, 3));
            d.CopyTo(directions.Slice(3 * i, 3));
        }
    }

    /// <summary>
    /// The pixel position where a world point appears (inverse of <see cref="Ray"/>, lens distortion applied), or
    /// (NaN, NaN) when the point is not in front of the camera. The result may lie outside the image.
    /// </summary>
    public Vector2 Project(Vector3 worldPoint)
    {
        var d = worldPoint - Position;
        double cx = Vector3.Dot(XAxis, d), cy = Vector3.Dot(YAxis, d), cz = Vector3.Dot(ZAxis, d);
        if (!(cz < 0)) return new Vector2(float.NaN, float.NaN);
        double x = cx / -cz, y = cy / cz; // OpenCV normalised coordinates: y points down
        if (!Distortion.IsNone) (x, y) = Distortion.Distort(x, y);
        return new Vector2((float)(Fx * x + Cx), (float)(Fy * y + Cy));
    }

    /// <summary>True when <paramref name="worldPoint"/> is in front of the camera and projects inside the image.</summary>
    public bool Sees(Vector3 worldPoint)
    {
        var p = Project(worldPoint);
        return p.X >= 0 && p.X <= Width && p.Y >= 0 && p.Y <= Height;
    }

    /// <summary>
    /// The same camera for an image downscaled by an integer factor (box filter over factor×factor blocks, the
    /// remainder rows/columns cropped): size ⌊W/f⌋ × ⌊H/f⌋, focal lengths and principal point divided by f, so
    /// pixel position p in the original maps exactly to p/f.
    /// </summary>
    public Camera Downscaled(int factor)
    {
        if (factor < 1 || factor > Width || factor > Height)
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"downscale factor must be in [1, {Math.Min(Width, Height)}]");
        if (factor == 1) return this;
        return new Camera(Width / factor, Height / factor, Fx / factor, Fy / factor, Cx / factor, Cy / factor,
            XAxis, YAxis, ZAxis, Position, Distortion);
    }

    /// <summary>The same intrinsics with another pose.</summary>
    public Camera WithPose(Vector3 xAxis, Vector3 yAxis, Vector3 zAxis, Vector3 position) =>
        new(Width, Height, Fx, Fy, Cx, Cy, xAxis, yAxis, zAxis, position, Distortion);
}
