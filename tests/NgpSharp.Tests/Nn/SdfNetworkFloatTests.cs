using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Nn.Sdf;
using Xunit;

namespace NgpSharp.Tests.Nn;

/// <summary>The float fast path of <see cref="SdfNetwork{T}"/> (SIMD softplus, SIMD grid kernels) against the scalar path.</summary>
public class SdfNetworkFloatTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    /// <summary>neus-dtu's network with a smaller table (2^14) and β = 100.</summary>
    static SdfNetworkSettings Settings(SdfActivation activation = SdfActivation.Softplus) => new()
    {
        Log2HashmapSize = 14, Activation = activation, SphereInit = activation == SdfActivation.Softplus,
    };

    sealed record Result(float[] Output, float[] Gradient, float[] ParamGradient);

    /// <summary>Forward with ∇ₓsdf, then Backward with an eikonal-style dL/d∇ (random parameters, not the init).</summary>
    static Result Run(SdfNetwork<float> net, int n, bool forceScalar)
    {
        net.ForceScalarKernels = forceScalar;
        using var p = Cpu.Allocate<float>(net.ParamCount);
        using var g = Cpu.Allocate<float>(net.ParamCount);
        var rng = new Rng(3);
        net.InitializeParams(ref rng, p.All);
        var ps = p.All.AsSpan();
        for (long i = net.GridParamOffset; i < ps.Length; i++) ps[(int)i] = rng.NextFloat() * 0.2f - 0.1f; // features that matter
        net.SetParams(p.All, g.All);
        float[] Random(int count, float lo, float hi)
        {
            var a = new float[count];
            for (int i = 0; i < count; i++) a[i] = lo + (hi - lo) * rng.NextFloat();
            return a;
        }
        using var x = Cpu.Upload<float>(Random(3 * n, -0.9f, 0.9f));
        using var dy = Cpu.Upload<float>(Random(n * net.OutputWidth, -1, 1));
        using var dn = Cpu.Upload<float>(Random(3 * n, -1, 1));
        using var ob = Cpu.AllocateMatrix<float>(n, net.OutputWidth, out var o);
        using var nb = Cpu.AllocateMatrix<float>(n, 3, out var normal);
        using (var ctx = net.Forward(x.AsMatrix(n, 3), o, normal))
            net.Backward(ctx, dy.AsMatrix(n, net.OutputWidth), dn.AsMatrix(n, 3));
        return new Result(o.AsSpan().ToArray(), normal.AsSpan().ToArray(), g.All.AsSpan().ToArray());
    }

    static void AssertClose(float[] expected, float[] actual, double relative, string what)
    {
        double scale = expected.Max(v => Math.Abs((double)v));
        Assert.True(scale > 0, $"{what}: all zero");
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= relative * scale, $"{what}[{i}]: scalar {expected[i]}, fast {actual[i]} (scale {scale})");
    }

    [Fact]
    public void FastPath_MatchesTheScalarPath()
    {
        using var net = new SdfNetwork<float>(Cpu, Settings());
        const int n = 1003; // several tiles and a SIMD remainder
        var fast = Run(net, n, forceScalar: false);
        var scalar = Run(net, n, forceScalar: true);
        AssertClose(scalar.Output, fast.Output, 1e-6, "output");
        AssertClose(scalar.Gradient, fast.Gradient, 1e-5, "∇ₓsdf");
        AssertClose(scalar.ParamGradient, fast.ParamGradient, 1e-4, "dL/dθ");
        Assert.NotEqual(scalar.Output, fast.Output); // the SIMD softplus did run (it rounds differently)
    }

    [Fact]
    public void ReLU_FastPath_IsBitIdenticalToTheScalarPath()
    {
        using var net = new SdfNetwork<float>(Cpu, Settings(SdfActivation.ReLU));
        var fast = Run(net, 517, forceScalar: false);
        var scalar = Run(net, 517, forceScalar: true);
        Assert.Equal(scalar.Output, fast.Output);
        Assert.Equal(scalar.Gradient, fast.Gradient);
        Assert.Equal(scalar.ParamGradient, fast.ParamGradient);
    }

    [Fact]
    public void Results_AreBitIdentical_ForOneAndTwoThreads()
    {
        using var net = new SdfNetwork<float>(Cpu, Settings());
        const int n = 9000; // several MLP chunks and two grid chunks per level
        int keep = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var one = Run(net, n, forceScalar: false);
            CpuParallel.ThreadCount = 2;
            var two = Run(net, n, forceScalar: false);
            Assert.Equal(one.Output, two.Output);
            Assert.Equal(one.Gradient, two.Gradient);
            Assert.Equal(one.ParamGradient, two.ParamGradient);
        }
        finally { CpuParallel.ThreadCount = keep; }
    }
}
