using System.Text.Json.Nodes;
using NgpSharp.Config;

namespace NgpSharp.Tests.Config;

public enum Background { White, Black, Random }
public enum DensityActivation { Exp, TruncExp, Softplus }

public sealed record DatasetSettings
{
    [Required] public string Root { get; init; } = "";
    [Range(1, 64)] public int Downscale { get; init; } = 1;
    public string Split { get; init; } = "train";
    [ConfigAlias("img_wh")] public int[] ImageSize { get; init; } = [800, 800];
}

public sealed record TrainerSettings
{
    [Range(1, 10_000_000)] public int MaxSteps { get; init; } = 20000;
    public double? MaxSeconds { get; init; }
    public float LearningRate { get; init; } = 1e-2f;
    public List<int> Milestones { get; init; } = [10000, 15000];
    public bool Verbose { get; init; }
}

public sealed record ModelSettings
{
    public double Radius { get; init; } = 1.5;
    public Background BackgroundColor { get; init; } = Background.Random;
    public DensityActivation DensityActivation { get; init; } = DensityActivation.TruncExp;
    public JsonObject? XyzEncodingConfig { get; init; }
    public Dictionary<string, double> Extra { get; init; } = [];
}

public sealed record RunSettings
{
    public string Name { get; init; } = "nerf";
    public string Tag { get; init; } = "";
    public ulong Seed { get; init; } = 42;
    public string? Note { get; init; }
    public DatasetSettings Dataset { get; init; } = new();
    public TrainerSettings Trainer { get; init; } = new() { MaxSteps = 30000 };
    public ModelSettings Model { get; init; } = new();
}

public sealed class RequiredMemberSettings
{
    public required string Scene { get; set; }
    public int Count { get; set; } = 3;
}
