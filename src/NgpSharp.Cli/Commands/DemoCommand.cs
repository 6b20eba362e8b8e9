using NgpSharp.Imaging;
using NgpSharp.Resources;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp demo`: the main job on an embedded default — learns the picture shipped inside the library.</summary>
public static class DemoCommand
{
    public const string Usage = "ngp demo [--steps 400] [--batch 65536] [--snapshot-every 100] [--device auto|cpu|cuda] [--out exp/demo] [--quiet]";

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 0) throw new UsageException($"ngp demo takes no arguments\nusage: {Usage}");
        var settings = ImageCommand.ReadSettings(cl, defaultSteps: 400, defaultOut: Path.Combine("exp", "demo"), defaultSnapshotEvery: 100);
        cl.RejectUnknown("demo");
        var picture = Png.Decode(EmbeddedResources.DemoPicture, "embedded demo.png");
        if (!settings.Quiet) Console.WriteLine("ngp demo: learning the embedded picture (tiny-cuda-nn's mlp_learning_an_image with config_hash.json)");
        return ImageCommand.Train(picture, "demo.png", settings);
    }
}
