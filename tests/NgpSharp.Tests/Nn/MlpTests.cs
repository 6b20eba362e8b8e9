using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Networks;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class MlpTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    static double[] RandomInput(int count, ulong seed, double range = 1.0)
    {
        var rng = new Rng(seed);
        var x = new double[count];
        for (int i = 0; i < x.Length; i++) x[i] = (rng.NextDouble() * 2 - 1) * range;
        return x;
    }

    public static TheoryData<Activation> AllActivations() => new(Enum.GetValues<Activation>());

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void GradientCheck_HiddenActivation(Activation activation)
    {
        // (input, width, hidden layers, output, batch): batches not multiples of the 4/8-row blocks or 128-row tiles.
        (int In, int W, int H, int Out, int B)[] shapes = [(3, 8, 1, 1, 7), (16, 16, 2, 3, 33), (5, 24, 3, 16, 130)];
        foreach (var s in shapes)
        {
            using var mlp = new Mlp<double>(Cpu, s.In, s.Out, s.W, s.H, activation, Activation.None);
            GradientCheck.Check(mlp, RandomInput(s.B * s.In, (ulong)(s.B + s.W)), options: new() { MaxParams = 80, MaxInputs = 80 });
        }
    }

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void GradientCheck_OutputActivation(Activation activation)
    {
        (int In, int W, int H, int Out, int B)[] shapes = [(3, 8, 0, 3, 1), (32, 16, 1, 16, 19), (16, 16, 2, 3, 300)];
        foreach (var s in shapes)
        {
            using var mlp = new Mlp<double>(Cpu, s.In, s.Out, s.W, s.H, Activation.Tanh, activation);
            GradientCheck.Check(mlp, RandomInput(s.B * s.In, (ulong)(s.B * 7 + s.Out)), options: new() { MaxParams = 80, MaxInputs = 80 });
        }
    }

    [Fact]
    public void GradientCheck_ConfigHashShape_ReLU()
    {
        using var mlp = new Mlp<double>(Cpu, 32, 3, 64, 2, Activation.ReLU, Activation.None, "FullyFusedMLP");
        GradientCheck.Check(mlp, RandomInput(37 * 32, 99), options: new() { MaxParams = 100, MaxInputs = 100 });
    }

    /// <summary>y = f_L(W_L ··· f_1(W_1 x)) with plain loops in double.</summary>
    static double[] NaiveForward(Mlp<float> mlp, double[] theta, double[] input, int batch)
    {
        var x = input;
        for (int l = 0; l < mlp.LayerCount; l++)
        {
            var (fanOut, fanIn) = mlp.LayerShape(l);
            long off = mlp.LayerOffset(l);
            var y = new double[batch * fanOut];
            for (int b = 0; b < batch; b++)
                for (int n = 0; n < fanOut; n++)
                {
                    double sum = 0;
                    for (int k = 0; k < fanIn; k++) sum += theta[off + n * fanIn + k] * x[b * fanIn + k];
                    y[b * fanOut + n] = ActivationKernels.Apply(mlp.LayerActivation(l), sum);
                }
            x = y;
        }
        return x;
    }

    static float[] InitFloat(Mlp<float> mlp, ulong seed)
    {
        var rng = new Rng(seed);
        using var p = Cpu.Allocate<float>(mlp.ParamCount);
        mlp.InitializeParams(ref rng, p.All);
        return Cpu.ToArray(p.All);
    }

    [Theory]
    [InlineData(32, 64, 2, 3, 257, Activation.ReLU, Activation.None)]
    [InlineData(3, 8, 0, 16, 33, Activation.ReLU, Activation.Sigmoid)]
    [InlineData(16, 128, 1, 7, 130, Activation.Softplus, Activation.Exponential)]
    [InlineData(19, 32, 3, 1, 5, Activation.LeakyReLU, Activation.Tanh)]
    [InlineData(16, 48, 2, 33, 64, Activation.Squareplus, Activation.Sine)]
    public void FloatForward_MatchesNaiveDoubleReference(int inW, int width, int hidden, int outW, int batch, Activation act, Activation outAct)
    {
        using var mlp = new Mlp<float>(Cpu, inW, outW, width, hidden, act, outAct);
        var theta = InitFloat(mlp, 5);
        var input = RandomInput(batch * inW, 6);
        using var pBuf = Cpu.Upload<float>(theta);
        using var gBuf = Cpu.Allocate<float>(mlp.ParamCount);
        mlp.SetParams(pBuf.All, gBuf.All);
        using var xBuf = Cpu.Upload<float>(input.Select(v => (float)v).ToArray());
        using var yBuf = Cpu.AllocateMatrix<float>(batch, outW, out var y);
        mlp.Inference(xBuf.AsMatrix(batch, inW), y);

        var expected = NaiveForward(mlp, theta.Select(v => (double)v).ToArray(), input.Select(v => (double)(float)v).ToArray(), batch);
        var actual = Cpu.ToArray(y.Data);
        double scale = expected.Max(Math.Abs) + 1e-3;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 2e-5 * scale, $"output {i}: float {actual[i]}, double reference {expected[i]}");
    }

    /// <summary>Runs forward + backward in float and double with the same parameters; returns (y, dW, dX) of each.</summary>
    static (float[] Y, float[] G, float[] Dx) RunFloat(Mlp<float> mlp, float[] theta, float[] x, float[] dy, int batch)
    {
        using var p = Cpu.Upload<float>(theta);
        using var g = Cpu.Allocate<float>(mlp.ParamCount);
        mlp.SetParams(p.All, g.All);
        using var xb = Cpu.Upload<float>(x);
        using var dyb = Cpu.Upload<float>(dy);
        using var yb = Cpu.AllocateMatrix<float>(batch, mlp.OutputWidth, out var ym);
        using var dxb = Cpu.AllocateMatrix<float>(batch, mlp.InputWidth, out var dxm);
        var xm = xb.AsMatrix(batch, mlp.InputWidth);
        using (var ctx = mlp.Forward(xm, ym))
            mlp.Backward(ctx, xm, ym, dyb.AsMatrix(batch, mlp.OutputWidth), dxm);
        return (Cpu.ToArray(ym.Data), Cpu.ToArray(g.All), Cpu.ToArray(dxm.Data));
    }

    static (double[] Y, double[] G, double[] Dx) RunDouble(Mlp<double> mlp, double[] theta, double[] x, double[] dy, int batch)
    {
        using var p = Cpu.Upload<double>(theta);
        using var g = Cpu.Allocate<double>(mlp.ParamCount);
        mlp.SetParams(p.All, g.All);
        using var xb = Cpu.Upload<double>(x);
        using var dyb = Cpu.Upload<double>(dy);
        using var yb = Cpu.AllocateMatrix<double>(batch, mlp.OutputWidth, out var ym);
        using var dxb = Cpu.AllocateMatrix<double>(batch, mlp.InputWidth, out var dxm);
        var xm = xb.AsMatrix(batch, mlp.InputWidth);
        using (var ctx = mlp.Forward(xm, ym))
            mlp.Backward(ctx, xm, ym, dyb.AsMatrix(batch, mlp.OutputWidth), dxm);
        return (Cpu.ToArray(ym.Data), Cpu.ToArray(g.All), Cpu.ToArray(dxm.Data));
    }

    static void AssertClose(string what, float[] actual, double[] expected, double tol)
    {
        double scale = expected.Max(Math.Abs) + 1e-12;
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tol * scale, $"{what}[{i}]: float {actual[i]}, double {expected[i]} (scale {scale})");
    }

    [Theory]
    [InlineData(32, 64, 2, 3, 2500, Activation.ReLU, Activation.None)]   // several tiles and two chunks
    [InlineData(3, 16, 1, 16, 7, Activation.Sigmoid, Activation.Softplus)]
    [InlineData(16, 128, 3, 5, 129, Activation.Sine, Activation.Squareplus)]
    [InlineData(20, 40, 0, 2, 33, Activation.ReLU, Activation.LeakyReLU)]
    public void FloatBackward_MatchesDoubleBackward(int inW, int width, int hidden, int outW, int batch, Activation act, Activation outAct)
    {
        using var mf = new Mlp<float>(Cpu, inW, outW, width, hidden, act, outAct);
        using var md = new Mlp<double>(Cpu, inW, outW, width, hidden, act, outAct);
        var theta = InitFloat(mf, 11);
        var x = RandomInput(batch * inW, 12).Select(v => (float)v).ToArray();
        var dy = RandomInput(batch * outW, 13).Select(v => (float)v).ToArray();
        var f = RunFloat(mf, theta, x, dy, batch);
        var d = RunDouble(md, theta.Select(v => (double)v).ToArray(), x.Select(v => (double)v).ToArray(), dy.Select(v => (double)v).ToArray(), batch);
        AssertClose("y", f.Y, d.Y, 1e-5);
        AssertClose("dL/dW", f.G, d.G, 1e-4);
        AssertClose("dL/dx", f.Dx, d.Dx, 1e-4);
    }

    [Fact]
    public void FloatResults_AreBitIdentical_ForOneAndTwoThreads()
    {
        using var mlp = new Mlp<float>(Cpu, 32, 3, 64, 2);
        const int batch = 5000; // three backward chunks, 40 tiles
        var theta = InitFloat(mlp, 21);
        var x = RandomInput(batch * 32, 22).Select(v => (float)v).ToArray();
        var dy = RandomInput(batch * 3, 23).Select(v => (float)v).ToArray();
        int keep = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var one = RunFloat(mlp, theta, x, dy, batch);
            CpuParallel.ThreadCount = 2;
            var two = RunFloat(mlp, theta, x, dy, batch);
            var again = RunFloat(mlp, theta, x, dy, batch);
            Assert.Equal(one.Y, two.Y);
            Assert.Equal(one.G, two.G);
            Assert.Equal(one.Dx, two.Dx);
            Assert.Equal(two.G, again.G);
        }
        finally { CpuParallel.ThreadCount = keep; }
    }

    [Fact]
    public void NoHiddenLayers_IsOneLinearMap()
    {
        using var mlp = new Mlp<double>(Cpu, 2, 3, 64, 0);
        Assert.Equal(6, mlp.ParamCount);
        double[] theta = [1, 2, 3, 4, 5, 6]; // W [3, 2]
        var (y, _, _) = RunDouble(mlp, theta, [1, -1, 0.5, 2], new double[6], 2);
        Assert.Equal([-1, -1, -1, 4.5, 9.5, 14.5], y);
    }

    [Fact]
    public void Activations_AtHandComputedPoints()
    {
        double F(Activation a, double x) => ActivationKernels.Apply(a, x);
        Assert.Equal(0.0, F(Activation.ReLU, -1.5));
        Assert.Equal(2.0, F(Activation.ReLU, 2.0));
        Assert.Equal(-0.02, F(Activation.LeakyReLU, -2.0), 15);
        Assert.Equal(Math.E, F(Activation.Exponential, 1.0), 14);
        Assert.Equal(1.0, F(Activation.Sine, Math.PI / 2), 15);
        Assert.Equal(0.5, F(Activation.Sigmoid, 0.0));
        Assert.Equal(Math.Tanh(0.5), F(Activation.Tanh, 0.5), 15);
        Assert.Equal(0.1, F(Activation.Squareplus, 0.0), 15);                               // (0 + √4) / 2 / 10
        Assert.Equal((1 + Math.Sqrt(5)) / 20, F(Activation.Squareplus, 0.1), 15);           // z = 1
        Assert.Equal(2 / (Math.Sqrt(404) + 20) / 10, F(Activation.Squareplus, -2.0), 1e-17);  // z = −20, no cancellation
        Assert.Equal(Math.Log(2) / 10, F(Activation.Softplus, 0.0), 15);
        Assert.Equal(Math.Log(1 + Math.Exp(10)) / 10, F(Activation.Softplus, 1.0), 14);
        Assert.Equal(4.539889921686464677e-06, F(Activation.Softplus, -1.0), 1e-20);               // log1p(e^−10)/10, 40 digits
        Assert.Equal(100.0, F(Activation.Softplus, 100.0), 12);                             // tcnn's form overflows in float here

        double D(Activation a, double x) => ActivationKernels.Derivative(a, F(a, x), x);
        Assert.Equal(0.0, D(Activation.ReLU, -1.0));
        Assert.Equal(1.0, D(Activation.ReLU, 0.3));
        Assert.Equal(0.01, D(Activation.LeakyReLU, -1.0), 15);
        Assert.Equal(0.5, D(Activation.Squareplus, 0.0), 14);
        Assert.Equal(0.5, D(Activation.Softplus, 0.0), 14);
        Assert.Equal(0.25, D(Activation.Sigmoid, 0.0), 15);
        Assert.Equal(Math.Cos(0.7), D(Activation.Sine, 0.7), 15);
        Assert.Equal(1 / (1 + Math.Exp(-10 * 0.2)), D(Activation.Softplus, 0.2), 13);
    }

    [Theory]
    [MemberData(nameof(AllActivations))]
    public void FloatActivationKernels_MatchScalarDouble(Activation activation)
    {
        var x = RandomInput(53, 31, 3.0); // SIMD body plus a scalar tail
        var yf = x.Select(v => (float)v).ToArray();
        ActivationKernels.Forward<float>(activation, yf);
        var g = RandomInput(53, 32).Select(v => (float)v).ToArray();
        var gf = (float[])g.Clone();
        ActivationKernels.Backward<float>(activation, yf, x.Select(v => (float)v).ToArray(), gf);
        for (int i = 0; i < x.Length; i++)
        {
            double xf = (float)x[i];
            double y = ActivationKernels.Apply(activation, xf);
            Assert.True(Math.Abs(yf[i] - y) <= 2e-6 * Math.Max(1, Math.Abs(y)), $"{activation}({xf}): float {yf[i]}, double {y}");
            double d = g[i] * ActivationKernels.Derivative(activation, y, xf);
            Assert.True(Math.Abs(gf[i] - d) <= 2e-5 * Math.Max(1, Math.Abs(d)), $"{activation}'({xf}): float {gf[i]}, double {d}");
        }
    }

    [Fact]
    public void InitializeParams_IsTcnnXavierWithPaddedOutputRows()
    {
        using var mlp = new Mlp<float>(Cpu, 32, 3, 64, 2);
        Assert.Equal(32 * 64 + 64 * 64 + 3 * 64, mlp.ParamCount);
        Assert.Equal(mlp.ParamCount, mlp.MatrixParamCount);
        var theta = InitFloat(mlp, 1);
        double[] bounds = [Math.Sqrt(6.0 / 96), Math.Sqrt(6.0 / 128), Math.Sqrt(6.0 / (64 + 16))];
        for (int l = 0; l < 3; l++)
        {
            var (o, i) = mlp.LayerShape(l);
            var w = theta.AsSpan((int)mlp.LayerOffset(l), o * i).ToArray();
            Assert.All(w, v => Assert.True(Math.Abs(v) <= bounds[l] * (1 + 1e-6)));
            Assert.True(w.Max(Math.Abs) > 0.9 * bounds[l], $"layer {l} does not fill ±{bounds[l]}");
        }
        // The first value is the first pcg32 draw mapped to ±bound, as tiny-cuda-nn does.
        var rng = new Rng(1);
        float b0 = MathF.Sqrt(6f / 96);
        Assert.Equal(rng.NextFloat() * 2f * b0 - b0, theta[0]);
    }

    [Fact]
    public void FromJson_DefaultsAliasesAndAlignment()
    {
        var mlp = Mlp<float>.FromJson(Cpu, 32, 3, JsonConfig.Parse("""{"otype": "fullyfusedmlp", "feedback_alignment": false}""", "test.json"));
        Assert.Equal(128, mlp.Neurons);
        Assert.Equal(5, mlp.HiddenLayers);
        Assert.Equal(Activation.ReLU, mlp.Activation);
        Assert.Equal(Activation.None, mlp.OutputActivation);
        Assert.Equal(16, mlp.RequiredInputAlignment);
        Assert.Equal("FullyFusedMLP", mlp.Otype);

        var c = Mlp<float>.FromJson(Cpu, 16, 1, JsonConfig.Parse("""{"otype": "CutlassMLP", "n_neurons": 48, "n_hidden_layers": 0, "activation": "sine", "output_activation": "SIGMOID"}""", "t"));
        Assert.Equal(16, c.RequiredInputAlignment);
        Assert.Equal(48 * 0 + 16 * 1, c.ParamCount);
        Assert.Equal(Activation.Sine, c.Activation);
        Assert.Equal(Activation.Sigmoid, c.OutputActivation);
        Assert.Equal(1, Mlp<float>.FromJson(Cpu, 3, 1, JsonConfig.Parse("""{"otype": "MLP"}""", "t")).RequiredInputAlignment);
        Assert.Equal("MLP", Mlp<float>.FromJson(Cpu, 3, 1, JsonConfig.Parse("{}", "t")).Otype);

        var h = c.Hyperparams();
        Assert.Equal("CutlassMLP", (string)h["otype"]!);
        Assert.Equal("Sine", (string)h["activation"]!);
        Assert.Equal("Sigmoid", (string)h["output_activation"]!);
        Assert.Equal(48, (int)h["n_neurons"]!);
        Assert.Equal(0, (int)h["n_hidden_layers"]!);
        var again = Mlp<float>.FromJson(Cpu, 16, 1, JsonConfig.From(h));
        Assert.Equal(c.ParamCount, again.ParamCount);
        Assert.Equal(c.Hyperparams().ToJsonString(), again.Hyperparams().ToJsonString());
    }

    [Theory]
    [InlineData("""{"otype": "FullyFusedMLP", "activation": "Swish"}""", "network.activation", "Swish")]
    [InlineData("""{"otype": "MLP", "output_activation": "Linear"}""", "network.output_activation", "Linear")]
    [InlineData("""{"otype": "ResNet"}""", "network.otype", "ResNet")]
    [InlineData("""{"otype": "FullyFusedMLP", "n_neurons": 48}""", "network.n_neurons", "48")]
    [InlineData("""{"n_neurons": 0}""", "network.n_neurons", "0")]
    [InlineData("""{"n_hidden_layers": -1}""", "network.n_hidden_layers", "-1")]
    [InlineData("""{"activation": 3}""", "network.activation", "3")]
    public void FromJson_BadValues_NameTheKey(string json, string key, string value)
    {
        var config = JsonConfig.Parse("""{"network": """ + json + "}", "cfg.json").Object("network");
        var e = Assert.Throws<ConfigException>(() => Mlp<float>.FromJson(Cpu, 32, 3, config));
        Assert.Contains(key, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Fact]
    public void Backward_RejectsAForeignOrInferenceContext()
    {
        using var mlp = new Mlp<double>(Cpu, 4, 2, 8, 1);
        using var p = Cpu.Allocate<double>(mlp.ParamCount);
        using var g = Cpu.Allocate<double>(mlp.ParamCount);
        mlp.SetParams(p.All, g.All);
        using var x = Cpu.AllocateMatrix<double>(3, 4, out var xm);
        using var y = Cpu.AllocateMatrix<double>(3, 2, out var ym);
        using var ctx = mlp.Forward(xm, ym, prepareBackward: false);
        Assert.Throws<ArgumentException>(() => mlp.Backward(ctx, xm, ym, ym));

        using var twin = new Mlp<double>(Cpu, 4, 2, 8, 1);
        twin.SetParams(p.All, g.All);
        using var twinCtx = twin.Forward(xm, ym);
        Assert.Throws<ArgumentException>(() => mlp.Backward(twinCtx, xm, ym, ym));
    }

    [Fact]
    public void EmptyBatch_OverwritesGradientsWithZeros()
    {
        using var mlp = new Mlp<float>(Cpu, 16, 3, 16, 1);
        using var p = Cpu.Allocate<float>(mlp.ParamCount);
        using var g = Cpu.Allocate<float>(mlp.ParamCount);
        mlp.SetParams(p.All, g.All);
        Cpu.Fill(g.All, 3f);
        using var x = Cpu.AllocateMatrix<float>(0, 16, out var xm);
        using var y = Cpu.AllocateMatrix<float>(0, 3, out var ym);
        using (var ctx = mlp.Forward(xm, ym)) mlp.Backward(ctx, xm, ym, ym, null, GradientMode.Accumulate);
        Assert.All(Cpu.ToArray(g.All), v => Assert.Equal(3f, v));
        using (var ctx = mlp.Forward(xm, ym)) mlp.Backward(ctx, xm, ym, ym);
        Assert.All(Cpu.ToArray(g.All), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Activations_ParseTcnnNames()
    {
        Assert.True(Activations.TryParse("leakyrelu", out var a));
        Assert.Equal(Activation.LeakyReLU, a);
        Assert.True(Activations.TryParse("SquarePlus", out a));
        Assert.Equal(Activation.Squareplus, a);
        Assert.False(Activations.TryParse("gelu", out _));
        foreach (var v in Enum.GetValues<Activation>())
        {
            Assert.True(Activations.TryParse(v.ToTcnnName(), out var back));
            Assert.Equal(v, back);
        }
    }
}
