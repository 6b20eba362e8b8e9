using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;
using NgpSharp.Nn.Networks;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class NerfNetworkTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    static JsonConfig Json(string text) => JsonConfig.Parse(text, "nerf.json");

    /// <summary>A small network: grid 4 levels × 2 features, 2^8 entries, MLPs 16 wide (FullyFusedMLP alignment 16).</summary>
    static readonly string SmallConfig = """
        {
          "encoding": {"otype": "HashGrid", "n_levels": 4, "n_features_per_level": 2, "log2_hashmap_size": 8, "base_resolution": 4},
          "network": {"n_neurons": 16, "n_hidden_layers": 1},
          "rgb_network": {"n_neurons": 16, "n_hidden_layers": 2}
        }
        """;

    static NerfNetwork<TT> Small<TT>() where TT : unmanaged, System.Numerics.IFloatingPointIeee754<TT> =>
        NerfNetwork<TT>.FromJson(Cpu, 1, Json(SmallConfig));

    /// <summary>Rows of (position in [0.05, 0.95]³, unit direction).</summary>
    static double[] RandomInput(int batch, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[batch * 6];
        for (int r = 0; r < batch; r++)
        {
            for (int k = 0; k < 3; k++) x[r * 6 + k] = 0.05 + 0.9 * rng.NextDouble();
            double dx = rng.NextDouble() * 2 - 1, dy = rng.NextDouble() * 2 - 1, dz = rng.NextDouble() * 2 - 1;
            double len = Math.Sqrt(dx * dx + dy * dy + dz * dz) + 1e-9;
            x[r * 6 + 3] = dx / len; x[r * 6 + 4] = dy / len; x[r * 6 + 5] = dz / len;
        }
        return x;
    }

    /// <summary>Uniform in ±0.5: the grid's ±1e-4 initialisation would make its gradients (and the density) negligible.</summary>
    static double[] LargeParams(long count, ulong seed)
    {
        var rng = new Rng(seed);
        var theta = new double[count];
        for (int i = 0; i < theta.Length; i++) theta[i] = (rng.NextDouble() * 2 - 1) * 0.5;
        return theta;
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        using var net = Small<double>();
        GradientCheck.Check(net, RandomInput(9, 3), LargeParams(net.ParamCount, 4),
            new GradientCheck.Options { Tolerance = 1e-5, MaxParams = 400, MaxInputs = 54 });
    }

    [Fact]
    public void OutputColumnsAreTheRawOutputsOfTheParts()
    {
        using var net = Small<double>();
        int batch = 13;
        var x = RandomInput(batch, 5);
        using var theta = Cpu.Upload<double>(LargeParams(net.ParamCount, 6));
        using var grads = Cpu.Allocate<double>(net.ParamCount);
        net.SetParams(theta.All, grads.All);
        var y = Run(net, x, batch);

        // The parts by hand: grid → density MLP; SH of (d + 1)/2; colour MLP on [16 density features, 16 SH values].
        var pos = new double[batch * 3];
        var dir01 = new double[batch * 3];
        for (int r = 0; r < batch; r++)
            for (int k = 0; k < 3; k++) { pos[r * 3 + k] = x[r * 6 + k]; dir01[r * 3 + k] = (x[r * 6 + 3 + k] + 1) / 2; }
        var features = Apply(net.PositionEncoding, pos, batch);
        var density = Apply(net.DensityNetwork, features, batch);
        var sh = Apply(net.DirectionEncoding, dir01, batch);
        Assert.Equal(16, net.DensityNetwork.OutputWidth);
        Assert.Equal(16, net.DirectionEncoding.OutputWidth);
        Assert.Equal(32, net.ColourNetwork.InputWidth);
        var colourIn = new double[batch * 32];
        for (int r = 0; r < batch; r++)
        {
            Array.Copy(density, r * 16, colourIn, r * 32, 16);
            Array.Copy(sh, r * 16, colourIn, r * 32 + 16, 16);
        }
        var rgb = Apply(net.ColourNetwork, colourIn, batch);

        bool anyNegativeColour = false;
        for (int r = 0; r < batch; r++)
        {
            Assert.Equal(density[r * 16], y[r * 4 + NerfNetwork<double>.DensityColumn], 12);
            for (int c = 0; c < 3; c++)
            {
                Assert.Equal(rgb[r * 3 + c], y[r * 4 + c], 12);
                anyNegativeColour |= y[r * 4 + c] < 0; // raw, no sigmoid applied
            }
        }
        Assert.True(anyNegativeColour, "raw colours should not all be ≥ 0 with these parameters (is an activation applied?)");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(131)]
    public void DensityOnlyEqualsTheDensityColumnForAnyBatch(int batch)
    {
        using var net = Small<float>();
        using var theta = Cpu.Allocate<float>(net.ParamCount);
        using var grads = Cpu.Allocate<float>(net.ParamCount);
        var rng = new Rng(9);
        net.InitializeParams(ref rng, theta.All, 1f);
        var t = theta.All.AsSpan();
        for (long i = net.PositionEncodingParamOffset; i < net.DirectionEncodingParamOffset; i++) t[(int)i] = (rng.NextFloat() - 0.5f) * 2f;
        net.SetParams(theta.All, grads.All);

        var x = RandomInput(batch, 10).Select(v => (float)v).ToArray();
        using var xBuf = Cpu.Upload<float>(x);
        using var yBuf = Cpu.AllocateMatrix<float>(batch, 4, out var y);
        net.Inference(xBuf.AsMatrix(batch, 6), y);

        var pos = new float[batch * 3];
        for (int r = 0; r < batch; r++) for (int k = 0; k < 3; k++) pos[r * 3 + k] = x[r * 6 + k];
        using var pBuf = Cpu.Upload<float>(pos);
        using var dBuf = Cpu.Allocate<float>(batch);
        net.DensityOnly(pBuf.AsMatrix(batch, 3), dBuf.All);
        var ys = y.AsSpan();
        var d = dBuf.All.AsSpan();
        for (int r = 0; r < batch; r++) Assert.Equal(ys[r * 4 + 3], d[r]);
        Assert.Contains(d.ToArray(), v => v != 0f);
    }

    [Fact]
    public void DensityOnlyRejectsBadShapes()
    {
        using var net = Small<float>();
        using var theta = Cpu.Allocate<float>(net.ParamCount);
        using var grads = Cpu.Allocate<float>(net.ParamCount);
        using var p = Cpu.AllocateMatrix<float>(4, 3, out var positions);
        using var d = Cpu.Allocate<float>(3);
        Assert.Throws<InvalidOperationException>(() => net.DensityOnly(positions, d.All));
        net.SetParams(theta.All, grads.All);
        Assert.Contains("3 values for 4 positions", Assert.Throws<ArgumentException>(() => net.DensityOnly(positions, d.All)).Message);
    }

    [Fact]
    public void DefaultParameterCountIsTheSumOfTheParts()
    {
        using var net = NerfNetwork<float>.FromJson(Cpu, 1);
        // Density MLP: [64, 32] + [16, 64] = 3072. Colour MLP: [64, 32] + [64, 64] + [3, 64] = 6336.
        // Grid, aabb_scale 1 (b = 128^(1/15), resolutions 16, 23, 31, 43, 59 dense, 81 … 2048 hashed):
        // 4096 + 12168 + 29792 + 79512 + 205384 + 11 × 2^19 = 6 098 120 entries × 2 features = 12 196 240.
        Assert.Equal(3072, net.DensityNetwork.ParamCount);
        Assert.Equal(6336, net.ColourNetwork.ParamCount);
        Assert.Equal(12_196_240, net.PositionEncoding.ParamCount);
        Assert.Equal(0, net.DirectionEncoding.ParamCount);
        Assert.Equal(3072 + 6336 + 12_196_240, net.ParamCount);
        Assert.Equal(2048, ((HashGrid<float>)net.PositionEncoding).LevelResolution(15));

        // Layout: density MLP, colour MLP, grid, direction encoding; the matrices (both MLPs) first.
        Assert.Equal(0, net.DensityNetworkParamOffset);
        Assert.Equal(3072, net.ColourNetworkParamOffset);
        Assert.Equal(3072 + 6336, net.PositionEncodingParamOffset);
        Assert.Equal(net.ParamCount, net.DirectionEncodingParamOffset);
        Assert.Equal(3072 + 6336, net.MatrixParamCount);

        using var big = NerfNetwork<float>.FromJson(Cpu, 16);
        Assert.Equal(13_623_184 + 3072 + 6336, big.ParamCount);
        Assert.Equal(2048 * 16, ((HashGrid<float>)big.PositionEncoding).LevelResolution(15));
    }

    [Fact]
    public void SetParamsHandsEachPartItsSlice()
    {
        using var net = Small<float>();
        using var theta = Cpu.Allocate<float>(net.ParamCount);
        using var grads = Cpu.Allocate<float>(net.ParamCount);
        net.SetParams(theta.All, grads.All);
        Assert.Equal(net.DensityNetworkParamOffset, net.DensityNetwork.Params.Offset);
        Assert.Equal(net.ColourNetworkParamOffset, net.ColourNetwork.Params.Offset);
        Assert.Equal(net.PositionEncodingParamOffset, net.PositionEncoding.Params.Offset);
        Assert.Equal(net.PositionEncodingParamOffset, net.PositionEncoding.Gradients.Offset);
        Assert.Equal(net.DensityNetwork.ParamCount + net.ColourNetwork.ParamCount, net.MatrixParamCount);
    }

    [Fact]
    public void FloatAndDoubleAgree()
    {
        using var nf = Small<float>();
        using var nd = Small<double>();
        var theta = LargeParams(nd.ParamCount, 12).Select(v => (double)(float)v).ToArray();
        int batch = 33;
        var x = RandomInput(batch, 13).Select(v => (double)(float)v).ToArray();

        using var td = Cpu.Upload<double>(theta);
        using var gd = Cpu.Allocate<double>(nd.ParamCount);
        nd.SetParams(td.All, gd.All);
        using var tf = Cpu.Upload<float>(theta.Select(v => (float)v).ToArray());
        using var gf = Cpu.Allocate<float>(nf.ParamCount);
        nf.SetParams(tf.All, gf.All);

        var yd = Run(nd, x, batch);
        var yf = Run(nf, x.Select(v => (float)v).ToArray(), batch);
        double scale = yd.Max(Math.Abs);
        for (int i = 0; i < yd.Length; i++) Assert.True(Math.Abs(yd[i] - yf[i]) <= 1e-4 * scale, $"output {i}: double {yd[i]}, float {yf[i]}");

        // Parameter gradients for the same dL/dy.
        var w = RandomInput(batch, 14).Take(batch * 4).ToArray();
        var gdv = Gradients(nd, x, w, batch);
        var gfv = Gradients(nf, x.Select(v => (float)v).ToArray(), w.Select(v => (float)v).ToArray(), batch);
        double gscale = gdv.Max(Math.Abs);
        Assert.True(gscale > 0);
        for (int i = 0; i < gdv.Length; i++) Assert.True(Math.Abs(gdv[i] - gfv[i]) <= 1e-4 * gscale, $"gradient {i}: double {gdv[i]}, float {gfv[i]}");
    }

    [Fact]
    public void JsonDefaultsAreTheNerfPapersNetwork()
    {
        using var net = NerfNetwork<float>.FromJson(Cpu, 4, null);
        var grid = Assert.IsType<HashGrid<float>>(net.PositionEncoding);
        Assert.Equal((16, 2, 19, 16), (grid.NLevels, grid.FeaturesPerLevel, grid.Log2HashmapSize, grid.BaseResolution));
        Assert.Equal(Math.Exp(Math.Log(2048.0 * 4 / 16) / 15), grid.PerLevelScale, 12);
        Assert.Equal(Math.Pow(2, 9.0 / 15), NerfNetwork<float>.PerLevelScaleFor(4, 16, 16), 12);
        var density = Assert.IsType<Mlp<float>>(net.DensityNetwork);
        Assert.Equal(("FullyFusedMLP", 64, 1, Activation.ReLU, Activation.None, 16), (density.Otype, density.Neurons, density.HiddenLayers, density.Activation, density.OutputActivation, density.OutputWidth));
        var sh = Assert.IsType<SphericalHarmonics<float>>(net.DirectionEncoding);
        Assert.Equal(4, sh.Degree);
        var colour = Assert.IsType<Mlp<float>>(net.ColourNetwork);
        Assert.Equal(("FullyFusedMLP", 64, 2, Activation.ReLU, Activation.None, 32, 3), (colour.Otype, colour.Neurons, colour.HiddenLayers, colour.Activation, colour.OutputActivation, colour.InputWidth, colour.OutputWidth));

        // A partial block keeps the other defaults; an explicit per_level_scale wins, ≤ 0 means automatic.
        using var partial = NerfNetwork<float>.FromJson(Cpu, 1, Json("""{"network": {"n_hidden_layers": 2}, "encoding": {"per_level_scale": 1.5}}"""));
        Assert.Equal(64, ((Mlp<float>)partial.DensityNetwork).Neurons);
        Assert.Equal(2, ((Mlp<float>)partial.DensityNetwork).HiddenLayers);
        Assert.Equal(1.5, ((HashGrid<float>)partial.PositionEncoding).PerLevelScale);
        using var automatic = NerfNetwork<float>.FromJson(Cpu, 1, Json("""{"encoding": {"per_level_scale": 0}}"""));
        Assert.Equal(Math.Pow(2, 7.0 / 15), ((HashGrid<float>)automatic.PositionEncoding).PerLevelScale, 12);
    }

    [Fact]
    public void InstantNgpBaseJsonLoads()
    {
        // The blocks of instant-ngp's configs/nerf/base.json (Composite dir encoding; loss/optimizer ignored here).
        using var net = NerfNetwork<float>.FromJson(Cpu, 2, Json("""
            {
              "loss": {"otype": "Huber"},
              "optimizer": {"otype": "Ema", "decay": 0.95, "nested": {"otype": "Adam"}},
              "encoding": {"otype": "HashGrid", "n_levels": 8, "n_features_per_level": 4, "log2_hashmap_size": 19, "base_resolution": 16},
              "network": {"otype": "FullyFusedMLP", "activation": "ReLU", "output_activation": "None", "n_neurons": 64, "n_hidden_layers": 1},
              "dir_encoding": {"otype": "Composite", "nested": [{"n_dims_to_encode": 3, "otype": "SphericalHarmonics", "degree": 4}, {"otype": "Identity"}]},
              "rgb_network": {"otype": "FullyFusedMLP", "activation": "ReLU", "output_activation": "None", "n_neurons": 64, "n_hidden_layers": 2}
            }
            """));
        Assert.Equal(32, net.DensityNetwork.InputWidth);
        Assert.Equal(16, net.DirectionEncoding.OutputWidth);
        Assert.Equal(32, net.ColourNetwork.InputWidth);
        Assert.Equal(Math.Exp(Math.Log(2048.0 * 2 / 16) / 7), ((HashGrid<float>)net.PositionEncoding).PerLevelScale, 12);
    }

    [Theory]
    [InlineData("""{"network": {"n_neurons": 48}}""", "network.n_neurons")]
    [InlineData("""{"network": {"n_output_dims": 0}}""", "network.n_output_dims")]
    [InlineData("""{"network": {"output_activation": "Exponential"}}""", "network.output_activation")]
    [InlineData("""{"rgb_network": {"output_activation": "Sigmoid"}}""", "rgb_network.output_activation")]
    [InlineData("""{"rgb_network": {"n_output_dims": 4}}""", "rgb_network.n_output_dims")]
    [InlineData("""{"rgb_network": {"otype": "Transformer"}}""", "rgb_network.otype")]
    [InlineData("""{"encoding": {"n_levels": 0}}""", "encoding.n_levels")]
    [InlineData("""{"encoding": {"otype": "HashGrid", "n_features_per_level": 3}}""", "encoding.n_features_per_level")]
    [InlineData("""{"encoding": "HashGrid"}""", "encoding")]
    [InlineData("""{"dir_encoding": {"otype": "SphericalHarmonics", "degree": 9}}""", "dir_encoding.degree")]
    [InlineData("""{"dir_encoding": {"otype": "Nope"}}""", "dir_encoding.otype")]
    public void BadKeysAreNamed(string json, string key)
    {
        var e = Assert.Throws<ConfigException>(() => NerfNetwork<float>.FromJson(Cpu, 1, Json(json)));
        Assert.StartsWith(key + ":", e.Message);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NerfNetwork<float>.FromJson(Cpu, 0));
        // A colour MLP whose input does not fit [16 density features, 16 SH values].
        var e = Assert.Throws<ArgumentException>(() => new NerfNetwork<float>(
            new HashGrid<float>(Cpu, 3, 4, 2, 8, 4), new Mlp<float>(Cpu, 16, 16, 16, 1, otype: "FullyFusedMLP"),
            new SphericalHarmonics<float>(Cpu), new Mlp<float>(Cpu, 48, 3, 16, 1, otype: "FullyFusedMLP")));
        Assert.Contains("colour network takes 48 inputs, expected 32", e.Message);
        Assert.Throws<ArgumentException>(() => new NerfNetwork<float>(
            new HashGrid<float>(Cpu, 2, 4, 2, 8, 4), new Mlp<float>(Cpu, 16, 16, 16, 1, otype: "FullyFusedMLP"),
            new SphericalHarmonics<float>(Cpu), new Mlp<float>(Cpu, 32, 3, 16, 1, otype: "FullyFusedMLP")));
    }

    [Fact]
    public void HyperparamsRebuildAnEqualNetwork()
    {
        using var net = NerfNetwork<double>.FromJson(Cpu, 8, Json(SmallConfig));
        var hp = net.Hyperparams();
        Assert.Equal("NerfNetwork", (string?)hp["otype"]);
        using var again = NerfNetwork<double>.FromJson(Cpu, 1, JsonConfig.From((JsonObject)hp.DeepClone())); // per_level_scale now explicit
        Assert.Equal(net.ParamCount, again.ParamCount);
        Assert.Equal(hp.ToJsonString(), again.Hyperparams().ToJsonString());

        var theta = LargeParams(net.ParamCount, 20);
        using var t1 = Cpu.Upload<double>(theta);
        using var g1 = Cpu.Allocate<double>(net.ParamCount);
        using var t2 = Cpu.Upload<double>(theta);
        using var g2 = Cpu.Allocate<double>(net.ParamCount);
        net.SetParams(t1.All, g1.All);
        again.SetParams(t2.All, g2.All);
        var x = RandomInput(5, 21);
        Assert.Equal(Run(net, x, 5), Run(again, x, 5));
    }

    [Fact]
    public void ForwardBackwardAndDensityOnlyReturnTheirBuffers()
    {
        using var backend = new CpuBackend(); // a private backend: its allocation counter is ours alone
        using var net = NerfNetwork<float>.FromJson(backend, 1, Json(SmallConfig));
        using var theta = backend.Allocate<float>(net.ParamCount);
        using var grads = backend.Allocate<float>(net.ParamCount);
        net.SetParams(theta.All, grads.All);
        using var xBuf = backend.Upload<float>(RandomInput(8, 30).Select(v => (float)v).ToArray());
        using var yBuf = backend.AllocateMatrix<float>(8, 4, out var y);
        using var dyBuf = backend.AllocateMatrix<float>(8, 4, out var dy);
        using var dxBuf = backend.AllocateMatrix<float>(8, 6, out var dx);
        using var pBuf = backend.AllocateMatrix<float>(8, 3, out var positions);
        using var dBuf = backend.Allocate<float>(8);
        long live = backend.LiveAllocations;
        using (var ctx = net.Forward(xBuf.AsMatrix(8, 6), y))
        {
            Assert.True(backend.LiveAllocations > live, "the forward context should hold its intermediate matrices");
            net.Backward(ctx, xBuf.AsMatrix(8, 6), y, dy, dx);
        }
        net.DensityOnly(positions, dBuf.All);
        Assert.Equal(live, backend.LiveAllocations);
    }

    static TT[] Run<TT>(NerfNetwork<TT> net, TT[] x, int batch) where TT : unmanaged, System.Numerics.IFloatingPointIeee754<TT>
    {
        using var xBuf = Cpu.Upload<TT>(x);
        using var yBuf = Cpu.AllocateMatrix<TT>(batch, 4, out var y);
        net.Inference(xBuf.AsMatrix(batch, 6), y);
        return y.AsSpan().ToArray();
    }

    static double[] Run(NerfNetwork<float> net, float[] x, int batch) => Run<float>(net, x, batch).Select(v => (double)v).ToArray();

    static double[] Apply(DifferentiableObject<double> part, double[] input, int batch)
    {
        using var xBuf = Cpu.Upload<double>(input);
        using var yBuf = Cpu.AllocateMatrix<double>(batch, part.OutputWidth, out var y);
        part.Inference(xBuf.AsMatrix(batch, part.InputWidth), y);
        return y.AsSpan().ToArray();
    }

    static double[] Gradients<TT>(NerfNetwork<TT> net, TT[] x, TT[] dLdy, int batch) where TT : unmanaged, System.Numerics.IFloatingPointIeee754<TT>
    {
        using var xBuf = Cpu.Upload<TT>(x);
        using var yBuf = Cpu.AllocateMatrix<TT>(batch, 4, out var y);
        using var dyBuf = Cpu.Upload<TT>(dLdy);
        using (var ctx = net.Forward(xBuf.AsMatrix(batch, 6), y))
            net.Backward(ctx, xBuf.AsMatrix(batch, 6), y, dyBuf.AsMatrix(batch, 4));
        return net.Gradients.AsSpan().ToArray().Select(v => double.CreateChecked(v)).ToArray();
    }
}
