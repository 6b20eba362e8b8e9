using NgpSharp.Compute;
using NgpSharp.Diagnostics;
using NgpSharp.Nn;
using NgpSharp.Nn.Sdf;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// The CUDA SdfNetwork beyond its parity checks (those run in <see cref="EmulatedParityTests"/>): the float-only
/// rule, empty batches, Inference = Forward, device-side initialisation, and the parity checks CPU against CPU.
/// </summary>
public class SdfNetworkCudaTests
{
    static SdfNetworkSettings Small => new()
    {
        Radius = 1.0, FeatureDim = 4, NLevels = 4, FeaturesPerLevel = 2, Log2HashmapSize = 10, BaseResolution = 4,
        PerLevelScale = 1.5, Neurons = 16, SoftplusBeta = 100, WeightNorm = true, SphereInit = true,
    };

    [Fact]
    public void ParityChecks_HaveUniqueNames_AndRunCpuAgainstCpuExactly()
    {
        var checks = SdfParityChecks.Checks().ToList();
        Assert.Equal(checks.Count, checks.Select(c => c.Name).Distinct().Count());
        foreach (var check in checks.Where(c => c.Name.Contains("relu analytic") || c.Name.Contains("jacobian 3D F2 L8")))
        {
            var result = check.Run(CpuBackend.Shared, CpuBackend.Shared);
            Assert.True(result.Passed && result.Error == 0, $"{check.Name}: {result}");
        }
    }

    [EmulatorFact]
    public void DoubleOnCuda_IsRejectedAtConstruction()
    {
        var e = Assert.Throws<NotSupportedException>(() => new SdfNetwork<double>(EmulatorTestBackend.Require(), Small));
        Assert.Contains("SdfNetwork<float>", e.Message);
    }

    [EmulatorFact]
    public void EmptyBatch_OverwritesMlpGradientsWithZero()
    {
        var be = EmulatorTestBackend.Require();
        using var net = new SdfNetwork<float>(be, Small);
        using var p = be.Allocate<float>(net.ParamCount);
        using var g = be.Upload<float>(Parity.Random((int)net.ParamCount, 3, 1f, 2f));
        var rng = new Rng(1);
        net.InitializeParams(ref rng, p.All);
        net.SetParams(p.All, g.All);
        using var x = be.Allocate<float>(0);
        using var o = be.Allocate<float>(0);
        using var d = be.Allocate<float>(0);
        using (var ctx = net.Forward(x.AsMatrix(0, 3), o.AsMatrix(0, net.OutputWidth), d.AsMatrix(0, 3)))
            net.Backward(ctx, o.AsMatrix(0, net.OutputWidth), d.AsMatrix(0, 3));
        var grads = be.ToArray(g.All);
        Assert.All(grads, v => Assert.Equal(0f, v));
    }

    [EmulatorFact]
    public void InitializeParams_OnDevice_EqualsCpu_AndInferenceEqualsForward()
    {
        var be = EmulatorTestBackend.Require();
        using var cpuNet = new SdfNetwork<float>(CpuBackend.Shared, Small);
        using var cpuP = CpuBackend.Shared.Allocate<float>(cpuNet.ParamCount);
        var rng = new Rng(5);
        cpuNet.InitializeParams(ref rng, cpuP.All);

        using var net = new SdfNetwork<float>(be, Small);
        using var p = be.Allocate<float>(net.ParamCount);
        using var g = be.Allocate<float>(net.ParamCount);
        rng = new Rng(5);
        net.InitializeParams(ref rng, p.All);
        Assert.Equal(CpuBackend.Shared.ToArray(cpuP.All), be.ToArray(p.All));

        net.SetParams(p.All, g.All);
        const int n = 300;
        using var x = be.Upload<float>(Parity.Random(3 * n, 6, -1f, 1f));
        using var o1 = be.AllocateMatrix<float>(n, net.OutputWidth, out var y1);
        using var o2 = be.AllocateMatrix<float>(n, net.OutputWidth, out var y2);
        using var d1 = be.AllocateMatrix<float>(n, 3, out var g1);
        using var d2 = be.AllocateMatrix<float>(n, 3, out var g2);
        using (net.Forward(x.AsMatrix(n, 3), y1, g1)) { }
        net.Inference(x.AsMatrix(n, 3), y2, g2);
        Assert.Equal(be.ToArray(y1.Data), be.ToArray(y2.Data));
        Assert.Equal(be.ToArray(g1.Data), be.ToArray(g2.Data));
        // Sphere init: |∇ₓsdf| ≈ 1, so the analytic gradient cannot be all zeros.
        Assert.Contains(be.ToArray(g1.Data), v => MathF.Abs(v) > 0.1f);
    }
}
