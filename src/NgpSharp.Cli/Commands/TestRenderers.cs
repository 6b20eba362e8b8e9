using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Geometry;
using NgpSharp.Imaging;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;

namespace NgpSharp.Cli.Commands;

/// <summary>One rendered test view: colour [H, W, 3], an optional normal map, depth and opacity [H·W] each.</summary>
sealed record TestView(Image Colour, Image? Normal, float[] Depth, float[] Opacity, long Samples);

/// <summary>What `ngp test` needs from a trained run, whatever the system (NeRF or NeuS).</summary>
interface ITestRenderer : IDisposable
{
    NerfDataset Test { get; }
    long Step { get; }
    Backend Backend { get; }
    /// <summary>Background of test views and ground truth.</summary>
    (float R, float G, float B) Background { get; }
    Vector3 SceneCentre { get; }
    (int Frames, int Downscale, int Fps) Video { get; }
    TestView Render(Camera camera);
}

static class TestRenderers
{
    /// <summary>The run's system (from config/parsed.yaml) restored from <paramref name="checkpoint"/>, with its test split.</summary>
    public static ITestRenderer Open(RunDirectory run, IEnumerable<string> overrides, string checkpoint, string device, bool quiet)
    {
        var tree = YamlConfig.LoadTree(run.ParsedConfigPath, overrides);
        var backend = TrainCommand.SelectBackend(device, quiet);
        if (SystemKinds.Of(tree) == SystemKind.Neus) return new NeusTestRenderer(ConfigBinder.Bind<NeusSettings>(tree), checkpoint, backend);
        return new NerfTestRenderer(ConfigBinder.Bind<NerfSettings>(tree), checkpoint, backend);
    }

    sealed class NerfTestRenderer : ITestRenderer
    {
        readonly NerfTrainer _trainer;

        public NerfTestRenderer(NerfSettings settings, string checkpoint, Backend backend)
        {
            Test = NerfData.Load(settings.Dataset, settings.Dataset.TestSplit);
            _trainer = new NerfTrainer(settings, Test, backend) { Log = Console.Error.WriteLine }; // out-of-memory chunk splits
            _trainer.Resume(checkpoint);
            var mode = settings.Renderer.TestBackground;
            bool white = mode == NerfTestBackground.White || (mode == NerfTestBackground.Auto && (Test.WhiteBackground || !Test.HasAlpha));
            Background = white ? (1f, 1f, 1f) : (0f, 0f, 0f);
            Video = (settings.Renderer.VideoFrames, settings.Renderer.VideoDownscale, settings.Renderer.VideoFps);
        }

        public NerfDataset Test { get; }
        public long Step => _trainer.StepCount;
        public Backend Backend => _trainer.Backend;
        public (float R, float G, float B) Background { get; }
        public Vector3 SceneCentre => _trainer.Scene.Box.Centre;
        public (int Frames, int Downscale, int Fps) Video { get; }

        public TestView Render(Camera camera)
        {
            var r = _trainer.Render(camera, Background);
            return new TestView(r.Colour, null, r.Depth, r.Opacity, r.Samples);
        }

        public void Dispose() => _trainer.Dispose();
    }

    /// <summary>NeuS runs render on white, as instant-nsr-pl's test step (targets rgb·mask + white·(1 − mask)).</summary>
    sealed class NeusTestRenderer : ITestRenderer
    {
        readonly NeusTrainer _trainer;

        public NeusTestRenderer(NeusSettings settings, string checkpoint, Backend backend)
        {
            Test = NerfData.Load(settings.Dataset, settings.Dataset.TestSplit);
            _trainer = new NeusTrainer(settings, Test, backend) { Log = Console.Error.WriteLine }; // out-of-memory chunk splits
            _trainer.Resume(checkpoint);
            Video = (settings.Export.VideoFrames, settings.Export.VideoDownscale, settings.Export.VideoFps);
        }

        public NerfDataset Test { get; }
        public long Step => _trainer.StepCount;
        public Backend Backend => _trainer.Backend;
        public (float R, float G, float B) Background => (1f, 1f, 1f);
        public Vector3 SceneCentre => _trainer.SceneBox.Centre;
        public (int Frames, int Downscale, int Fps) Video { get; }

        public TestView Render(Camera camera)
        {
            var r = _trainer.Render(camera, Background);
            return new TestView(r.Colour, r.Normal, r.Depth, r.Opacity, r.Samples);
        }

        public void Dispose() => _trainer.Dispose();
    }
}
