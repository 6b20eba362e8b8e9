using System.Numerics;
using NgpSharp.Data;
using NgpSharp.Geometry;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Data;

public class InstantNgpDatasetTests
{
    [Fact]
    public void FileIntrinsicsScaleOffsetAndAabbScale()
    {
        using var d = new TempDataset();
        d.Png("images/0.png", 16, 12, alpha: false);
        d.Png("images/1.png", 16, 12, alpha: false);
        string file = d.Write("transforms.json", $$"""
            { "fl_x": 20, "fl_y": 22, "cx": 7.5, "cy": 6.25, "w": 16, "h": 12,
              "k1": -0.1, "k2": 0.02, "p1": 0.001, "p2": -0.003,
              "aabb_scale": 4, "scale": 0.5, "offset": [0.5, 0.6, 0.7],
              "frames": [ { "file_path": "images/0.png", "transform_matrix": {{TempDataset.Pose(2, 4, 6)}} },
                          { "file_path": "./images/1", "transform_matrix": {{TempDataset.Pose(-2, 0, 0)}} } ] }
            """);
        var ds = InstantNgpDataset.Load(d.Root, downscale: 2);
        Assert.Equal(file, ds.Source);
        Assert.Equal(2, ds.Count);
        Assert.Equal(4, ds.AabbScale);
        Assert.Equal(new Vector3(-2), ds.AabbMin);
        Assert.Equal(new Vector3(2), ds.AabbMax);
        Assert.Equal(1f, ds.UnitBoxSize);
        Assert.False(ds.HasAlpha);
        Assert.False(ds.WhiteBackground);
        // t' = t·scale + offset − 0.5
        Assert.True(Vector3.Distance(new Vector3(1, 2.1f, 3.2f), ds.Frames[0].Camera.Position) < 1e-6f);
        Assert.True(Vector3.Distance(new Vector3(-1, 0.1f, 0.2f), ds.Frames[1].Camera.Position) < 1e-6f);
        Assert.EndsWith("1.png", ds.Frames[1].ImagePath);
        var cam = ds.Frames[0].Camera;
        Assert.Equal((8, 6, 10f, 11f, 3.75f, 3.125f), (cam.Width, cam.Height, cam.Fx, cam.Fy, cam.Cx, cam.Cy));
        Assert.Equal(new LensDistortion(-0.1f, 0.02f, 0.001f, -0.003f), cam.Distortion);
        Assert.Equal(Vector3.UnitZ, cam.ZAxis); // rotation kept as in the file (OpenGL camera)
        // alpha-less images get α = 1; the 2× box filter averages pixels (0,0),(1,0),(0,1),(1,1)
        var p = ds.GetPixel(0, 0, 0);
        Assert.Equal(1f, p.W);
        Assert.Equal(0.5f / 16, p.X, 2);
    }

    [Fact]
    public void DefaultsAreInstantNgpsScaleAndOffsetAndFocalFromAngle()
    {
        using var d = new TempDataset();
        d.Png("a.png", 10, 10);
        d.Write("transforms.json", $$"""
            { "camera_angle_x": 1.0, // comments are allowed, as in instant-ngp
              "frames": [ { "file_path": "a.png", "transform_matrix": {{TempDataset.Pose(3, 0, 0)}} }, ] }
            """);
        var ds = InstantNgpDataset.Load(Path.Combine(d.Root, "transforms.json"));
        Assert.Equal(1, ds.AabbScale);
        Assert.Equal(new Vector3(0.5f), ds.AabbMax);
        Assert.True(Vector3.Distance(new Vector3(0.99f, 0, 0), ds.Frames[0].Camera.Position) < 1e-6f);
        var cam = ds.Frames[0].Camera;
        Assert.Equal(5 / Math.Tan(0.5), cam.Fx, 4);
        Assert.Equal(cam.Fx, cam.Fy);
        Assert.Equal((5f, 5f), (cam.Cx, cam.Cy));
        Assert.True(cam.Distortion.IsNone);
        Assert.True(ds.HasAlpha);
        Assert.True(ds.WhiteBackground);
    }

    [Fact]
    public void PerFrameIntrinsicsAllowDifferentSizes()
    {
        using var d = new TempDataset();
        d.Png("0.png", 16, 12);
        d.Png("1.png", 8, 8);
        d.Write("transforms.json", $$"""
            { "fl_x": 20, "w": 16, "h": 12, "k1": 0.05,
              "frames": [ { "file_path": "0.png", "transform_matrix": {{TempDataset.Pose(0, 0, 0)}} },
                          { "file_path": "1.png", "w": 8, "h": 8, "fl_x": 9, "fl_y": 10, "cx": 3, "k1": 0,
                            "transform_matrix": {{TempDataset.Pose(0, 0, 0)}} } ] }
            """);
        var ds = InstantNgpDataset.Load(d.Root);
        Assert.False(ds.UniformSize);
        Assert.Throws<InvalidOperationException>(() => ds.Width);
        var c0 = ds.Frames[0].Camera;
        var c1 = ds.Frames[1].Camera;
        Assert.Equal((16, 12, 20f, 20f, 8f, 6f, 0.05f), (c0.Width, c0.Height, c0.Fx, c0.Fy, c0.Cx, c0.Cy, c0.Distortion.K1));
        Assert.Equal((8, 8, 9f, 10f, 3f, 4f, 0f), (c1.Width, c1.Height, c1.Fx, c1.Fy, c1.Cx, c1.Cy, c1.Distortion.K1));
    }

    [Fact]
    public void JpegFramesAndExplicitAabb()
    {
        using var d = new TempDataset();
        File.Copy(TestData.Path("images", "astronaut_444.jpg"), Path.Combine(d.Root, "shot.jpg"));
        d.Write("transforms_test.json", $$"""
            { "fl_x": 500, "aabb": [[-1, -2, -1], [3, 2, 1]],
              "frames": [ { "file_path": "shot.jpg", "transform_matrix": {{TempDataset.Pose(1, 0, 0)}} } ] }
            """);
        var ds = InstantNgpDataset.Load(d.Root, "test", downscale: 8);
        Assert.Equal("test", ds.Split);
        Assert.Equal((64, 64), (ds.Width, ds.Height));
        Assert.Equal(500f / 8, ds.Frames[0].Camera.Fx);
        // aabb: longest side 4 → scale 0.25; centre (1, 0, 0) → 0.5; so world x = 1 maps to 0.5 − 0.5 = 0
        Assert.True(ds.Frames[0].Camera.Position.Length() < 1e-6f);
        // the astronaut picture is not flat grey
        Assert.NotEqual(ds.GetPixel(0, 10, 10), ds.GetPixel(0, 50, 30));
    }

    [Fact]
    public void UniformlyScaledRotationIsAcceptedAndNormalised()
    {
        using var d = new TempDataset();
        d.Png("a.png", 4, 4);
        d.Write("transforms.json", $$"""
            { "fl_x": 4, "scale": 1, "offset": 0.5,
              "frames": [ { "file_path": "a.png", "transform_matrix": {{TempDataset.Pose(1, 2, 3, s: 2.5)}} } ] }
            """);
        var cam = InstantNgpDataset.Load(d.Root).Frames[0].Camera;
        Assert.Equal(Vector3.UnitX, cam.XAxis);
        Assert.Equal(new Vector3(1, 2, 3), cam.Position);
    }
}
