using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Geometry;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Systems;

public sealed class NeusTrainerTests : IDisposable
{
    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-neus-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    internal static string ConfigPath(string name)
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "configs", name))) d = d.Parent;
        return Path.Combine(d?.FullName ?? throw new FileNotFoundException($"configs/{name} not found"), "configs", name);
    }

    /// <summary>The shipped DTU config on the shared bunny at 50×50, with a small grid, network and step.</summary>
    internal static NeusSettings SmallBunny(params string[] extra) => YamlConfig.Load<NeusSettings>(ConfigPath("neus-dtu.yaml"),
    [
        $"dataset.root={TestData.Path("bunny", "dtu")}", "dataset.downscale=8",
        "model.grid_resolution=32", "model.num_samples_per_ray=256", "model.train_num_rays=64", "model.target_samples_per_step=4096",
        "model.geometry.xyz_encoding_config.n_levels=8", "model.geometry.xyz_encoding_config.log2_hashmap_size=14",
        "model.geometry.xyz_encoding_config.per_level_scale=1.6",
        .. extra,
    ]);

    static readonly Lazy<NgpSharp.Data.NerfDataset> BunnyTrain = new(() => { var s = SmallBunny(); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    static NeusTrainer Trainer(NeusSettings s)
    {
        var t = new NeusTrainer(s, BunnyTrain.Value, CpuBackend.Shared);
        t.MarkUnseenCells();
        return t;
    }

    [Fact]
    public void ShippedConfigs_AreNeusRuns_WithInstantNsrPlDefaults()
    {
        var dtu = YamlConfig.LoadTree(ConfigPath("neus-dtu.yaml"));
        Assert.Equal(SystemKind.Neus, SystemKinds.Of(dtu));
        Assert.Equal(SystemKind.Neus, SystemKinds.Of(YamlConfig.LoadTree(ConfigPath("neus-blender.yaml"))));
        Assert.Equal(SystemKind.Nerf, SystemKinds.Of(YamlConfig.LoadTree(ConfigPath("nerf-blender.yaml"))));
        var s = ConfigBinder.Bind<NeusSettings>(dtu);
        Assert.Equal(1.0, s.Model.Radius);
        Assert.Equal(0.1, s.System.Loss.LambdaEikonal);
        Assert.Equal(0.1, s.System.Loss.LambdaMask);
        Assert.Equal(20000, s.Model.CosAnnealEnd);
        Assert.Equal(0.3, s.Model.Variance.InitVal);
    }

    [Fact]
    public void SphereInitialisation_MeshesAsASphereOfTheInitRadius()
    {
        // Before any training the SDF is ≈ |x| − 0.5 (sphere init), so marching cubes must give that sphere.
        using var t = Trainer(SmallBunny());
        var mesh = t.ExtractMesh(48, colours: true);
        Assert.True(mesh.TriangleCount > 500, $"{mesh.TriangleCount} triangles");
        foreach (var v in mesh.Positions) Assert.InRange(v.Length(), 0.42f, 0.58f);
        Assert.NotNull(mesh.Colors);
        Assert.All(mesh.Colors!, c => Assert.True(c.X is >= 0 and <= 1 && c.Y is >= 0 and <= 1 && c.Z is >= 0 and <= 1));
    }

    [Fact]
    public void TwentySteps_LowerTheLoss()
    {
        using var t = Trainer(SmallBunny());
        var steps = Enumerable.Range(0, 20).Select(_ => t.Step()).ToList();
        Assert.All(steps, s => Assert.False(s.Skipped));
        double first = steps.Take(4).Average(s => s.Loss), last = steps.Skip(16).Average(s => s.Loss);
        Assert.True(last < 0.8 * first, $"loss {first:F4} → {last:F4}");
        Assert.All(steps, s => Assert.True(double.IsFinite(s.Eikonal) && s.InvS > 0));
        Assert.True(steps[^1].Samples > 0);
    }

    [Fact]
    public void Resume_ContinuesBitIdentically()
    {
        var s = SmallBunny();
        float[] straight;
        using (var a = Trainer(s))
        {
            for (int i = 0; i < 4; i++) a.Step();
            straight = a.Params.Backend.ToArray(a.Params);
        }
        string ckpt = Path.Combine(_tmp, "half.ckpt");
        using (var b = Trainer(s))
        {
            for (int i = 0; i < 2; i++) b.Step();
            b.SaveCheckpoint(ckpt);
        }
        using var c = Trainer(s);
        c.Resume(ckpt);
        Assert.Equal(2, c.StepCount);
        for (int i = 0; i < 2; i++) c.Step();
        var resumed = c.Params.Backend.ToArray(c.Params);
        int diff = 0;
        for (int i = 0; i < straight.Length; i++) if (BitConverter.SingleToInt32Bits(straight[i]) != BitConverter.SingleToInt32Bits(resumed[i])) diff++;
        Assert.Equal(0, diff);
    }

    [Fact]
    public void Resume_RejectsForeignAndTruncatedFiles()
    {
        using var t = Trainer(SmallBunny());
        string ckpt = Path.Combine(_tmp, "a.ckpt");
        t.SaveCheckpoint(ckpt);
        var bytes = File.ReadAllBytes(ckpt);
        File.WriteAllBytes(ckpt, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<InvalidDataException>(() => t.Resume(ckpt));
        Assert.Contains(ckpt, e.Message);
        Assert.Matches("truncated|state", e.Message);
        bytes[0] ^= 0xFF;
        File.WriteAllBytes(ckpt, bytes);
        Assert.Contains("not a NeuS checkpoint", Assert.Throws<InvalidDataException>(() => t.Resume(ckpt)).Message);
    }

    [Fact]
    public void Render_GivesColourNormalsAndDepth_OfTheInitialSphere()
    {
        using var t = Trainer(SmallBunny());
        t.Step(); // the first step fills the occupancy grid (an empty grid marches nothing)
        var camera = BunnyTrain.Value.Frames[0].Camera.Downscaled(2);
        var r = t.Render(camera, (1f, 1f, 1f));
        Assert.Equal(camera.Width * camera.Height, r.Opacity.Length);
        // The centre pixel looks at the origin through the sphere of radius 0.5: opaque, depth ≈ distance − 0.5.
        int centre = camera.Height / 2 * camera.Width + camera.Width / 2;
        float distance = camera.Position.Length();
        Assert.True(r.Opacity[centre] > 0.9f, $"opacity {r.Opacity[centre]}");
        Assert.InRange(r.Depth[centre], distance - 0.65f, distance - 0.35f);
        // A corner pixel misses the sphere: background.
        Assert.True(r.Opacity[0] < 0.1f, $"corner opacity {r.Opacity[0]}");
    }
}

public class NeusColourNetworkTests
{
    [Fact]
    public void NormalizeBackward_MatchesCentralDifferences()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 20; trial++)
        {
            double[] g = [rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1];
            double[] up = [rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1, rng.NextDouble() * 2 - 1];
            var analytic = new double[3];
            NeusColourNetwork<double>.NormalizeBackward(g, up, analytic);
            for (int k = 0; k < 3; k++)
            {
                const double h = 1e-6;
                double L(double[] v) { double n = Math.Sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]); return (v[0] * up[0] + v[1] * up[1] + v[2] * up[2]) / n; }
                var plus = (double[])g.Clone(); plus[k] += h;
                var minus = (double[])g.Clone(); minus[k] -= h;
                Assert.Equal((L(plus) - L(minus)) / (2 * h), analytic[k], 6);
            }
        }
    }
}
