using System.Text.Json;
using System.Text.Json.Nodes;
using NgpSharp.Data;
using NgpSharp.Data.Colmap;
using NgpSharp.Imaging;
using NgpSharp.Tests.Data;
using NgpSharp.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Fuzz;

/// <summary>
/// Dataset readers under mutated input: transforms JSON (nerf_synthetic and instant-ngp) in small temp datasets with
/// 4×4 images, and COLMAP models (text and binary, each file in turn) loaded and converted. A result, or one of our
/// exceptions (DatasetException, ColmapFormatException, ImageFormatException), nothing else.
/// </summary>
public sealed class DataFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void BlenderTransforms_Fuzz()
    {
        using var data = new TempDataset();
        // The real bunny val split (10 frames), its file paths pointing at tiny images, and a 2-frame cut of it.
        string real = File.ReadAllText(TestData.Path("bunny", "nerf", "transforms_val.json"));
        foreach (var frame in JsonNode.Parse(real)!["frames"]!.AsArray()) data.Png((string)frame!["file_path"]! + ".png", 4, 4);
        var cut = JsonNode.Parse(real)!.AsObject();
        var frames = cut["frames"]!.AsArray();
        while (frames.Count > 2) frames.RemoveAt(frames.Count - 1);
        var seeds = new List<FuzzSeed> { Text("transforms_val.json", real), Text("2 frames", cut.ToJsonString(new() { WriteIndented = true })) };
        string target = Path.Combine(data.Root, "transforms_train.json");
        FuzzDriver.Run(output, new FuzzTarget("blender transforms", seeds, b =>
        {
            File.WriteAllBytes(target, b);
            BlenderDataset.Load(data.Root, "train");
        }, typeof(DatasetException), typeof(ImageFormatException)) { Text = true, Cases = 1500 });
    }

    [Fact]
    public void InstantNgpTransforms_Fuzz()
    {
        using var data = new TempDataset();
        data.Png("images/a.png", 4, 4);
        data.Png("images/b.png", 4, 3, alpha: false);
        var seeds = new List<FuzzSeed>
        {
            Text("shared intrinsics", $$"""
                {"fl_x": 5.5, "fl_y": 5.25, "cx": 2, "cy": 2, "w": 4, "h": 4, "k1": 0.01, "k2": -0.002, "p1": 0.001, "p2": 0,
                 "aabb_scale": 4, "scale": 0.5, "offset": [0.5, 0.5, 0.5],
                 "frames": [{"file_path": "images/a.png", "transform_matrix": {{TempDataset.Pose(0, 0, 4)}}},
                            {"file_path": "images/a", "sharpness": 30.5, "transform_matrix": {{TempDataset.Pose(4, 0, 0)}}}]}
                """),
            Text("per-frame intrinsics", $$"""
                {"camera_angle_x": 0.69, "aabb_scale": 1,
                 "frames": [{"file_path": "./images/a.png", "transform_matrix": {{TempDataset.Pose(0, 0, 4)}}},
                            {"file_path": "images/b.png", "camera_angle_x": 0.5, "w": 4, "h": 3, "fl_x": 4, "cx": 2, "cy": 1.5, "transform_matrix": {{TempDataset.Pose(0, 4, 0, 2)}}}]}
                """),
        };
        string target = Path.Combine(data.Root, "transforms.json");
        FuzzDriver.Run(output, new FuzzTarget("instant-ngp transforms", seeds, b =>
        {
            File.WriteAllBytes(target, b);
            InstantNgpDataset.Load(target, "train");
        }, typeof(DatasetException), typeof(ImageFormatException)) { Text = true, Cases = 2000 });
    }

    [Theory]
    [InlineData("cameras.txt"), InlineData("images.txt"), InlineData("points3D.txt")]
    [InlineData("cameras.bin"), InlineData("images.bin"), InlineData("points3D.bin")]
    public void Colmap_Fuzz(string file)
    {
        using var data = new TempDataset();
        bool text = file.EndsWith(".txt");
        // Two models: the bunny's cameras (PINHOLE), and a few of them re-targeted at OPENCV and SIMPLE_RADIAL cameras.
        var bunny = ColmapTestModels.Bunny(frames: 6);
        var mixed = new ColmapModel(
            [new(1, ColmapCameraModel.OpenCv, 400, 300, [300, 310, 200, 150, 0.01, -0.02, 0.001, 0.002]), new(2, ColmapCameraModel.SimpleRadial, 64, 48, [50, 32, 24, 0.05])],
            bunny.Images.Take(4).Select((im, i) => im with { CameraId = 1 + i % 2 }).ToList(), bunny.Points3D);
        var seeds = new List<FuzzSeed>();
        foreach (var (name, model) in new[] { ("bunny", bunny), ("mixed", mixed) })
        {
            string dir = Path.Combine(data.Root, "seed-" + name);
            if (text) ColmapWriter.WriteText(model, dir); else ColmapWriter.WriteBinary(model, dir);
            seeds.Add(new FuzzSeed(name, File.ReadAllBytes(Path.Combine(dir, file))));
        }
        string work = Path.Combine(data.Root, "work");
        if (text) ColmapWriter.WriteText(bunny, work); else ColmapWriter.WriteBinary(bunny, work);
        string target = Path.Combine(work, file);
        FuzzDriver.Run(output, new FuzzTarget($"colmap {file}", seeds, b =>
        {
            File.WriteAllBytes(target, b);
            var model = ColmapModel.Load(work);
            if (model.Images.Count == 0) return;
            var nerf = ColmapToNerf.Convert(model, Path.Combine(work, "images"), Path.Combine(work, "transforms.json"));
            CheckFinite(nerf);
        }, typeof(ColmapFormatException)) { Text = text, Cases = text ? 700 : 1000, Fields = text ? null : ColmapBinaryFields });
    }

    /// <summary>A converted model must not carry NaN/∞ silently (the rule: bad input → a clear error, never garbage).</summary>
    static void CheckFinite(NerfTransforms nerf)
    {
        foreach (var f in nerf.Frames)
            foreach (double v in f.TransformMatrix)
                if (!double.IsFinite(v)) throw new InvalidDataException($"frame {f.FilePath}: non-finite transform_matrix after conversion");
        foreach (var k in nerf.Frames.Select(f => f.Intrinsics).Append(nerf.Intrinsics))
            if (k is not null && !new[] { k.FlX, k.FlY, k.Cx, k.Cy, k.K1, k.K2, k.P1, k.P2 }.All(double.IsFinite))
                throw new InvalidDataException("non-finite intrinsics after conversion");
    }

    /// <summary>The record count at the start of a COLMAP binary file, and the 8-byte words after it.</summary>
    static IReadOnlyList<int> ColmapBinaryFields(byte[] bin) => Enumerable.Range(0, Math.Min(64, bin.Length / 4)).Select(i => i * 4).ToList();

    static FuzzSeed Text(string name, string text) => new(name, System.Text.Encoding.UTF8.GetBytes(text));
}
