using System.Numerics;
using NgpSharp.Data;
using NgpSharp.Systems.Nerf;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>DtuDataset on generated scans: camera decomposition, frame order, mask pairing, downscaling, splits.</summary>
public class DtuDatasetTests
{
    [Fact]
    public void CamerasAreDecomposedIntoTheNormalisedFrameInOpenGlConvention()
    {
        using var d = new TempDtu(views: 3);
        var data = DtuDataset.Load(d.Root, "train");
        Assert.Equal(3, data.Count);
        for (int i = 0; i < 3; i++)
        {
            var c = data.Frames[i].Camera;
            Assert.Equal((8, 6), (c.Width, c.Height));
            Assert.Equal(100f, c.Fx, 1e-4f);
            Assert.Equal(120f, c.Fy, 1e-4f);
            Assert.Equal(4f, c.Cx, 1e-5f);
            Assert.Equal(3f, c.Cy, 1e-5f);
            // world centre −Rᵀt = (−i, 0, −5); normalised by scale_mat (×2, +1 in x): ((−i − 1)/2, 0, −2.5)
            AssertClose(new Vector3((-i - 1) / 2f, 0, -2.5f), c.Position, 1e-5f);
            // OpenCV R = I: x right = +x, y down = +y, looking along +z → OpenGL Y = −y, Z = −z
            AssertClose(Vector3.UnitX, c.XAxis, 1e-6f);
            AssertClose(-Vector3.UnitY, c.YAxis, 1e-6f);
            AssertClose(-Vector3.UnitZ, c.ZAxis, 1e-6f);
        }
        Assert.Equal(new Vector3(-1), data.AabbMin);
        Assert.Equal(new Vector3(1), data.AabbMax);
        Assert.Equal(1, data.AabbScale);
        Assert.False(data.WhiteBackground);
        Assert.True(data.HasAlpha);
        // SceneToWorld = scale_mat: normalised (0.5, 1, −1) → world (2, 2, −2)
        AssertClose(new Vector3(2, 2, -2), Vector3.Transform(new Vector3(0.5f, 1, -1), data.SceneToWorld), 1e-6f);
    }

    [Fact]
    public void ProjectionsAgreeWithTheWorldMatrix()
    {
        using var d = new TempDtu(views: 2);
        var data = DtuDataset.Load(d.Root, "all");
        var world = new Vector3(0.3f, -0.7f, 2.0f);
        for (int i = 0; i < 2; i++)
        {
            // numpy: (u, v, w) = world_mat · (x, y, z, 1), pixel = (u/w, v/w)
            var m = d.WorldMat(i);
            double u = m[0] * world.X + m[1] * world.Y + m[2] * world.Z + m[3];
            double v = m[4] * world.X + m[5] * world.Y + m[6] * world.Z + m[7];
            double w = m[8] * world.X + m[9] * world.Y + m[10] * world.Z + m[11];
            Matrix4x4.Invert(data.SceneToWorld, out var worldToScene);
            var pixel = data.Frames[i].Camera.Project(Vector3.Transform(world, worldToScene));
            Assert.Equal(u / w, pixel.X, 1e-3);
            Assert.Equal(v / w, pixel.Y, 1e-3);
        }
    }

    [Fact]
    public void NegativeOrScaledProjectionMatricesGiveTheSameCamera()
    {
        using var d = new TempDtu(views: 1);
        var reference = DtuDataset.Load(d.Root, "train").Frames[0].Camera;
        d.Arrays["world_mat_0"] = TempDtu.Matrix(d.WorldMat(0).Select(v => -3 * v).ToArray());
        d.SaveCameras();
        var c = DtuDataset.Load(d.Root, "train").Frames[0].Camera;
        Assert.Equal(reference.Fx, c.Fx, 1e-4f);
        Assert.Equal(reference.Cy, c.Cy, 1e-5f);
        AssertClose(reference.Position, c.Position, 1e-5f);
        AssertClose(reference.ZAxis, c.ZAxis, 1e-6f);
    }

    [Fact]
    public void RotatedCameraRecoversItsPose()
    {
        // R = rotation about y by 30° (world → camera), K with skew 0; check against a direct OpenCV reading of P
        double a = Math.PI / 6, cs = Math.Cos(a), sn = Math.Sin(a);
        double[] r = [cs, 0, -sn, 0, 1, 0, sn, 0, cs];
        double[] t = [0.2, -0.1, 3];
        double[] k = [200, 0, 40, 0, 210, 30, 0, 0, 1];
        var p = new double[12];
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
        {
            double s = 0;
            for (int l = 0; l < 3; l++) s += k[3 * i + l] * (j < 3 ? r[3 * l + j] : t[l]);
            p[4 * i + j] = 0.5 * s;
        }
        var dcmp = ProjectionMatrix.Decompose(p);
        Assert.Equal(200, dcmp.Fx, 1e-9);
        Assert.Equal(210, dcmp.Fy, 1e-9);
        Assert.Equal(40, dcmp.Cx, 1e-9);
        Assert.Equal(30, dcmp.Cy, 1e-9);
        Assert.Equal(0, dcmp.Skew, 1e-9);
        for (int i = 0; i < 9; i++) Assert.Equal(r[i], dcmp.WorldToCamera[i], 1e-12);
        // centre = −Rᵀ t
        for (int i = 0; i < 3; i++) Assert.Equal(-(r[i] * t[0] + r[3 + i] * t[1] + r[6 + i] * t[2]), dcmp.Centre[i], 1e-12);
    }

    [Fact]
    public void MasksArePairedByOrderAndRgbKeepsTheBackground()
    {
        using var d = new TempDtu(views: 4);
        var data = DtuDataset.Load(d.Root, "train");
        for (int i = 0; i < 4; i++)
        {
            var f = data.Frames[i];
            Assert.Equal($"image/{i:D3}.png", f.FilePath);
            for (int x = 0; x < d.Width; x++)
            {
                var px = data.GetPixel(i, x, 2);
                Assert.Equal(TempDtu.ImageLevel(i, x), px.X, 1e-6f); // RGB untouched where the mask is < 1
                Assert.Equal(d.MaskLevel(i, x), px.W, 1e-6f);
            }
        }
    }

    [Fact]
    public void FileNamesAreTakenInSortedOrderWhateverTheirPattern()
    {
        // IMG_1, IMG_10, IMG_2 sort (ordinally) as 1, 10, 2: view k of the listing gets camera k and mask k
        string[] names = ["IMG_1.png", "IMG_10.png", "IMG_2.png"];
        string[] masks = ["a.png", "b.png", "c.png"];
        using var d = new TempDtu(views: 3, imageNames: names, maskNames: masks);
        var data = DtuDataset.Load(d.Root, "train");
        Assert.Equal(["image/IMG_1.png", "image/IMG_10.png", "image/IMG_2.png"], data.Frames.Select(f => f.FilePath));
        for (int k = 0; k < 3; k++)
        {
            Assert.Equal(TempDtu.ImageLevel(k, 7), data.GetPixel(k, 7, 0).X, 1e-6f);
            Assert.Equal(d.MaskLevel(k, 7), data.GetPixel(k, 7, 0).W, 1e-6f);
            Assert.Equal((-k - 1) / 2f, data.Frames[k].Camera.Position.X, 1e-5f);
        }
    }

    [Fact]
    public void WithoutMasksAlphaIsOne()
    {
        using var d = new TempDtu(views: 2, masks: false);
        var data = DtuDataset.Load(d.Root, "train");
        Assert.False(data.HasAlpha);
        Assert.Equal(1f, data.GetPixel(1, 7, 5).W);
    }

    [Fact]
    public void DownscalingAveragesColourAndMaskSeparately()
    {
        using var d = new TempDtu(views: 2, width: 10, height: 6);
        var data = DtuDataset.Load(d.Root, "train", downscale: 2);
        var c = data.Frames[1].Camera;
        Assert.Equal((5, 3), (c.Width, c.Height));
        Assert.Equal(50f, c.Fx, 1e-4f);
        Assert.Equal(60f, c.Fy, 1e-4f);
        Assert.Equal((2.5f, 1.5f), (c.Cx, c.Cy));
        // output column 2 averages columns 4 (mask 1) and 5 (mask 0.2): colour (100 + 120)/2 = 110 — not weighted
        // by the mask (that would give 103.3) — and mask (1 + 0.2)/2
        var px = data.GetPixel(1, 2, 1);
        Assert.Equal(110 / 255f, px.X, 1e-6f);
        Assert.Equal(MathF.Round((1 + d.MaskLevel(1, 5)) / 2 * 255) / 255, px.W, 1e-6f);
        Assert.Equal(1f, data.GetPixel(1, 1, 1).W);
        // downscale 4 crops the remainder: 10×6 → 2×1
        var quarter = DtuDataset.Load(d.Root, "train", downscale: 4).Frames[0];
        Assert.Equal((2, 1), (quarter.Width, quarter.Height));
    }

    [Fact]
    public void SplitsHoldOutEveryEighthViewOrAList()
    {
        using var d = new TempDtu(views: 10, width: 4, height: 4, masks: false);
        Assert.Equal(10, DtuDataset.Load(d.Root, "train").Count);
        Assert.Equal(10, DtuDataset.Load(d.Root, "all").Count);
        Assert.Equal(["image/000.png", "image/008.png"], DtuDataset.Load(d.Root, "test").Frames.Select(f => f.FilePath));
        Assert.Equal(2, DtuDataset.Load(d.Root, "val").Count);
        var custom = new DtuSplitOptions { HeldOut = [3, 5], ExcludeHeldOutFromTrain = true };
        Assert.Equal(["image/003.png", "image/005.png"], DtuDataset.Load(d.Root, "test", splits: custom).Frames.Select(f => f.FilePath));
        var train = DtuDataset.Load(d.Root, "train", splits: custom);
        Assert.Equal(8, train.Count);
        Assert.DoesNotContain(train.Frames, f => f.FilePath is "image/003.png" or "image/005.png");
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7], train.Frames.Select(f => f.Index));
        var every3 = DtuDataset.Load(d.Root, "test", splits: new DtuSplitOptions { HeldOutEvery = 3 });
        Assert.Equal(["image/000.png", "image/003.png", "image/006.png", "image/009.png"], every3.Frames.Select(f => f.FilePath));
    }

    [Fact]
    public void NerfDataLoadsDtuByKindOrByDetection()
    {
        using var d = new TempDtu(views: 2);
        foreach (var kind in new[] { NerfDatasetKind.Dtu, NerfDatasetKind.Auto })
        {
            var data = NerfData.Load(new NerfDatasetSettings { Root = d.Root, Kind = kind }, "train");
            Assert.Equal(2, data.Count);
            Assert.NotEqual(Matrix4x4.Identity, data.SceneToWorld);
        }
    }

    static void AssertClose(Vector3 expected, Vector3 actual, float tolerance) =>
        Assert.True(Vector3.Distance(expected, actual) <= tolerance, $"expected {expected}, got {actual}");
}
