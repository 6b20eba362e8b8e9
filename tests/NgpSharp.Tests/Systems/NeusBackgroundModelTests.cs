using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Rendering;
using NgpSharp.Systems.Neus;
using NgpSharp.Tests.Rendering;
using Xunit;

namespace NgpSharp.Tests.Systems;

/// <summary>The learned background's sampling and its gradient through the NeuS renderer, in float64.</summary>
public class NeusBackgroundModelTests(Xunit.Abstractions.ITestOutputHelper log)
{
    /// <summary>A tiny background NeRF: 2-level grid, 8-wide MLPs, 4 features, 16 samples per ray.</summary>
    internal static NeusModelSettings TinyModel(int samplesPerRay = 16) => new()
    {
        LearnedBackground = true,
        NumSamplesPerRayBg = samplesPerRay,
        GeometryBg = new JsonObject
        {
            ["feature_dim"] = 4, ["density_bias"] = -1,
            ["xyz_encoding_config"] = new JsonObject
            {
                ["otype"] = "HashGrid", ["n_levels"] = 2, ["n_features_per_level"] = 2, ["log2_hashmap_size"] = 8, ["base_resolution"] = 4, ["per_level_scale"] = 2.0,
            },
            ["mlp_network_config"] = new JsonObject { ["otype"] = "VanillaMLP", ["n_neurons"] = 8, ["n_hidden_layers"] = 1, ["output_activation"] = "none" },
        },
        TextureBg = new JsonObject { ["mlp_network_config"] = new JsonObject { ["otype"] = "VanillaMLP", ["n_neurons"] = 8, ["n_hidden_layers"] = 1 } },
    };

    static (NeusBackgroundModel<double> Model, DeviceBuffer<double> Params, DeviceBuffer<double> Gradients) Build(NeusModelSettings m, ulong seed = 7)
    {
        var model = NeusBackgroundModel<double>.Create(CpuBackend.Shared, m);
        var p = CpuBackend.Shared.Allocate<double>(model.ParamCount);
        var g = CpuBackend.Shared.Allocate<double>(model.ParamCount);
        var rng = new Rng(seed);
        model.Network.InitializeParams(ref rng, p.All);
        // Spread the grid's tiny initial values so that every part of the network matters.
        var ps = p.All.AsSpan();
        for (long i = model.Network.PositionEncodingParamOffset; i < ps.Length; i++) ps[(int)i] = rng.NextDouble() * 2 - 1;
        model.Network.SetParams(p.All, g.All);
        return (model, p, g);
    }

    // Ray 0 and 1 cross the box [−1, 1]³ (exit at t = 4 and ≈ 3.9), ray 2 misses it, ray 3 starts inside it.
    static readonly float[] Origins = [0, 0, -3, 0.2f, 0.1f, -3, 0, 5, -3, 0.1f, 0.2f, 0.3f];
    static readonly float[] Directions = [0, 0, 1, 0, 0.1f, 0.995f, 0, 0, 1, 0.6f, 0, 0.8f];

    [Fact]
    public void Samples_RunFromTheBoxExit_OrTheNearPlane_ToTheFarPlane_WithConeSteps()
    {
        var (model, p, g) = Build(TinyModel(samplesPerRay: 16));
        using (model) using (p) using (g)
        {
            model.Inference(Origins, Directions, 4, (0.0, 0.0, 0.0));
            var s = model.Samples;
            float c = NeusBackground.ConeAngle(16);
            int[] first = [s.RayOffsets[0], s.RayOffsets[1], s.RayOffsets[2], s.RayOffsets[3]];
            Assert.Equal(4f, s.TStarts[first[0]], 5);                  // leaves z = 1 at t = 4
            Assert.Equal(NeusBackground.NearPlane, s.TStarts[first[2]]); // misses: starts at the near plane
            NeusBackground.SplitRay(new(0.1f, 0.2f, 0.3f), new(0.6f, 0, 0.8f), 1f, out _, out _, out float exit3, out _);
            Assert.Equal(exit3, s.TStarts[first[3]], 5);
            for (int r = 0; r < 4; r++)
            {
                int o = s.RayOffsets[r], n = s.RayCounts[r];
                Assert.Equal(NeusBackground.FarPlane, s.TEnds[o + n - 1]);
                for (int i = o; i < o + n - 1; i++)
                {
                    Assert.Equal(s.TEnds[i], s.TStarts[i + 1]);
                    float expected = MathF.Max(NeusBackground.StepSize, s.TStarts[i] * c);
                    Assert.Equal(expected, s.TEnds[i] - s.TStarts[i], expected * 1e-4f);
                }
            }
            // From t = 4 to 1000 at ×(1 + c) per step: log(250)/log(1 + c) steps (+1 for the clamped last one).
            int expectedSteps = (int)Math.Ceiling(Math.Log(250) / Math.Log(1 + c));
            Assert.InRange(s.RayCounts[0], expectedSteps - 1, expectedSteps + 1);
            // The miss ray starts at 0.1 with dt = 0.01 until t·c > 0.01, so it needs more samples.
            Assert.True(s.RayCounts[2] > s.RayCounts[0]);
            Assert.InRange(model.Output.Opacity.AsSpan()[2], 0.5, 1.0);
        }
    }

    [Fact]
    public void ComposedBackground_GradientWrtTheBackgroundNetwork_MatchesCentralDifferences()
    {
        // L = Σ w ⊙ C_out with C_out = C_fg + (1 − A_fg)·C_bg and C_bg the background NeRF's colour on the same rays.
        var (model, p, g) = Build(TinyModel());
        using (model) using (p) using (g)
        using (var fixture = NeusFixture<double>.Random(5, rays: 4, maxSamples: 4, invS: 8, perRayBackground: false))
        {
            var dirs = new double[12];
            for (int i = 0; i < 12; i++) dirs[i] = Directions[i];
            for (int r = 0; r < 4; r++)
            {
                double n = Math.Sqrt(dirs[3 * r] * dirs[3 * r] + dirs[3 * r + 1] * dirs[3 * r + 1] + dirs[3 * r + 2] * dirs[3 * r + 2]);
                for (int k = 0; k < 3; k++) { dirs[3 * r + k] /= n; fixture.Directions[3 * r + k] = dirs[3 * r + k]; }
            }
            var renderer = new NeusRenderer<double>();
            var rng = new Rng(11);
            var w = Enumerable.Range(0, 12).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
            var dLdColour = fixture.Matrix(w, 3);
            var bgColour = (0.3, 0.6, 0.9);
            using var output = new NeusRenderOutput<double>(CpuBackend.Shared);

            double Loss()
            {
                var bg = model.Inference(Origins, Directions, 4, bgColour);
                renderer.Forward(fixture.Inputs() with { Background = RayBackground<double>.PerRay(bg.Colour) }, output);
                var c = output.Colour.AsSpan();
                double sum = 0;
                for (int i = 0; i < 12; i++) sum += w[i] * c[i];
                return sum;
            }

            var dummy = new Rng(0);
            var bgOut = model.Forward(Origins, Directions, 4, bgColour, prepareBackward: true, ref dummy, jitter: false);
            var inputs = fixture.Inputs() with { Background = RayBackground<double>.PerRay(bgOut.Colour) };
            renderer.Forward(inputs, output);
            var dLdBackground = fixture.Filled(4, 3, double.NaN);
            renderer.Backward(inputs, output, dLdColour, fixture.Filled(fixture.SampleCount, 1, 0), fixture.Filled(fixture.SampleCount, 3, 0),
                fixture.Filled(fixture.SampleCount, 3, 0), dLdBackground: dLdBackground);
            g.All.AsSpan().Fill(double.NaN); // Backward overwrites every gradient
            model.Backward(dLdBackground);
            var analytic = g.All.AsSpan().ToArray();
            Assert.All(analytic, v => Assert.True(double.IsFinite(v)));

            // Every MLP weight and the 60 largest grid gradients.
            long gridStart = model.Network.PositionEncodingParamOffset;
            var indices = Enumerable.Range(0, (int)gridStart)
                .Concat(Enumerable.Range((int)gridStart, analytic.Length - (int)gridStart).OrderByDescending(i => Math.Abs(analytic[i])).Take(60)).ToArray();
            var theta = p.All.AsSpan();
            double scale = analytic.Max(Math.Abs), worst = 0;
            Assert.True(scale > 1e-3, $"gradients are all ≈ 0 ({scale})");
            const double h = 1e-6;
            foreach (int i in indices)
            {
                double keep = theta[i];
                theta[i] = keep + h; double plus = Loss();
                theta[i] = keep - h; double minus = Loss();
                theta[i] = keep;
                worst = Math.Max(worst, Math.Abs((plus - minus) / (2 * h) - analytic[i]));
            }
            log.WriteLine($"{indices.Length} parameters checked: worst |analytic − numeric| {worst:E3}, largest gradient {scale:E3}");
            Assert.True(worst < 1e-5 * scale, $"worst |analytic − numeric| = {worst:E3} (largest gradient {scale:E3})");
        }
    }

    [Fact]
    public void BadBlocks_AreConfigErrors_NamingTheKey()
    {
        var m = TinyModel();
        var bad = m with { GeometryBg = new JsonObject { ["feature_dim"] = 0 } };
        Assert.Contains("model.geometry_bg.feature_dim", Assert.Throws<ConfigException>(() => NeusBackgroundModel<double>.Create(CpuBackend.Shared, bad)).Message);
        bad = m with { TextureBg = new JsonObject { ["mlp_network_config"] = new JsonObject { ["output_activation"] = "sigmoid" } } };
        Assert.Contains("model.texture_bg.mlp_network_config.output_activation", Assert.Throws<ConfigException>(() => NeusBackgroundModel<double>.Create(CpuBackend.Shared, bad)).Message);
    }
}
