using System.Text.Json.Nodes;
using NgpSharp.Tests.Support;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp train`, `ngp test` and `ngp mesh` on a NeuS config, in-process, on the bunny DTU layout at 25×25.</summary>
[Collection("Console")]
public sealed class NeusCliTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-neuscli-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    [Fact]
    public void TrainTestMesh_WriteTheRunFolder_InTheWorldFrame()
    {
        // A small DTU layout of the bunny from our own ray tracer (12 views at 24×24, scale_mat 1.5).
        string data = Path.Combine(_tmp, "data");
        NgpSharp.Rendering.Raytracing.SyntheticDataset.Render(TestData.Path("meshes", "bunny.obj"), data, new()
        {
            Resolution = 24, Train = 10, Val = 2, Test = 0, Format = NgpSharp.Rendering.Raytracing.DatasetFormat.Both, Depth = false, SamplesPerPixel = 1,
        });
        string dtu = Path.Combine(data, "dtu");
        string run = Path.Combine(_tmp, "run");
        var (code, output, error) = NgpCli.Run("train", "--config", NeusTrainerTests.ConfigPath("neus-dtu.yaml"), "--device", "cpu", "--out", run, "--quiet",
            $"dataset.root={dtu}", "dataset.downscale=1",
            "model.grid_resolution=32", "model.num_samples_per_ray=128", "model.train_num_rays=32", "model.target_samples_per_step=2048",
            "model.geometry.xyz_encoding_config.n_levels=6", "model.geometry.xyz_encoding_config.log2_hashmap_size=12",
            "trainer.max_steps=6", "trainer.log_every=3", "export.video_frames=2");
        Assert.True(code == 0, error + output);
        Assert.Equal("step,loss,lr,psnr,eikonal,inv_s,rays,samples,samples_per_s,skipped", File.ReadLines(Path.Combine(run, "metrics.csv")).First());
        Assert.True(File.Exists(Path.Combine(run, "ckpt", "step-000006.ckpt")));
        Assert.True(File.Exists(Path.Combine(run, "report.html")));

        (code, output, error) = NgpCli.Run("test", "--run", run, "--quiet");
        Assert.True(code == 0, error + output);
        int views = Directory.GetFiles(Path.Combine(run, "save", "test")).Length;
        Assert.True(views > 0);
        Assert.Equal(views, Directory.GetFiles(Path.Combine(run, "save", "test_normal")).Length);
        Assert.Equal(views, Directory.GetFiles(Path.Combine(run, "save", "test_gt")).Length);

        (code, output, error) = NgpCli.Run("mesh", "--run", run, "--resolution", "24", "--format", "obj", "--reference", Path.Combine(data, "gt_mesh.obj"));
        Assert.True(code == 0, error + output);
        Assert.Contains("F-score", output);
        var mesh = NgpSharp.Geometry.MeshIo.MeshFile.Read(Path.Combine(run, "save", "mesh.obj"));
        Assert.True(mesh.TriangleCount > 100);
        Assert.NotNull(mesh.Colors);
        // The written mesh is the trainer's (normalised frame) mapped by scale_mat (×1.5) into gt_mesh.obj's world frame.
        var settings = NgpSharp.Config.YamlConfig.Load<NgpSharp.Systems.Neus.NeusSettings>(Path.Combine(run, "config", "parsed.yaml"));
        var train = NgpSharp.Systems.Nerf.NerfData.Load(settings.Dataset, "train");
        Assert.Equal(1.5f, train.SceneToWorld.M11, 5);
        using (var trainer = new NgpSharp.Systems.Neus.NeusTrainer(settings, train, NgpSharp.Compute.CpuBackend.Shared))
        {
            trainer.Resume(Path.Combine(run, "ckpt", "step-000006.ckpt"));
            var own = trainer.ExtractMesh(24, colours: false);
            Assert.Equal(own.VertexCount, mesh.VertexCount);
            for (int i = 0; i < own.VertexCount; i += 97)
                Assert.True(System.Numerics.Vector3.Distance(own.Positions[i] * 1.5f, mesh.Positions[i]) < 1e-4f, $"vertex {i}");
        }
        var metrics = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "metrics.json")))!;
        Assert.NotNull(metrics["psnr"]);
        Assert.NotNull(metrics["train"]);
        Assert.InRange((double)metrics["f_score"]!, 0, 1);
    }
}
