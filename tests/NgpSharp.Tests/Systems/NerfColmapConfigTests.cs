using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Systems;

/// <summary>configs/nerf-colmap.yaml on instant-ngp transforms.json data (what `ngp colmap2nerf` writes).</summary>
public sealed class NerfColmapConfigTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-nerf-colmap-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    static string Config() => Path.Combine(Path.GetDirectoryName(NerfTrainerTests.ConfigPath())!, "nerf-colmap.yaml");

    /// <summary>The bunny's first training views as one transforms.json with explicit intrinsics and aabb_scale 4.</summary>
    string WriteTransforms(int frames)
    {
        var blender = JsonNode.Parse(File.ReadAllText(TestData.Path("bunny", "nerf", "transforms_train.json")))!;
        double angle = blender["camera_angle_x"]!.GetValue<double>();
        var list = new JsonArray();
        foreach (var f in blender["frames"]!.AsArray().Take(frames))
            list.Add(new JsonObject
            {
                ["file_path"] = Path.GetFullPath(Path.Combine(TestData.Path("bunny", "nerf"), f!["file_path"]!.GetValue<string>() + ".png")),
                ["transform_matrix"] = f["transform_matrix"]!.DeepClone(),
            });
        var json = new JsonObject
        {
            ["fl_x"] = 200 / Math.Tan(angle / 2), ["fl_y"] = 200 / Math.Tan(angle / 2), ["cx"] = 200, ["cy"] = 200, ["w"] = 400, ["h"] = 400,
            ["aabb_scale"] = 4, ["frames"] = list,
        };
        var path = Path.Combine(_tmp, "transforms.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void DatasetRootIsRequired()
    {
        var e = Assert.Throws<ConfigException>(() => YamlConfig.Load<NerfSettings>(Config()));
        Assert.Contains("dataset.root", e.Message);
    }

    [Fact]
    public void TrainsOnTransformsJson_WithCascadesFromAabbScale_AndConeStepping()
    {
        var s = YamlConfig.Load<NerfSettings>(Config(),
        [
            $"dataset.root={WriteTransforms(12)}", "dataset.downscale=8",
            "model.grid_resolution=32", "model.grid_warmup_steps=4", "model.grid_update_interval=4",
            "model.encoding={n_levels: 8, log2_hashmap_size: 14, n_features_per_level: 2}",
            "trainer.initial_rays=256", "trainer.target_samples_per_step=4096", "renderer.max_samples_per_ray=256",
        ]);
        Assert.Equal(NerfDatasetKind.Ngp, s.Dataset.Kind);
        Assert.Equal(1f / 256, s.Renderer.ConeAngle);
        var data = NerfData.Load(s.Dataset, s.Dataset.Split);
        Assert.Equal(12, data.Count);
        Assert.Equal(4, data.AabbScale);
        using var t = new NerfTrainer(s, data, CpuBackend.Shared);
        t.MarkUnseenCells();
        Assert.Equal(3, t.Grid.Cascades); // ceil(log2 4) + 1
        var losses = Enumerable.Range(0, 30).Select(_ => t.Step().Loss).ToList();
        Assert.True(losses.Skip(25).Average() < losses.Take(5).Average() * 0.7, $"loss {losses.Take(5).Average():G4} → {losses.Skip(25).Average():G4}");
    }
}
