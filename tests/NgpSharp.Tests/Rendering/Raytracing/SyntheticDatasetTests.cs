using System.Numerics;
using System.Text.Json;
using NgpSharp.Compute;
using NgpSharp.Data;
using NgpSharp.Imaging;
using NgpSharp.Rendering.Raytracing;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Rendering.Raytracing;

public sealed class SyntheticDatasetTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    static double[,] Matrix(NgpSharp.Data.Npy.NpyArray m)
    {
        Assert.Equal([4, 4], m.Shape.ToArray());
        var v = m.ToDoubles();
        var a = new double[4, 4];
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) a[r, c] = v[4 * r + c];
        return a;
    }

    static double[,] Matrix(JsonElement m)
    {
        var a = new double[4, 4];
        for (int r = 0; r < 4; r++)
            for (int c = 0; c < 4; c++) a[r, c] = m[r][c].GetDouble();
        return a;
    }

    [Fact]
    public void Cameras_ReproduceTheSharedBlenderRig()
    {
        // The shared test split: an orbit at 30° elevation, radius 4, azimuth 12° apart starting on +X.
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Path("bunny", "nerf", "transforms_test.json")));
        var frames = doc.RootElement.GetProperty("frames");
        var orbit = DatasetCameras.Orbit(30, 4, 30, 400, 400, DatasetCameras.BlenderCameraAngleX);
        foreach (int i in new[] { 0, 1, 17 })
        {
            var expected = Matrix(frames[i].GetProperty("transform_matrix"));
            var actual = DatasetCameras.TransformMatrix(orbit[i]);
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) Assert.Equal(expected[r, c], actual[r, c], 5);
        }
        // Train views: on the upper hemisphere at radius 4, seeded.
        var rng = new Rng(5, 1);
        var hemisphere = DatasetCameras.Hemisphere(200, 4, ref rng, 8, 8, 0.7);
        Assert.All(hemisphere, c => Assert.InRange(c.Position.Z, 0f, 4f));
        Assert.All(hemisphere, c => Assert.Equal(4f, c.Position.Length(), 4));
        Assert.All(hemisphere, c => Assert.True(Vector3.Dot(Vector3.Normalize(c.Position), c.ZAxis) > 0.99999f)); // looks at the origin
        Assert.All(hemisphere, c => Assert.Equal(0f, c.XAxis.Z, 5)); // no roll
        Assert.InRange(hemisphere.Average(c => c.Position.Z), 1.6f, 2.4f); // uniform in area: mean height r/2
        var again = new Rng(5, 1);
        Assert.Equal(hemisphere[7].Position, DatasetCameras.Hemisphere(8, 4, ref again, 8, 8, 0.7)[7].Position);
    }

    [Fact]
    public void Normalization_MapsTheSharedBunnyOntoItsGroundTruthMesh()
    {
        // gt_mesh.obj of the shared Blender dataset = meshes/bunny.obj centred on its bounding box, Y-up → Z-up,
        // scaled so that the farthest vertex is 1.2 from the origin.
        var model = ObjParser.Read(TestData.Path("meshes", "bunny.obj")).Positions;
        var truth = ObjParser.Read(TestData.Path("bunny", "gt_mesh.obj")).Positions;
        var n = SceneNormalization.FitSphere(model.ToArray(), 1.2f, UpAxis.Y);
        Assert.Equal(0.180748, n.Scale, 5);
        var m = n.WorldFromModel();
        for (int i = 0; i < model.Count; i++)
        {
            Assert.True(Vector3.Distance(truth[i], n.Apply(model[i])) < 2e-6f, $"vertex {i}");
            var p = model[i];
            var viaMatrix = new Vector3(
                (float)(m[0, 0] * p.X + m[0, 1] * p.Y + m[0, 2] * p.Z + m[0, 3]),
                (float)(m[1, 0] * p.X + m[1, 1] * p.Y + m[1, 2] * p.Z + m[1, 3]),
                (float)(m[2, 0] * p.X + m[2, 1] * p.Y + m[2, 2] * p.Z + m[2, 3]));
            Assert.True(Vector3.Distance(truth[i], viaMatrix) < 2e-6f, $"vertex {i} via world_from_model");
        }
    }

    [Fact]
    public void Bunny_AlphaMatchesTheBlenderRenders()
    {
        // Reality check: the shared test cameras at 100×100 against Blender's alpha box-downscaled from 400×400.
        var bunny = ObjSceneReader.Read(TestData.Path("meshes", "bunny.obj"));
        var mesh = bunny.Transformed(SceneNormalization.FitSphere(bunny.Positions, 1.2f, UpAxis.Y));
        var tracer = new MeshRaytracer(mesh);
        var (_, views) = CameraFile.Read(TestData.Path("bunny", "nerf", "transforms_test.json"), 100);
        foreach (int i in new[] { 0, 8, 21 })
        {
            var ours = tracer.Render(views[i].Camera, 4, (ulong)i).Rgba;
            var blender = Png.Read(TestData.Path("bunny", "nerf", "test", $"r_{i}.png")).Downscale(4);
            double intersection = 0, union = 0;
            for (int p = 0; p < 100 * 100; p++)
            {
                bool a = ours.Data[4 * p + 3] >= 0.5f, b = blender.Data[4 * p + 3] >= 0.5f;
                if (a && b) intersection++;
                if (a || b) union++;
            }
            Assert.True(intersection / union >= 0.97, $"view {i}: IoU {intersection / union:F4}");
        }
    }

    [Fact]
    public void Dataset_LoadsAsNerfSynthetic_AndItsCamerasReprojectTheMeshIntoTheAlpha()
    {
        var model = _dir.Write("model/sphere.obj", TestMeshes.Sphere(3, 24)); // any size: it is normalised
        string root = Path.Combine(_dir.Path, "out");
        var options = new RenderDatasetOptions { Resolution = 48, Train = 4, Val = 2, Test = 3, Format = DatasetFormat.Both, Seed = 9, SamplesPerPixel = 4 };
        var result = SyntheticDataset.Render(model, root, options);
        Assert.Equal(9, result.Views);
        Assert.Equal(["train", "val", "test"], result.Splits);
        Assert.Equal(9L * 48 * 48 * 4, result.PrimaryRays);

        var gt = ObjParser.Read(Path.Combine(root, "gt_mesh.obj")).Positions;
        Assert.Equal(1.2f, gt.Max(p => p.Length()), 4);
        foreach (var split in new[] { "train", "val", "test" })
        {
            var dataset = BlenderDataset.Load(root, split);
            Assert.Equal((48, 48), (dataset.Width, dataset.Height));
            Assert.True(dataset.HasAlpha);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, $"transforms_{split}.json")));
            double depthScale = doc.RootElement.GetProperty("depth_scale").GetDouble();
            for (int f = 0; f < dataset.Count; f++)
            {
                var frame = dataset.Frames[f];
                var image = frame.Image.ToImage();
                Assert.Equal(4.0f, frame.Camera.Position.Length(), 4);
                // Every vertex pulled 10% towards the centre projects onto an opaque pixel.
                foreach (var v in gt)
                {
                    var p = frame.Camera.Project(v * 0.9f);
                    Assert.Equal(1f, image[(int)p.X, (int)p.Y, 3]);
                }
                // The centre pixel sees the sphere's nearest point, at 4 − 1.2 for the true sphere; the 24-segment
                // polyhedron lies inside the sphere (never nearer) by at most 1.2·(1 − cos 15°) ≈ 0.04.
                var depth = DatasetFiles.DecodeDepth(Path.Combine(root, $"{split}/r_{f}_depth.png"), depthScale);
                Assert.InRange(depth[24 * 48 + 24], 2.8f - 2e-4f, 2.85f);
                Assert.Equal(0f, depth[0]);
            }
        }

        // DTU: train then val views, grey background, binary masks, projection matrices that map the mesh into the masks.
        var dtuImages = Directory.GetFiles(Path.Combine(root, "dtu", "image")).Order().ToList();
        Assert.Equal(6, dtuImages.Count);
        Assert.EndsWith("000.png", dtuImages[0]);
        var corner = Png.Read(dtuImages[0]);
        Assert.Equal(3, corner.Channels);
        Assert.Equal(60f / 255, corner[0, 0, 0], 3);
        var cameras = NgpSharp.Data.Npy.Npz.Read(Path.Combine(root, "dtu", "cameras_sphere.npz"));
        var loaded = NgpSharp.Data.DtuDataset.Load(Path.Combine(root, "dtu"), "train");
        Assert.Equal(6, loaded.Count);
        Assert.True(loaded.HasAlpha);
        for (int i = 0; i < 6; i++)
        {
            var mask = Png.Read(Path.Combine(root, "dtu", "mask", $"{i:D3}.png"));
            Assert.All(mask.Data, v => Assert.True(v is 0f or 1f));
            var world = Matrix(cameras[$"world_mat_{i}"]);
            var scale = Matrix(cameras[$"scale_mat_{i}"]);
            Assert.Equal(1.5, scale[0, 0], 12);
            foreach (var v in gt)
            {
                var q = v * 0.9f;
                double x = world[0, 0] * q.X + world[0, 1] * q.Y + world[0, 2] * q.Z + world[0, 3];
                double y = world[1, 0] * q.X + world[1, 1] * q.Y + world[1, 2] * q.Z + world[1, 3];
                double z = world[2, 0] * q.X + world[2, 1] * q.Y + world[2, 2] * q.Z + world[2, 3];
                Assert.True(z > 0);
                Assert.Equal(1f, mask[(int)(x / z), (int)(y / z), 0]);
            }
        }
    }

    [Fact]
    public void Dataset_IsDeterministicForASeed()
    {
        var model = _dir.Write("cube.obj", TestMeshes.Cube());
        var options = new RenderDatasetOptions { Resolution = 24, Train = 3, Val = 0, Test = 1, Seed = 4, Depth = false };
        SyntheticDataset.Render(model, Path.Combine(_dir.Path, "a"), options);
        SyntheticDataset.Render(model, Path.Combine(_dir.Path, "b"), options);
        SyntheticDataset.Render(model, Path.Combine(_dir.Path, "c"), options with { Seed = 5 });
        foreach (var file in new[] { "transforms_train.json", "train/r_2.png", "test/r_0.png", "gt_mesh.obj" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(_dir.Path, "a", file)), File.ReadAllBytes(Path.Combine(_dir.Path, "b", file)));
        Assert.NotEqual(File.ReadAllBytes(Path.Combine(_dir.Path, "a", "transforms_train.json")), File.ReadAllBytes(Path.Combine(_dir.Path, "c", "transforms_train.json")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "a", "train", "r_0_depth.png")));
        Assert.False(File.Exists(Path.Combine(_dir.Path, "a", "transforms_val.json")));
    }

    [Fact]
    public void CamerasFile_RerendersItsFramesAtAnotherResolution()
    {
        var model = _dir.Write("cube.obj", TestMeshes.Cube());
        var source = TestData.Path("bunny", "nerf", "transforms_val.json");
        string root = Path.Combine(_dir.Path, "out");
        var result = SyntheticDataset.Render(model, root, new RenderDatasetOptions { Resolution = 16, CamerasFile = source, SamplesPerPixel = 1 });
        Assert.Equal(["val"], result.Splits);
        var ours = BlenderDataset.Load(root, "val");
        using var doc = JsonDocument.Parse(File.ReadAllText(source));
        Assert.Equal(doc.RootElement.GetProperty("frames").GetArrayLength(), ours.Count);
        var theirs = Matrix(doc.RootElement.GetProperty("frames")[3].GetProperty("transform_matrix"));
        Assert.Equal(theirs[0, 3], ours.Frames[3].Camera.Position.X, 5);
        Assert.Equal(16f, ours.Width);
    }

    [Fact]
    public void CamerasFile_WithPathsOutsideTheFolder_IsRejected()
    {
        var model = _dir.Write("cube.obj", TestMeshes.Cube());
        var cameras = _dir.Write("transforms_x.json", """{"camera_angle_x": 0.7, "frames": [{"file_path": "../../etc/r_0", "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]}]}""");
        var e = Assert.Throws<DatasetException>(() => SyntheticDataset.Render(model, Path.Combine(_dir.Path, "out"), new RenderDatasetOptions { CamerasFile = cameras }));
        Assert.Contains("transforms_x.json", e.Message);
        Assert.Contains("inside the dataset folder", e.Message);
    }
}
