using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Systems;

/// <summary>NeuS with a learned background (configs/neus-dtu-nomask.yaml) on a ray-traced DTU layout with a grey background.</summary>
public sealed class NeusBackgroundTrainingTests : IClassFixture<NeusBackgroundTrainingTests.Layout>
{
    /// <summary>The bunny at 24×24 in the DTU layout (its images keep the grey DTU background), rendered once for the class.</summary>
    public sealed class Layout : IDisposable
    {
        public Layout()
        {
            Root = Directory.CreateTempSubdirectory("ngp-neusbg-").FullName;
            NgpSharp.Rendering.Raytracing.SyntheticDataset.Render(TestData.Path("meshes", "bunny.obj"), Path.Combine(Root, "data"), new()
            {
                Resolution = 24, Train = 8, Val = 1, Test = 0, Format = NgpSharp.Rendering.Raytracing.DatasetFormat.Dtu, Depth = false, SamplesPerPixel = 1,
            });
        }

        public string Root { get; }
        public string Dtu => Path.Combine(Root, "data", "dtu");
        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    readonly Layout _layout;
    readonly Xunit.Abstractions.ITestOutputHelper _out;

    public NeusBackgroundTrainingTests(Layout layout, Xunit.Abstractions.ITestOutputHelper output) => (_layout, _out) = (layout, output);

    NeusSettings Settings(params string[] extra) => YamlConfig.Load<NeusSettings>(NeusTrainerTests.ConfigPath("neus-dtu-nomask.yaml"),
    [
        $"dataset.root={_layout.Dtu}", "dataset.downscale=1",
        "model.grid_resolution=32", "model.num_samples_per_ray=128", "model.train_num_rays=64", "model.target_samples_per_step=8192",
        "model.geometry.xyz_encoding_config.n_levels=6", "model.geometry.xyz_encoding_config.log2_hashmap_size=12",
        "model.num_samples_per_ray_bg=32",
        "model.geometry_bg.xyz_encoding_config.n_levels=6", "model.geometry_bg.xyz_encoding_config.log2_hashmap_size=12",
        "model.geometry_bg.mlp_network_config.n_neurons=32", "model.texture_bg.mlp_network_config.n_neurons=32",
        .. extra,
    ]);

    NeusTrainer Trainer(NeusSettings s)
    {
        var t = new NeusTrainer(s, NerfData.Load(s.Dataset, "train"), CpuBackend.Shared);
        t.MarkUnseenCells();
        return t;
    }

    [Fact]
    public void ShippedConfigs_NoMaskLearnsTheBackground_DefaultDoesNot()
    {
        var nomask = YamlConfig.Load<NeusSettings>(NeusTrainerTests.ConfigPath("neus-dtu-nomask.yaml"));
        Assert.True(nomask.Model.LearnedBackground);
        Assert.Equal(0.0, nomask.System.Loss.LambdaMask);
        Assert.Equal(64, nomask.Model.NumSamplesPerRayBg);
        Assert.Equal(8, (int)nomask.Model.GeometryBg!["feature_dim"]!);
        Assert.False(YamlConfig.Load<NeusSettings>(NeusTrainerTests.ConfigPath("neus-dtu.yaml")).Model.LearnedBackground);
    }

    [Fact]
    public void TrainingWithoutMasks_LowersTheLoss_AndTheBackgroundTakesTheRaysThatMissTheObject()
    {
        using var t = Trainer(Settings());
        var bg = t.BackgroundModel!;
        Assert.Equal(t.Params.Length, t.Sdf.ParamCount + t.Colour.ParamCount + bg.ParamCount);
        // Rays through the corner pixels of a training view miss the bunny: the DTU background grey is all they see.
        var camera = t.Dataset.Frames[0].Camera;
        float[] px = [0.5f, 0.5f, camera.Width - 0.5f, 0.5f, 0.5f, camera.Height - 0.5f, camera.Width - 0.5f, camera.Height - 0.5f];
        var origins = new float[12];
        var directions = new float[12];
        camera.Rays(px, origins, directions);
        const float grey = NgpSharp.Rendering.Raytracing.SyntheticDataset.DtuBackground;
        double Error()
        {
            var c = bg.Inference(origins, directions, 4, (1f, 1f, 1f)).Colour.AsSpan();
            double e = 0;
            foreach (float v in c) e += Math.Abs(v - grey);
            return e / c.Length;
        }

        double before = Error();
        var steps = Enumerable.Range(0, 30).Select(_ => t.Step()).ToList();
        Assert.All(steps, s => Assert.False(s.Skipped));
        Assert.True(t.BackgroundSamples > 0);
        Assert.All(steps, s => Assert.True(s.Samples > t.BackgroundSamples / 2)); // samples count the background's too
        double first = steps.Take(5).Average(s => s.Loss), last = steps.Skip(25).Average(s => s.Loss);
        Assert.True(last < 0.7 * first, $"loss {first:F4} → {last:F4}");

        double after = Error();
        _out.WriteLine($"loss {first:F4} → {last:F4}; |C_bg − grey| on corner rays {before:F3} → {after:F3}; samples/step {steps[^1].Samples} (background {t.BackgroundSamples}), rays {steps[^1].Rays}");
        Assert.True(after < 0.5 * before, $"background colour error on rays missing the object {before:F3} → {after:F3}");
        var opacity = bg.Inference(origins, directions, 4, (1f, 1f, 1f)).Opacity.AsSpan();
        foreach (float a in opacity) Assert.InRange(a, 0.5f, 1.0001f);

        // Rendering composites the object over the learned background: the corner pixels come out grey, not white.
        var render = t.Render(camera.Downscaled(2), (1f, 1f, 1f));
        Assert.InRange(render.Colour.Data[0], grey - 0.15f, grey + 0.15f);
    }

    [Fact]
    public void Resume_WithABackground_ContinuesBitIdentically_AndAForeignCheckpointSaysWhy()
    {
        var s = Settings("model.train_num_rays=32", "model.target_samples_per_step=2048");
        float[] straight;
        using (var a = Trainer(s))
        {
            for (int i = 0; i < 4; i++) a.Step();
            straight = a.Params.Backend.ToArray(a.Params);
        }
        string dir = Directory.CreateTempSubdirectory("ngp-neusbg-ckpt-").FullName;
        try
        {
            string ckpt = Path.Combine(dir, "half.ckpt");
            using (var b = Trainer(s))
            {
                for (int i = 0; i < 2; i++) b.Step();
                b.SaveCheckpoint(ckpt);
            }
            using (var c = Trainer(s))
            {
                c.Resume(ckpt);
                for (int i = 0; i < 2; i++) c.Step();
                var resumed = c.Params.Backend.ToArray(c.Params);
                Assert.Equal(straight.Length, resumed.Length);
                int diff = 0;
                for (int i = 0; i < straight.Length; i++) if (BitConverter.SingleToInt32Bits(straight[i]) != BitConverter.SingleToInt32Bits(resumed[i])) diff++;
                Assert.Equal(0, diff);
            }
            // A checkpoint without the background NeRF, resumed into a model with one (and the other way round).
            string plain = Path.Combine(dir, "plain.ckpt");
            var without = Settings("model.learned_background=false");
            using (var d = Trainer(without)) d.SaveCheckpoint(plain);
            using (var e = Trainer(s))
                Assert.Contains("learned_background", Assert.Throws<InvalidDataException>(() => e.Resume(plain)).Message);
            using (var f = Trainer(without))
                Assert.Contains("learned_background", Assert.Throws<InvalidDataException>(() => f.Resume(ckpt)).Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
