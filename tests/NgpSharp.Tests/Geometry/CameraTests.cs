using System.Numerics;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class CameraTests
{
    /// <summary>A camera at (1, 2, 3) rotated 30° about a tilted axis, off-centre principal point, non-square pixels.</summary>
    static Camera Tilted(LensDistortion distortion = default)
    {
        var q = Quaternion.CreateFromAxisAngle(Vector3.Normalize(new Vector3(0.3f, 1f, -0.2f)), MathF.PI / 6);
        return new Camera(64, 48, 50f, 55f, 30.5f, 25f,
            Vector3.Transform(Vector3.UnitX, q), Vector3.Transform(Vector3.UnitY, q), Vector3.Transform(Vector3.UnitZ, q),
            new Vector3(1, 2, 3), distortion);
    }

    static readonly LensDistortion Lens = new(-0.12f, 0.03f, 0.001f, -0.002f);

    [Fact]
    public void RayThroughPrincipalPointIsMinusZAxis()
    {
        foreach (var cam in new[] { Tilted(), Tilted(Lens) })
        {
            var (o, d) = cam.Ray(cam.Cx, cam.Cy);
            Assert.Equal(cam.Position, o);
            Assert.True(Vector3.Distance(d, -cam.ZAxis) < 1e-6f, $"{d} vs {-cam.ZAxis}");
        }
    }

    [Fact]
    public void ImageAxesFollowOpenGlConvention()
    {
        // identity pose: pixels right of centre look towards +x, pixels below the centre (larger py) towards −y
        var cam = new Camera(10, 10, 10, 10, 5, 5, Vector3.UnitX, Vector3.UnitY, Vector3.UnitZ, Vector3.Zero);
        var (_, right) = cam.Ray(10, 5);
        var (_, down) = cam.Ray(5, 10);
        Assert.Equal(Vector3.Normalize(new Vector3(0.5f, 0, -1)), right);
        Assert.Equal(Vector3.Normalize(new Vector3(0, -0.5f, -1)), down);
        Assert.Equal(new Vector2(5, 5), cam.Project(new Vector3(0, 0, -3)));
        Assert.True(float.IsNaN(cam.Project(new Vector3(0, 0, 3)).X)); // behind the camera
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ProjectInvertsRay(bool distorted)
    {
        var cam = Tilted(distorted ? Lens : default);
        for (float py = 0.5f; py < cam.Height; py += 3.7f)
        for (float px = 0.25f; px < cam.Width; px += 4.3f)
        {
            var (o, d) = cam.Ray(px, py);
            var p = cam.Project(o + 2.5f * d);
            Assert.True(Math.Abs(p.X - px) < 2e-3 && Math.Abs(p.Y - py) < 2e-3, $"({px}, {py}) → {p}");
        }
    }

    [Fact]
    public void UndistortInvertsDistort()
    {
        for (double y = -0.6; y <= 0.6; y += 0.1)
        for (double x = -0.6; x <= 0.6; x += 0.1)
        {
            var (ux, uy) = Lens.Undistort(x, y);
            var (dx, dy) = Lens.Distort(ux, uy);
            Assert.True(Math.Abs(dx - x) < 1e-10 && Math.Abs(dy - y) < 1e-10, $"({x}, {y}) → ({dx}, {dy})");
        }
        // the lens actually moves points (barrel distortion pulls the corner in)
        Assert.True(Lens.Distort(0.5, 0.5).X < 0.49);
    }

    [Fact]
    public void DownscaledCameraMapsPixelPositionsByTheFactor()
    {
        var cam = Tilted(Lens);
        var small = cam.Downscaled(4);
        Assert.Equal((16, 12), (small.Width, small.Height));
        var (_, d) = cam.Ray(17.3f, 9.1f);
        var (_, ds) = small.Ray(17.3f / 4, 9.1f / 4);
        Assert.True(Vector3.Distance(d, ds) < 1e-6f);
        Assert.Throws<ArgumentOutOfRangeException>(() => cam.Downscaled(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => cam.Downscaled(49));
    }

    [Fact]
    public void BatchRaysMatchSingleRays()
    {
        var cam = Tilted(Lens);
        float[] pixels = [0.5f, 0.5f, 63.5f, 47.5f, 20.25f, 30.75f];
        var origins = new float[9];
        var dirs = new float[9];
        cam.Rays(pixels, origins, dirs);
        for (int i = 0; i < 3; i++)
        {
            var (o, d) = cam.Ray(pixels[2 * i], pixels[2 * i + 1]);
            Assert.Equal(o, new Vector3(origins[3 * i], origins[3 * i + 1], origins[3 * i + 2]));
            Assert.Equal(d, new Vector3(dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2]));
            Assert.Equal(1f, d.Length(), 5);
        }
        Assert.Throws<ArgumentException>(() => cam.Rays(pixels, new float[8], dirs));
    }

    [Fact]
    public void SeesOnlyPointsInFrontAndInsideTheImage()
    {
        var cam = Tilted();
        var (o, d) = cam.Ray(10, 10);
        Assert.True(cam.Sees(o + 3 * d));
        Assert.False(cam.Sees(o - 3 * d));
        var (o2, d2) = cam.Ray(-5, 10);
        Assert.False(cam.Sees(o2 + 3 * d2));
    }
}
