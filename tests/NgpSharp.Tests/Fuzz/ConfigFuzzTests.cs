using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Systems.Nerf;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Fuzz;

/// <summary>
/// Config readers under mutated input: YAML run configs bound to <see cref="NerfSettings"/>, and tiny-cuda-nn JSON
/// configs turned into a trainer by <see cref="ModelFactory"/>. A result or a <see cref="ConfigException"/>, nothing else.
/// </summary>
public sealed class ConfigFuzzTests(ITestOutputHelper output)
{
    static string RepoFile(params string[] parts)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "NgpSharp.slnx"))) return Path.Combine([d.FullName, .. parts]);
        throw new DirectoryNotFoundException("repository root (NgpSharp.slnx) not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void YamlConfig_Fuzz()
    {
        var seeds = FuzzDriver.Files(new[] { "nerf-blender.yaml", "nerf-colmap.yaml" }.Select(f => RepoFile("configs", f)));
        seeds.Add(Text("interpolations", """
            name: fuzz-${dataset.scene}
            tag: t
            seed: 42
            dataset: {scene: lego, root: /data/${dataset.scene}, downscale: 2, split: train}
            model:
              encoding: {n_levels: 8, log2_hashmap_size: 14}
              grid_resolution: 32
            trainer: {max_steps: 100, max_seconds: 1.5e1, log_every: 10, checkpoint_every: 0}
            renderer: {max_samples_per_ray: 64, video_frames: 0}
            """));
        string dir = Directory.CreateTempSubdirectory("ngp-fuzz-yaml-").FullName;
        try
        {
            string file = Path.Combine(dir, "config.yaml");
            FuzzDriver.Run(output, new FuzzTarget("yaml config", seeds, b =>
            {
                File.WriteAllBytes(file, b);
                YamlConfig.Load<NerfSettings>(file);
            }, typeof(ConfigException)) { Text = true, Cases = 2000 });
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void TinyCudaNnJsonConfig_Fuzz()
    {
        var seeds = FuzzDriver.Files([RepoFile("configs", "image.json")]);
        seeds.Add(Text("frequency + cutlass", """
            {"loss": {"otype": "Huber"}, "optimizer": {"otype": "Ema", "decay": 0.95, "nested": {"otype": "ExponentialDecay", "decay_start": 100, "decay_interval": 10, "decay_base": 0.33,
               "nested": {"otype": "Adam", "learning_rate": 1e-2, "beta1": 0.9, "beta2": 0.99, "epsilon": 1e-15}}},
             "encoding": {"otype": "Frequency", "n_frequencies": 6},
             "network": {"otype": "CutlassMLP", "activation": "Sigmoid", "output_activation": "None", "n_neurons": 48, "n_hidden_layers": 3}}
            """));
        seeds.Add(Text("composite", """
            {"loss": {"otype": "L1"}, "optimizer": {"otype": "SGD", "learning_rate": 0.1},
             "encoding": {"otype": "Composite", "nested": [{"otype": "OneBlob", "n_dims_to_encode": 1, "n_bins": 8},
                 {"otype": "HashGrid", "n_levels": 4, "n_features_per_level": 2, "log2_hashmap_size": 10, "base_resolution": 4, "per_level_scale": 2.0}]},
             "network": {"otype": "MLP", "activation": "ReLU", "output_activation": "Exponential", "n_neurons": 16, "n_hidden_layers": 1}}
            """));
        using var backend = new CpuBackend();
        FuzzDriver.Run(output, new FuzzTarget("tiny-cuda-nn json config", seeds, b =>
        {
            var config = JsonConfig.Parse(System.Text.Encoding.UTF8.GetString(b), "fuzz.json");
            using var trainer = ModelFactory.CreateTrainer<float>(backend, 2, 3, config);
        }, typeof(ConfigException)) { Text = true, Cases = 2000 });
    }

    static FuzzSeed Text(string name, string text) => new(name, System.Text.Encoding.UTF8.GetBytes(text));
}
