using System.Text.Json;
using NgpSharp.Data.Colmap;
using Xunit;
using static NgpSharp.Tests.Data.ColmapTestModels;

namespace NgpSharp.Tests.Data;

/// <summary>The colmap2nerf conversion, checked by facts that do not depend on how it is computed.</summary>
public sealed class ColmapToNerfTests
{
    static readonly string Out = Path.Combine(Path.GetTempPath(), "scene", "transforms.json");
    static readonly string Images = Path.Combine(Path.GetTempPath(), "scene", "images");

    static (ColmapModel Model, NerfTransforms Result) ConvertBunny(bool gauge = true)
    {
        var model = Bunny(gauge: gauge);
        return (model, ColmapToNerf.Convert(model, Images, Out));
    }

    static double[,] Pose(NerfTransforms t, ColmapImage im) => t.Frames.Single(f => f.ColmapImageId == im.Id).TransformMatrix;

    [Fact]
    public void Output_IsASimilarityOfTheInputCameras()
    {
        var (model, result) = ConvertBunny();
        var inputs = model.Images.Select(ColmapCameraToWorldOpenGl).ToList();
        var outputs = model.Images.Select(im => Pose(result, im)).ToList();
        // Each output rotation is orthonormal with det +1.
        foreach (var o in outputs)
        {
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    Assert.Equal(a == b ? 1 : 0, Dot(Column(o, a), Column(o, b)), 12);
            Assert.Equal([0.0, 0, 0, 1], new[] { o[3, 0], o[3, 1], o[3, 2], o[3, 3] });
        }
        // The same world rotation for every camera: axis-to-axis dot products between any two cameras are preserved.
        double? ratio = null;
        for (int i = 0; i < inputs.Count; i += 7)
            for (int j = 0; j < inputs.Count; j += 5)
            {
                for (int a = 0; a < 3; a++)
                    for (int b = 0; b < 3; b++)
                        Assert.Equal(Dot(Column(inputs[i], a), Column(inputs[j], b)), Dot(Column(outputs[i], a), Column(outputs[j], b)), 10);
                if (i == j) continue;
                // Distances scale uniformly.
                double r = Norm(Sub(Column(outputs[i], 3), Column(outputs[j], 3))) / Norm(Sub(Column(inputs[i], 3), Column(inputs[j], 3)));
                ratio ??= r;
                Assert.Equal(ratio.Value, r, 10);
            }
        // The gauge scaled the bunny's radius-4 orbit by 2.7; the conversion brings it back to 4 (up to rounding of the file).
        Assert.Equal(1 / 2.7, ratio!.Value, 5);
    }

    [Fact]
    public void Output_IsCentredUpright_AndAtMeanDistance4()
    {
        var (model, result) = ConvertBunny();
        var poses = result.Frames.Select(f => f.TransformMatrix).ToList();
        Assert.Equal(4, poses.Average(m => Norm(Column(m, 3))), 10);
        var up = new double[3];
        foreach (var m in poses) up = Add(up, Column(m, 1));
        up = Scale(up, 1 / Norm(up));
        Assert.Equal(0, up[0], 10);
        Assert.Equal(0, up[1], 10);
        Assert.Equal(1, up[2], 10);
        // The bunny's cameras all look at its origin, so every output optical axis passes through the new origin.
        foreach (var m in poses)
        {
            var o = Column(m, 3);
            var d = Column(m, 2);
            var closest = Sub(o, Scale(d, Dot(o, d)));
            Assert.True(Norm(closest) < 1e-5, $"optical axis misses the origin by {Norm(closest)}");
            Assert.True(Dot(o, d) > 0, "the origin is in front of the camera (it looks down −z)");
        }
        // And the map reported for points sends the bunny's origin (moved by the gauge) to the origin.
        var (_, g, _) = Gauge(true);
        var w = result.WorldFromColmap;
        for (int r = 0; r < 3; r++) Assert.Equal(0, w[r, 0] * g[0] + w[r, 1] * g[1] + w[r, 2] * g[2] + w[r, 3], 5);
    }

    [Fact]
    public void WorldFromColmap_MapsTheInputPosesOntoTheOutputPoses()
    {
        var (model, result) = ConvertBunny();
        var w = result.WorldFromColmap;
        foreach (var im in model.Images.Take(10))
        {
            var input = ColmapCameraToWorldOpenGl(im);
            var output = Pose(result, im);
            double s = Norm([w[0, 0], w[1, 0], w[2, 0]]);
            for (int r = 0; r < 3; r++)
                for (int c = 0; c < 4; c++)
                {
                    double expected = w[r, 0] * input[0, c] + w[r, 1] * input[1, c] + w[r, 2] * input[2, c] + (c == 3 ? w[r, 3] : 0);
                    Assert.Equal(c == 3 ? expected : expected / s, output[r, c], 10);
                }
        }
    }

    [Fact]
    public void IdentityCamera_FollowsTheScriptsAxisSteps()
    {
        // By hand from colmap2nerf.py: c2w = I; columns 2 and 1 negated → diag(1, −1, −1, 1); rows 0 and 1 swapped →
        // [[0,−1,0],[1,0,0],[0,0,−1]]; row 2 negated → [[0,−1,0],[1,0,0],[0,0,1]]. Translation t = (1, 2, 3) gives centre −t
        // → (−1, −2, −3) → swapped (−2, −1, −3) → z negated (−2, −1, 3).
        var im = new ColmapImage(1, [1, 0, 0, 0], [1, 2, 3], 1, "a.png", [], []);
        var m = ColmapToNerf.ToOpenGl(im);
        double[,] expected = { { 0, -1, 0, -2 }, { 1, 0, 0, -1 }, { 0, 0, 1, 3 }, { 0, 0, 0, 1 } };
        for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) Assert.Equal(expected[r, c], m[r, c], 15);
    }

    [Fact]
    public void Intrinsics_RoundTripThroughTheBunnyFieldOfView()
    {
        var (_, result) = ConvertBunny();
        using var doc = JsonDocument.Parse(File.ReadAllText(Support.TestData.Path("bunny", "nerf", "transforms_train.json")));
        var k = result.Intrinsics!;
        Assert.Equal(doc.RootElement.GetProperty("camera_angle_x").GetDouble(), k.CameraAngleX, 12);
        Assert.Equal(k.CameraAngleX, k.CameraAngleY, 12);
        Assert.Equal((200.0, 200.0, 400, 400), (k.Cx, k.Cy, k.W, k.H));
        Assert.All(result.Frames, f => Assert.Null(f.Intrinsics));
    }

    [Theory]
    [InlineData(ColmapCameraModel.SimplePinhole, new[] { 500.0, 310, 240 }, new[] { 500.0, 500, 310, 240, 0, 0, 0, 0 })]
    [InlineData(ColmapCameraModel.Pinhole, new[] { 500.0, 510, 310, 240 }, new[] { 500.0, 510, 310, 240, 0, 0, 0, 0 })]
    [InlineData(ColmapCameraModel.SimpleRadial, new[] { 500.0, 310, 240, 0.01 }, new[] { 500.0, 500, 310, 240, 0.01, 0, 0, 0 })]
    [InlineData(ColmapCameraModel.Radial, new[] { 500.0, 310, 240, 0.01, -0.02 }, new[] { 500.0, 500, 310, 240, 0.01, -0.02, 0, 0 })]
    [InlineData(ColmapCameraModel.OpenCv, new[] { 500.0, 510, 310, 240, 0.01, -0.02, 0.003, -0.004 }, new[] { 500.0, 510, 310, 240, 0.01, -0.02, 0.003, -0.004 })]
    public void Intrinsics_AreMappedPerModelAsTheScriptDoes(ColmapCameraModel model, double[] parameters, double[] expected)
    {
        var k = ColmapToNerf.Intrinsics(new ColmapCamera(1, model, 640, 480, parameters));
        Assert.Equal(expected, new[] { k.FlX, k.FlY, k.Cx, k.Cy, k.K1, k.K2, k.P1, k.P2 });
        Assert.Equal(2 * Math.Atan(640 / (2 * expected[0])), k.CameraAngleX, 14);
        Assert.Equal(2 * Math.Atan(480 / (2 * expected[1])), k.CameraAngleY, 14);
    }

    [Fact]
    public void UnsupportedCameraModel_IsNamed()
    {
        var m = Bunny(frames: 2);
        var cam = new ColmapCamera(1, ColmapCameraModel.FullOpenCv, 400, 400, new double[12].Select((_, i) => i == 0 ? 500.0 : 0.1).ToArray());
        var e = Assert.Throws<ColmapFormatException>(() => ColmapToNerf.Convert(new ColmapModel([cam], m.Images, []), Images, Out));
        Assert.Contains("FULL_OPENCV", e.Message);
        Assert.Contains("camera 1", e.Message);
    }

    [Fact]
    public void Frames_AreSortedByName_WithPathsRelativeToTheOutputFolder()
    {
        var m = Bunny(frames: 5);
        var images = m.Images.Reverse().Select((im, i) => im with { Name = $"img_{(i * 37) % 5}.jpg" }).ToList();
        var result = ColmapToNerf.Convert(new ColmapModel(m.Cameras, images, []), Images, Out);
        Assert.Equal(["images/img_0.jpg", "images/img_1.jpg", "images/img_2.jpg", "images/img_3.jpg", "images/img_4.jpg"], result.Frames.Select(f => f.FilePath));
        var deeper = ColmapToNerf.Convert(new ColmapModel(m.Cameras, images, []), Images, Path.Combine(Path.GetTempPath(), "scene", "out", "t.json"));
        Assert.StartsWith("../images/", deeper.Frames[0].FilePath);
    }

    [Fact]
    public void SeveralCameras_GiveEachFrameItsIntrinsics()
    {
        var m = Bunny(frames: 4);
        var second = new ColmapCamera(2, ColmapCameraModel.SimpleRadial, 800, 600, [700, 400, 300, 0.05]);
        var images = m.Images.Select((im, i) => i % 2 == 1 ? im with { CameraId = 2 } : im).ToList();
        var result = ColmapToNerf.Convert(new ColmapModel([m.Cameras[0], second], images, []), Images, Out);
        Assert.Null(result.Intrinsics);
        foreach (var f in result.Frames)
        {
            var cam = images.Single(im => im.Id == f.ColmapImageId).CameraId;
            Assert.Equal(cam == 2 ? 800 : 400, f.Intrinsics!.W);
            Assert.Equal(cam == 2 ? 0.05 : 0, f.Intrinsics.K1);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(256)]
    public void AabbScale_MustBeAPowerOfTwoUpTo128(int scale) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => ColmapToNerf.Convert(Bunny(frames: 2), Images, Out, scale));

    [Fact]
    public void NoImages_IsAClearError() =>
        Assert.Contains("no registered images", Assert.Throws<ColmapFormatException>(() =>
            ColmapToNerf.Convert(new ColmapModel(Bunny(frames: 1).Cameras, [], []), Images, Out)).Message);

    [Fact]
    public void Write_ProducesJsonThatReadsBackExactly()
    {
        var dir = Directory.CreateTempSubdirectory("ngp-c2n").FullName;
        try
        {
            var path = Path.Combine(dir, "transforms.json");
            var result = ColmapToNerf.Convert(Bunny(frames: 6), Path.Combine(dir, "images"), path, 16);
            result.Write(path);
            Assert.Equal([path], Directory.GetFiles(dir)); // no temp file left behind
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            Assert.Equal(16, root.GetProperty("aabb_scale").GetInt32());
            Assert.Equal(result.Intrinsics!.FlX, root.GetProperty("fl_x").GetDouble());
            Assert.Equal(400, root.GetProperty("w").GetInt32());
            var frames = root.GetProperty("frames");
            Assert.Equal(6, frames.GetArrayLength());
            for (int i = 0; i < 6; i++)
            {
                Assert.Equal(result.Frames[i].FilePath, frames[i].GetProperty("file_path").GetString());
                var m = frames[i].GetProperty("transform_matrix");
                for (int r = 0; r < 4; r++) for (int c = 0; c < 4; c++) Assert.Equal(result.Frames[i].TransformMatrix[r, c], m[r][c].GetDouble());
            }
        }
        finally { Directory.Delete(dir, true); }
    }
}
