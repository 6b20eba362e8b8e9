using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Sdf;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class SdfNetworkTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    /// <summary>A small double network: 4 levels (res 4, 6, 9, 14 → hashed beyond 2^8 entries), 8 neurons, 4 outputs.</summary>
    static SdfNetworkSettings Small(SdfGradientType grad = SdfGradientType.Analytic, bool sphereInit = true, bool weightNorm = true) => new()
    {
        Radius = 1.5, FeatureDim = 4, GradType = grad, FiniteDifferenceEps = 1e-3,
        NLevels = 4, FeaturesPerLevel = 2, Log2HashmapSize = 8, BaseResolution = 4, PerLevelScale = 1.5,
        Neurons = 8, SphereInit = sphereInit, Activation = sphereInit ? SdfActivation.Softplus : SdfActivation.ReLU,
        SoftplusBeta = 3, WeightNorm = weightNorm,
    };

    sealed class Harness : IDisposable
    {
        public readonly SdfNetwork<double> Net;
        public readonly DeviceBuffer<double> P, G;
        public readonly double[] X;
        public readonly int N;

        public Harness(SdfNetworkSettings settings, int n, ulong seed, bool randomParams = true)
        {
            Net = new SdfNetwork<double>(Cpu, settings);
            N = n;
            P = Cpu.Allocate<double>(Net.ParamCount);
            G = Cpu.Allocate<double>(Net.ParamCount);
            var rng = new Rng(seed);
            Net.InitializeParams(ref rng, P.All);
            if (randomParams)
            {
                // Generic values so that every path (hash columns of W₁, features, norms) carries gradient.
                var p = P.All.AsSpan();
                for (int i = 0; i < p.Length; i++) p[i] = rng.NextDouble() * 1.6 - 0.8;
                for (int i = 0; i < Net.MlpParamCount; i++) p[i] *= 1.5;
            }
            Net.SetParams(P.All, G.All);
            X = InteriorPoints(Net, n, ref rng);
        }

        /// <summary>Points in (−0.9r, 0.9r)³ whose grid cell fraction is ≥ 2e-3 from 0 and 1 at every level.</summary>
        static double[] InteriorPoints(SdfNetwork<double> net, int n, ref Rng rng)
        {
            var x = new double[3 * n];
            double r = net.Settings.Radius;
            for (int i = 0; i < 3 * n; i++)
            {
                while (true)
                {
                    double v = (rng.NextDouble() * 1.8 - 0.9) * r, u = (v + r) / (2 * r);
                    bool ok = true;
                    for (int l = 0; l < net.Grid.NLevels; l++)
                    {
                        double pos = u * net.Grid.LevelScale(l) + 0.5, f = pos - Math.Floor(pos);
                        ok &= f > 2e-3 && f < 1 - 2e-3;
                    }
                    if (ok) { x[i] = v; break; }
                }
            }
            return x;
        }

        public (double[] Out, double[] Grad) Evaluate(double[]? positions = null)
        {
            using var xb = Cpu.Upload<double>(positions ?? X);
            int n = (positions ?? X).Length / 3;
            using var ob = Cpu.AllocateMatrix<double>(n, Net.OutputWidth, out var o);
            using var gb = Cpu.AllocateMatrix<double>(n, 3, out var g);
            Net.Inference(xb.AsMatrix(n, 3), o, g);
            return (o.AsSpan().ToArray(), g.AsSpan().ToArray());
        }

        public void Dispose() { Net.Dispose(); P.Dispose(); G.Dispose(); }
    }

    /// <summary>L = Σ w ⊙ output + Σ c_i (|∇f_i| − 1)² (an eikonal term with per-point weights).</summary>
    static double Loss(double[] output, double[] grad, double[] w, double[] c)
    {
        double sum = 0;
        for (int i = 0; i < output.Length; i++) sum += w[i] * output[i];
        for (int i = 0; i < c.Length; i++)
        {
            double norm = Math.Sqrt(grad[3 * i] * grad[3 * i] + grad[3 * i + 1] * grad[3 * i + 1] + grad[3 * i + 2] * grad[3 * i + 2]);
            sum += c[i] * (norm - 1) * (norm - 1);
        }
        return sum;
    }

    static void CheckParamGradients(SdfNetworkSettings settings, bool eikonal)
    {
        using var h = new Harness(settings, 12, 7);
        var rng = new Rng(99);
        var w = new double[h.N * h.Net.OutputWidth];
        for (int i = 0; i < w.Length; i++) w[i] = rng.NextDouble() * 2 - 1;
        var c = new double[h.N];
        for (int i = 0; i < c.Length; i++) c[i] = eikonal ? 0.5 + rng.NextDouble() : 0;

        using var xb = Cpu.Upload<double>(h.X);
        var x = xb.AsMatrix(h.N, 3);
        using var ob = Cpu.AllocateMatrix<double>(h.N, h.Net.OutputWidth, out var o);
        using var gb = Cpu.AllocateMatrix<double>(h.N, 3, out var g);
        using var ctx = h.Net.Forward(x, o, g);
        var grad = g.AsSpan().ToArray();
        var dG = new double[3 * h.N];
        for (int i = 0; i < h.N; i++)
        {
            double norm = Math.Sqrt(grad[3 * i] * grad[3 * i] + grad[3 * i + 1] * grad[3 * i + 1] + grad[3 * i + 2] * grad[3 * i + 2]);
            for (int d = 0; d < 3; d++) dG[3 * i + d] = c[i] * 2 * (norm - 1) * grad[3 * i + d] / norm;
        }
        using var wb = Cpu.Upload<double>(w);
        using var dgb = Cpu.Upload<double>(dG);
        h.Net.Backward(ctx, wb.AsMatrix(h.N, h.Net.OutputWidth), eikonal ? dgb.AsMatrix(h.N, 3) : null);
        var analytic = h.G.All.AsSpan().ToArray();

        // Every MLP parameter, plus the 150 largest grid gradients and 50 random grid parameters (most are 0).
        var theta = h.P.All.AsSpan();
        var indices = Enumerable.Range(0, (int)h.Net.MlpParamCount).ToList();
        var grid = Enumerable.Range((int)h.Net.GridParamOffset, (int)h.Net.Grid.ParamCount).ToArray();
        indices.AddRange(grid.OrderByDescending(i => Math.Abs(analytic[i])).Take(150));
        for (int k = 0; k < 50; k++) indices.Add(grid[(int)rng.NextUInt((uint)grid.Length)]);
        Assert.Contains(indices, i => i >= h.Net.GridParamOffset && Math.Abs(analytic[i]) > 1e-3);

        double max = analytic.Max(Math.Abs), worst = 0;
        const double eps = 1e-6;
        foreach (int i in indices.Distinct())
        {
            double keep = theta[i];
            theta[i] = keep + eps;
            var (o1, g1) = h.Evaluate();
            theta[i] = keep - eps;
            var (o2, g2) = h.Evaluate();
            theta[i] = keep;
            double numeric = (Loss(o1, g1, w, c) - Loss(o2, g2, w, c)) / (2 * eps);
            worst = Math.Max(worst, Math.Abs(numeric - analytic[i]));
        }
        Assert.True(worst <= 1e-6 * max, $"worst |analytic − numeric| = {worst:E3}, max gradient {max:E3}");
    }

    [Theory]
    [InlineData(true, true, true)]    // softplus, weight norm, eikonal (the double backward)
    [InlineData(true, false, true)]   // softplus, plain weights
    [InlineData(false, false, true)]  // ReLU (σ'' = 0, but Γᵀq and the grid Jacobian terms remain)
    [InlineData(true, true, false)]   // no loss on the gradient
    public void AnalyticGradients_MatchFiniteDifferences(bool softplus, bool weightNorm, bool eikonal) =>
        CheckParamGradients(Small(SdfGradientType.Analytic, softplus, weightNorm), eikonal);

    [Fact]
    public void FiniteDifferenceNormals_BackwardMatchesFiniteDifferences() =>
        CheckParamGradients(Small(SdfGradientType.FiniteDifference), eikonal: true);

    [Fact]
    public void AnalyticNormal_MatchesCentralDifferencesOfTheSdf()
    {
        using var h = new Harness(Small(), 16, 3);
        var (_, grad) = h.Evaluate();
        const double eps = 1e-6;
        for (int i = 0; i < h.N; i++)
            for (int d = 0; d < 3; d++)
            {
                var plus = h.X[(3 * i)..(3 * i + 3)];
                var minus = (double[])plus.Clone();
                plus[d] += eps;
                minus[d] -= eps;
                double numeric = (h.Evaluate(plus).Out[0] - h.Evaluate(minus).Out[0]) / (2 * eps);
                Assert.True(Math.Abs(numeric - grad[3 * i + d]) < 1e-6 * (1 + Math.Abs(numeric)), $"point {i} dim {d}: {grad[3 * i + d]} vs {numeric}");
            }
    }

    [Fact]
    public void FiniteDifferenceMode_IsTheCentralDifferenceAtClampedPoints()
    {
        var settings = Small(SdfGradientType.FiniteDifference) with { FiniteDifferenceEps = 0.05 };
        using var h = new Harness(settings, 4, 5);
        var x = (double[])h.X.Clone();
        x[0] = 1.49; // x + eps leaves the box: clamped to r = 1.5, still divided by 2·eps (as instant-nsr-pl)
        var (out7, grad) = h.Evaluate(x);
        using var analytic = new Harness(settings with { GradType = SdfGradientType.Analytic }, 1, 5);
        h.P.All.AsSpan().CopyTo(analytic.P.All.AsSpan());
        for (int i = 0; i < 4; i++)
            for (int d = 0; d < 3; d++)
            {
                var plus = x[(3 * i)..(3 * i + 3)];
                var minus = (double[])plus.Clone();
                plus[d] = Math.Min(plus[d] + 0.05, 1.5);
                minus[d] = Math.Max(minus[d] - 0.05, -1.5);
                double expected = (analytic.Evaluate(plus).Out[0] - analytic.Evaluate(minus).Out[0]) / 0.1;
                Assert.Equal(expected, grad[3 * i + d], 12);
            }
        Assert.Equal(analytic.Evaluate(x).Out, out7);
    }

    [Fact]
    public void SphereInit_GivesRoughlyTheSdfOfASphereOfRadiusHalf()
    {
        using var net = new SdfNetwork<float>(Cpu, new SdfNetworkSettings { Radius = 1, Log2HashmapSize = 12, NLevels = 4 });
        using var p = Cpu.Allocate<float>(net.ParamCount);
        using var g = Cpu.Allocate<float>(net.ParamCount);
        var rng = new Rng(42);
        net.InitializeParams(ref rng, p.All);
        net.SetParams(p.All, g.All);
        const int n = 256;
        var x = new float[3 * n];
        for (int i = 0; i < x.Length; i++) x[i] = rng.NextFloat() * 1.6f - 0.8f;
        using var xb = Cpu.Upload<float>(x);
        using var ob = Cpu.AllocateMatrix<float>(n, 13, out var o);
        using var gb = Cpu.AllocateMatrix<float>(n, 3, out var gm);
        net.Inference(xb.AsMatrix(n, 3), o, gm);
        double error = 0, cosine = 0;
        for (int i = 0; i < n; i++)
        {
            double len = Math.Sqrt(x[3 * i] * x[3 * i] + x[3 * i + 1] * x[3 * i + 1] + x[3 * i + 2] * x[3 * i + 2]);
            error += Math.Abs(o.AsSpan()[i * 13] - (len - 0.5)) / n;
            var gr = gm.AsSpan().Slice(3 * i, 3);
            double gl = Math.Sqrt(gr[0] * gr[0] + gr[1] * gr[1] + gr[2] * gr[2]);
            cosine += (gr[0] * x[3 * i] + gr[1] * x[3 * i + 1] + gr[2] * x[3 * i + 2]) / (gl * len) / n;
        }
        Assert.True(error < 0.15, $"mean |sdf − (|x| − 0.5)| = {error}");
        Assert.True(cosine > 0.8, $"mean cos(∇sdf, x) = {cosine}");
    }

    [Fact]
    public void Accumulate_AddsToTheGradient_AndInferenceEqualsForward()
    {
        using var h = new Harness(Small(), 8, 11);
        using var xb = Cpu.Upload<double>(h.X);
        var x = xb.AsMatrix(h.N, 3);
        using var ob = Cpu.AllocateMatrix<double>(h.N, 4, out var o);
        using var gb = Cpu.AllocateMatrix<double>(h.N, 3, out var g);
        using var ones = Cpu.Upload<double>(Enumerable.Repeat(1.0, 4 * h.N).ToArray());
        using var dg = Cpu.Upload<double>(Enumerable.Repeat(0.5, 3 * h.N).ToArray());
        using (var ctx = h.Net.Forward(x, o, g)) h.Net.Backward(ctx, ones.AsMatrix(h.N, 4), dg.AsMatrix(h.N, 3));
        var once = h.G.All.AsSpan().ToArray();
        var (inferOut, inferGrad) = h.Evaluate();
        Assert.Equal(inferOut, o.AsSpan().ToArray());
        Assert.Equal(inferGrad, g.AsSpan().ToArray());
        using (var ctx = h.Net.Forward(x, o, g)) h.Net.Backward(ctx, ones.AsMatrix(h.N, 4), dg.AsMatrix(h.N, 3), GradientMode.Accumulate);
        var twice = h.G.All.AsSpan().ToArray();
        for (int i = 0; i < once.Length; i++) Assert.Equal(2 * once[i], twice[i], 12);
    }

    [Fact]
    public void UpdateStep_GrowsTheBand_AndTheProgressiveStepIsTheFinestActiveCell()
    {
        var settings = new SdfNetworkSettings { ProgressiveBand = true, FiniteDifferenceEps = null, Log2HashmapSize = 10, StartLevel = 4, StartStep = 100, UpdateSteps = 1000 };
        using var net = new SdfNetwork<float>(Cpu, settings);
        Assert.Equal(4, net.Grid.ActiveLevels);
        net.UpdateStep(1099);
        Assert.Equal(4, net.Grid.ActiveLevels);
        net.UpdateStep(1100);
        Assert.Equal(5, net.Grid.ActiveLevels);
        Assert.Equal(2.0 / (32 * Math.Pow(1.3195079107728942, 4)), net.FiniteDifferenceStep, 12);
        net.UpdateStep(1_000_000);
        Assert.Equal(16, net.Grid.ActiveLevels);
    }

    const string NeusDtuGeometry = """
        name: volume-sdf
        radius: 1.0
        feature_dim: 13
        grad_type: analytic
        sdf2weight: neus
        isosurface:
          method: mc
          resolution: 512
          chunk: 2097152
          threshold: 0.
        xyz_encoding_config:
          otype: HashGrid
          n_levels: 16
          n_features_per_level: 2
          log2_hashmap_size: 19
          base_resolution: 32
          per_level_scale: 1.3195079107728942
          include_xyz: true
        mlp_network_config:
          otype: VanillaMLP
          activation: ReLU
          output_activation: none
          n_neurons: 64
          n_hidden_layers: 1
          sphere_init: true
          sphere_init_radius: 0.5
          weight_norm: true
        """;

    static JsonConfig Geometry(string yaml, params string[] overrides)
    {
        var root = YamlConfig.Parse(yaml, "geometry.yaml");
        YamlConfig.ApplyOverrides(root, overrides);
        var json = (System.Text.Json.Nodes.JsonObject)ConfigBinder.ToJson(ConfigInterpolation.Resolve(root))!;
        return JsonConfig.From(json, "model.geometry");
    }

    [Fact]
    public void FromYaml_ReadsInstantNsrPlsNeusDtuGeometry()
    {
        var s = SdfNetworkSettings.FromJson(Geometry(NeusDtuGeometry));
        Assert.Equal(new SdfNetworkSettings
        {
            Radius = 1, FeatureDim = 13, GradType = SdfGradientType.Analytic, FiniteDifferenceEps = 1e-3, ProgressiveBand = false,
            NLevels = 16, FeaturesPerLevel = 2, Log2HashmapSize = 19, BaseResolution = 32, PerLevelScale = 1.3195079107728942,
            IncludeXyz = true, Neurons = 64, HiddenLayers = 1, Activation = SdfActivation.Softplus, SoftplusBeta = 100,
            SphereInit = true, SphereInitRadius = 0.5, WeightNorm = true,
            Isosurface = new SdfIsosurfaceSettings { Method = "mc", Resolution = 512, Chunk = 2097152, Threshold = 0 },
        }, s);
        using var net = new SdfNetwork<float>(Cpu, s);
        Assert.Equal(35, net.MlpInputWidth);
        Assert.Equal(64 * 35 + 64 + 64 + 13 * 64 + 13 + 13, net.MlpParamCount);
    }

    [Fact]
    public void FromYaml_ReadsTheProgressiveBandAndFiniteDifferences()
    {
        var s = SdfNetworkSettings.FromJson(Geometry(NeusDtuGeometry, "grad_type=finite_difference", "finite_difference_eps=progressive",
            "xyz_encoding_config.otype=ProgressiveBandHashGrid", "xyz_encoding_config.start_level=4", "xyz_encoding_config.start_step=0",
            "xyz_encoding_config.update_steps=1000", "mlp_network_config.sphere_init=false"));
        Assert.True(s.ProgressiveBand);
        Assert.Null(s.FiniteDifferenceEps);
        Assert.Equal((4, 0, 1000), (s.StartLevel, s.StartStep, s.UpdateSteps));
        Assert.Equal(SdfGradientType.FiniteDifference, s.GradType);
        Assert.Equal(SdfActivation.ReLU, s.Activation);
        Assert.Equal(0.002, SdfNetworkSettings.FromJson(Geometry(NeusDtuGeometry, "finite_difference_eps=0.002")).FiniteDifferenceEps);
    }

    [Theory]
    [InlineData("grad_type=numeric", "model.geometry.grad_type")]
    [InlineData("finite_difference_eps=progressive", "model.geometry.finite_difference_eps")]
    [InlineData("finite_difference_eps=-1", "model.geometry.finite_difference_eps")]
    [InlineData("radius=0", "model.geometry.radius")]
    [InlineData("xyz_encoding_config.otype=Frequency", "model.geometry.xyz_encoding_config.otype")]
    [InlineData("mlp_network_config.n_hidden_layers=2", "model.geometry.mlp_network_config.n_hidden_layers")]
    [InlineData("mlp_network_config.output_activation=sigmoid", "model.geometry.mlp_network_config.output_activation")]
    [InlineData("mlp_network_config.otype=FullyFusedMLP", "model.geometry.mlp_network_config.otype")]
    [InlineData("use_appearance_embedding=true", "model.geometry.use_appearance_embedding")]
    public void FromYaml_BadValues_NameTheKey(string assignment, string key)
    {
        var e = Assert.Throws<ConfigException>(() => SdfNetworkSettings.FromJson(Geometry(NeusDtuGeometry, assignment)));
        Assert.StartsWith(key + ":", e.Message);
    }

    [Fact]
    public void Backward_RejectsAForeignContext_AndAGradientLossWithoutAGradient()
    {
        using var h = new Harness(Small(), 2, 1);
        using var xb = Cpu.Upload<double>(h.X);
        using var ob = Cpu.AllocateMatrix<double>(2, 4, out var o);
        using var dg = Cpu.AllocateMatrix<double>(2, 3, out var dgm);
        using var ctx = h.Net.Forward(xb.AsMatrix(2, 3), o);
        Assert.Throws<ArgumentException>(() => h.Net.Backward(ctx, o, dgm));
        Assert.Throws<ArgumentException>(() => h.Net.Backward(ForwardContext.Empty, o));
    }
}
