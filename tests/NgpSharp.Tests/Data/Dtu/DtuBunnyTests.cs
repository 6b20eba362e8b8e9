using System.Numerics;
using NgpSharp.Data;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>bunny/dtu and bunny/nerf (train + val) loaded once at 100×100.</summary>
public sealed class BunnyPair
{
    public NerfDataset Dtu { get; } = DtuDataset.Load(TestData.Path("bunny", "dtu"), "all", downscale: 4);
    public NerfDataset Nerf { get; } = BlenderDataset.Load(TestData.Path("bunny", "nerf"), "trainval", downscale: 4);
}

/// <summary>
/// bunny/dtu holds the same 110 views as bunny/nerf's train + val splits: after SceneToWorld the NeuS cameras must
/// be the nerf_synthetic cameras, and the images the same pictures composited on grey with the alpha as mask.
/// </summary>
public class DtuBunnyTests(BunnyPair pair) : IClassFixture<BunnyPair>
{
    [Fact]
    public void SameViewCountSizeAndSceneFrame()
    {
        Assert.Equal(110, pair.Dtu.Count);
        Assert.Equal(pair.Nerf.Count, pair.Dtu.Count);
        Assert.Equal((100, 100), (pair.Dtu.Width, pair.Dtu.Height));
        Assert.True(pair.Dtu.HasAlpha);
        Assert.False(pair.Dtu.WhiteBackground);
        // scale_mat = diag(1.5, 1.5, 1.5, 1)
        Assert.Equal(Matrix4x4.CreateScale(1.5f), pair.Dtu.SceneToWorld);
    }

    [Fact]
    public void CamerasAgreeWithNerfSyntheticAfterSceneToWorld()
    {
        var s2w = pair.Dtu.SceneToWorld;
        double worstPosition = 0, worstDirection = 0, worstAxis = 0;
        for (int i = 0; i < pair.Dtu.Count; i++)
        {
            var d = pair.Dtu.Frames[i].Camera;
            var n = pair.Nerf.Frames[i].Camera;
            var position = Vector3.Transform(d.Position, s2w);
            var forward = Vector3.Normalize(Vector3.TransformNormal(d.Forward, s2w));
            var up = Vector3.Normalize(Vector3.TransformNormal(d.YAxis, s2w));
            worstPosition = Math.Max(worstPosition, Vector3.Distance(position, n.Position));
            worstDirection = Math.Max(worstDirection, Vector3.Distance(forward, n.Forward));
            worstAxis = Math.Max(worstAxis, Vector3.Distance(up, n.YAxis));
            Assert.Equal(n.Fx, d.Fx, n.Fx * 1e-5f);
            Assert.Equal(n.Fy, d.Fy, n.Fy * 1e-5f);
            Assert.Equal(n.Cx, d.Cx, 1e-3f);
            Assert.Equal(n.Cy, d.Cy, 1e-3f);
        }
        Assert.True(worstPosition < 1e-4, $"camera positions differ by up to {worstPosition}");
        Assert.True(worstDirection < 1e-4, $"viewing directions differ by up to {worstDirection}");
        Assert.True(worstAxis < 1e-4, $"up axes differ by up to {worstAxis}");
    }

    [Fact]
    public void WorldPointsProjectToTheSamePixels()
    {
        Matrix4x4.Invert(pair.Dtu.SceneToWorld, out var worldToScene);
        Vector3[] points = [Vector3.Zero, new(0.5f, -0.3f, 0.8f), new(-1, 1, 0.2f), new(0.9f, 0.9f, -0.6f)];
        double worst = 0;
        int compared = 0;
        for (int i = 0; i < pair.Dtu.Count; i++)
            foreach (var p in points)
            {
                var expected = pair.Nerf.Frames[i].Camera.Project(p);
                var actual = pair.Dtu.Frames[i].Camera.Project(Vector3.Transform(p, worldToScene));
                if (float.IsNaN(expected.X)) { Assert.True(float.IsNaN(actual.X)); continue; }
                worst = Math.Max(worst, Vector2.Distance(expected, actual));
                compared++;
            }
        Assert.True(compared > 400, $"only {compared} projections compared");
        Assert.True(worst < 1e-3, $"projections differ by up to {worst} px (100×100 images)");
    }

    [Fact]
    public void ImagesAreTheNerfPicturesOnGreyWithTheMaskAsAlpha()
    {
        const float grey = 60 / 255f;
        foreach (int i in new[] { 0, 57, 99, 100, 109 })
        {
            double colourError = 0, alphaError = 0;
            for (int y = 0; y < 100; y++)
            for (int x = 0; x < 100; x++)
            {
                var d = pair.Dtu.GetPixel(i, x, y);
                var n = pair.Nerf.GetPixel(i, x, y);
                var composite = new Vector3(n.X, n.Y, n.Z) * n.W + new Vector3(grey) * (1 - n.W);
                colourError = Math.Max(colourError, Vector3.Distance(composite, new Vector3(d.X, d.Y, d.Z)));
                alphaError += Math.Abs(d.W - n.W);
            }
            Assert.True(colourError < 2 / 255.0, $"frame {i}: RGB differs from the nerf picture on grey by up to {colourError * 255:F1}/255");
            Assert.True(alphaError / 10000 < 0.005, $"frame {i}: mask differs from the nerf alpha by {alphaError / 10000:F4} on average");
        }
        // the corner shows the capture's grey background with alpha 0
        var corner = pair.Dtu.GetPixel(0, 0, 0);
        Assert.True(Vector4.Distance(new Vector4(grey, grey, grey, 0), corner) < 1e-6f, $"corner pixel {corner}");
    }
}
