using System.Globalization;
using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Data;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>The shared bunny's train split at downscale 4 (100×100), loaded once for the class.</summary>
public sealed class BunnyTrainFixture
{
    public NerfDataset Train { get; } = BlenderDataset.Load(TestData.Path("bunny", "nerf"), "train", downscale: 4);
}

public class BlenderDatasetTests(BunnyTrainFixture fixture) : IClassFixture<BunnyTrainFixture>
{
    const double CameraAngleX = 0.6911112070083618;
    readonly NerfDataset _train = fixture.Train;

    [Fact]
    public void TrainSplitHasTheDocumentedShape()
    {
        Assert.Equal(100, _train.Count);
        Assert.Equal("train", _train.Split);
        Assert.Equal((100, 100), (_train.Width, _train.Height));
        Assert.True(_train.HasAlpha);
        Assert.True(_train.WhiteBackground);
        Assert.Equal(1, _train.AabbScale);
        Assert.Equal(new Vector3(-1.5f), _train.AabbMin);
        Assert.Equal(new Vector3(1.5f), _train.AabbMax);
        Assert.Equal(100L * 100 * 100 * 4, _train.PixelBytes);
        Assert.EndsWith("r_0.png", _train.Frames[0].ImagePath);
        Assert.Equal("./train/r_0", _train.Frames[0].FilePath);
    }

    [Fact]
    public void FocalComesFromCameraAngleAndIsScaledWithTheImage()
    {
        double focal = 0.5 * 400 / Math.Tan(0.5 * CameraAngleX) / 4;
        foreach (var f in _train.Frames)
        {
            Assert.Equal(focal, f.Camera.Fx, 3);
            Assert.Equal(focal, f.Camera.Fy, 3);
            Assert.Equal((50f, 50f), (f.Camera.Cx, f.Camera.Cy));
        }
    }

    [Fact]
    public void CamerasSitAtRadiusFourAndLookAtTheOrigin()
    {
        foreach (var f in _train.Frames)
        {
            Assert.InRange(f.Camera.Position.Length(), 3.95f, 4.05f);
            Assert.True(f.Camera.Position.Z > -0.01f, "train views are on the upper hemisphere");
            var (o, d) = f.Camera.Ray(50, 50);
            float miss = Vector3.Cross(o, d).Length(); // distance from the origin to the ray's line
            Assert.True(miss < 0.2f, $"frame {f.Index}: the central ray misses the origin by {miss}");
            Assert.True(Vector3.Dot(-o, d) > 0, "the origin is in front of the camera");
        }
    }

    [Fact]
    public void OpaquePixelsLookIntoTheObjectsBoundingSphere()
    {
        int opaque = 0;
        foreach (var f in _train.Frames.Where(f => f.Index % 10 == 0))
        for (int y = 0; y < f.Height; y++)
        for (int x = 0; x < f.Width; x++)
        {
            if (f.Image[x, y, 3] <= 0.5f) continue;
            opaque++;
            var (o, d) = f.Camera.Ray(x + 0.5f, y + 0.5f);
            float miss = Vector3.Cross(o, d).Length();
            Assert.True(miss < 1.25f, $"frame {f.Index} pixel ({x}, {y}) is opaque but its ray passes {miss} from the origin");
        }
        Assert.True(opaque > 500, $"only {opaque} opaque pixels: the object should cover a good part of the views");
    }

    [Fact]
    public void GroundTruthMeshProjectsOntoOpaquePixels()
    {
        // Catches a flipped or transposed camera convention, which the symmetric sphere test cannot.
        var vertices = File.ReadLines(TestData.Path("bunny", "gt_mesh.obj"))
            .Where(l => l.StartsWith("v ", StringComparison.Ordinal))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(p => new Vector3(float.Parse(p[1], CultureInfo.InvariantCulture), float.Parse(p[2], CultureInfo.InvariantCulture), float.Parse(p[3], CultureInfo.InvariantCulture)))
            .ToList();
        Assert.True(vertices.Count > 1000);
        foreach (var f in _train.Frames.Where(f => f.Index % 25 == 0))
        {
            int onObject = 0;
            foreach (var v in vertices)
            {
                var p = f.Camera.Project(v);
                Assert.True(f.Camera.Sees(v), $"frame {f.Index}: vertex {v} projects to {p}, outside the image");
                if (f.Image[(int)p.X, (int)p.Y, 3] > 0.1f) onObject++;
            }
            Assert.True(onObject > 0.97 * vertices.Count, $"frame {f.Index}: only {onObject}/{vertices.Count} vertices land on the object");
        }
    }

    [Fact]
    public void GetPixelReturnsStoredRgba()
    {
        var p = _train.GetPixel(3, 50, 50);
        Assert.Equal(_train.Frames[3].Image[50, 50, 0], p.X);
        Assert.Equal(_train.Frames[3].Image[50, 50, 3], p.W);
        Assert.Throws<ArgumentOutOfRangeException>(() => _train.GetPixel(0, 100, 0));
    }

    [Fact]
    public void SampleRaysIsDeterministicAndMatchesThePixels()
    {
        const int n = 257;
        float[] o1 = new float[3 * n], d1 = new float[3 * n], c1 = new float[4 * n];
        float[] o2 = new float[3 * n], d2 = new float[3 * n], c2 = new float[4 * n];
        var frames = new int[n];
        var rng = new Rng(42);
        _train.SampleRays(ref rng, n, o1, d1, c1, jitter: true, frameIndices: frames);
        var again = new Rng(42);
        _train.SampleRays(ref again, n, o2, d2, c2, jitter: true);
        Assert.Equal(o1, o2);
        Assert.Equal(d1, d2);
        Assert.Equal(c1, c2);
        Assert.Equal(rng.State, again.State);
        Assert.True(frames.Distinct().Count() > 50, "frames are drawn across the split");
        for (int i = 0; i < n; i++)
        {
            var cam = _train.Frames[frames[i]].Camera;
            var dir = new Vector3(d1[3 * i], d1[3 * i + 1], d1[3 * i + 2]);
            Assert.Equal(cam.Position, new Vector3(o1[3 * i], o1[3 * i + 1], o1[3 * i + 2]));
            var p = cam.Project(cam.Position + dir);
            int x = (int)p.X, y = (int)p.Y;
            var expected = _train.GetPixel(frames[i], x, y);
            Assert.Equal(expected, new Vector4(c1[4 * i], c1[4 * i + 1], c1[4 * i + 2], c1[4 * i + 3]));
        }
        var other = new Rng(43);
        _train.SampleRays(ref other, n, o2, d2, c2);
        Assert.NotEqual(d1, d2);
    }

    [Fact]
    public void SampleRaysWithoutJitterUsesPixelCentres()
    {
        const int n = 64;
        float[] o = new float[3 * n], d = new float[3 * n], c = new float[4 * n];
        var frames = new int[n];
        var rng = new Rng(7);
        _train.SampleRays(ref rng, n, o, d, c, jitter: false, frameIndices: frames);
        for (int i = 0; i < n; i++)
        {
            var cam = _train.Frames[frames[i]].Camera;
            var p = cam.Project(cam.Position + new Vector3(d[3 * i], d[3 * i + 1], d[3 * i + 2]));
            Assert.Equal(0.5, p.X - Math.Floor(p.X), 3);
            Assert.Equal(0.5, p.Y - Math.Floor(p.Y), 3);
        }
        Assert.Throws<ArgumentException>(() => _train.SampleRays(ref rng, n, new float[3], d, c));
    }
}

/// <summary>Other splits, at downscale 8 (50×50) to stay quick.</summary>
public class BlenderDatasetSplitTests
{
    static readonly string Root = TestData.Path("bunny", "nerf");

    [Fact]
    public void ValTestAndTrainvalSplits()
    {
        var val = BlenderDataset.Load(Root, "val", downscale: 8);
        var test = BlenderDataset.Load(Root, "test", downscale: 8, storage: PixelStorage.Rgba16F);
        Assert.Equal(10, val.Count);
        Assert.Equal(30, test.Count);
        Assert.Equal((50, 50), (test.Width, test.Height));
        Assert.Equal(PixelStorage.Rgba16F, test.Frames[0].Image.Storage);
        Assert.Equal(50L * 50 * 30 * 8, test.PixelBytes);
        // the test orbit is at 30° elevation: z = 4·sin 30° = 2
        foreach (var f in test.Frames) Assert.InRange(f.Camera.Position.Z, 1.9f, 2.1f);
        var trainval = BlenderDataset.Load(Root, "trainval", downscale: 8);
        Assert.Equal(110, trainval.Count);
        Assert.Equal(val.Frames[0].Camera.Position, trainval.Frames[100].Camera.Position);
    }

    [Fact]
    public void Fp16AndByteStorageAgreeWithinQuantisation()
    {
        var a = BlenderDataset.Load(Root, "val", downscale: 8);
        var b = BlenderDataset.Load(Root, "val", downscale: 8, storage: PixelStorage.Rgba16F);
        float maxDiff = 0;
        for (int y = 0; y < 50; y++)
        for (int x = 0; x < 50; x++)
            maxDiff = MathF.Max(maxDiff, Vector4.Abs(a.GetPixel(2, x, y) - b.GetPixel(2, x, y)) is var v ? MathF.Max(MathF.Max(v.X, v.Y), MathF.Max(v.Z, v.W)) : 0);
        Assert.InRange(maxDiff, 1e-6f, 0.5f / 255 + 1e-3f);
    }
}
