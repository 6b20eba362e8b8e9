using System.Text.RegularExpressions;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Diagnostics;
using NgpSharp.Nn.Networks;
using Xunit;

namespace NgpSharp.Tests.Nn;

/// <summary>What of the CUDA MLP can be checked without a GPU: constants shared with the kernels, path selection, the parity harness.</summary>
public partial class MlpCudaPathTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    [GeneratedRegex(@"#define NGP_ACT_(\w+) (\d+)")]
    private static partial Regex ActivationDefine();

    [Fact]
    public void KernelActivationNumbersMatchTheEnum()
    {
        var source = KernelSources.Read("mlp_common.cuh");
        var defined = ActivationDefine().Matches(source)
            .Where(m => m.Groups[1].Value is not ("K" or "LEAKY_SLOPE"))
            .ToDictionary(m => m.Groups[1].Value, m => int.Parse(m.Groups[2].Value));
        var values = Enum.GetValues<Activation>();
        Assert.Equal(values.Length, defined.Count);
        foreach (var a in values) Assert.Equal((int)a, defined[a.ToString().ToUpperInvariant()]);
    }

    [Fact]
    public void KernelActivationConstantsMatchTheCpu()
    {
        var source = KernelSources.Read("mlp_common.cuh");
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#define NGP_ACT_K {Activations.KAct:0.0}f"), source);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"#define NGP_ACT_LEAKY_SLOPE {Activations.LeakySlope}f"), source);
    }

    [Theory]
    [InlineData(32, 3, 48, false)]   // width not fused
    [InlineData(32, 17, 64, false)]  // output > 16
    [InlineData(129, 3, 64, false)]  // input pads to 144 > 128
    [InlineData(128, 16, 128, true)]
    [InlineData(3, 1, 16, true)]
    public void FusedFloat16IsAcceptedExactlyForSupportedShapes(int input, int output, int width, bool supported)
    {
        using var mlp = new Mlp<float>(Cpu, input, output, width, 2, otype: "CutlassMLP");
        Assert.Equal(CudaPrecision.Auto, mlp.Precision);
        Assert.Equal(supported, mlp.SupportsFusedFloat16);
        if (supported)
        {
            mlp.Precision = CudaPrecision.FusedFloat16;
            Assert.Equal(CudaPrecision.FusedFloat16, mlp.Precision);
        }
        else
        {
            var e = Assert.Throws<ArgumentException>(() => mlp.Precision = CudaPrecision.FusedFloat16);
            Assert.Contains("fused fp16", e.Message);
        }
    }

    [Fact]
    public void OnTheCpuNothingIsFusedAndTheLossScaleIsOne()
    {
        using var mlp = new Mlp<float>(Cpu, 32, 3, 64, 2, otype: "FullyFusedMLP") { Precision = CudaPrecision.FusedFloat16 };
        Assert.False(mlp.UsesFusedFloat16);
        Assert.Equal(1f, mlp.RecommendedLossScale);
    }

    [Fact]
    public void FusedSharedMemoryStaysUnder99KiB()
    {
        foreach (int width in new[] { 16, 32, 64, 128 })
            foreach (int input in new[] { 1, 16, 31, 64, 128 })
            {
                using var mlp = new Mlp<float>(Cpu, input, 16, width, 3, otype: "FullyFusedMLP");
                Assert.InRange(mlp.FusedSharedBytes, 1, 99 * 1024);
            }
        using var largest = new Mlp<float>(Cpu, 128, 16, 128, 3, otype: "FullyFusedMLP");
        Assert.Equal(2 * (128 + 128) * (128 + 8), largest.FusedSharedBytes);
    }

    [Fact]
    public void ParityCheckNamesAreUnique()
    {
        var names = MlpParityChecks.Checks().Select(c => c.Name).ToList();
        Assert.True(names.Count > 40);
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Fp32ChecksPassExactlyCpuAgainstCpu()
    {
        // The harness itself: CPU vs CPU must agree bit for bit (forward, inference, all gradient modes, dL/dinput).
        var small = MlpParityChecks.Checks().Where(c => c.Name.StartsWith("mlp fp32", StringComparison.Ordinal)
            && (c.Name.EndsWith("B=1", StringComparison.Ordinal) || c.Name.EndsWith("B=37", StringComparison.Ordinal))).ToList();
        Assert.True(small.Count >= 10);
        foreach (var check in small)
        {
            var r = check.Run(Cpu, Cpu);
            Assert.True(r.Passed && r.Error == 0, $"{check.Name}: {r.Detail} {r.Error}");
        }
    }

    [Fact]
    public void FusedChecksFailWhenTheDeviceDidNotRunTheFusedPath()
    {
        var check = MlpParityChecks.Checks().First(c => c.Name.StartsWith("mlp fused fp16", StringComparison.Ordinal) && c.Name.EndsWith("B=1", StringComparison.Ordinal));
        var r = check.Run(Cpu, Cpu);
        Assert.False(r.Passed);
        Assert.Contains("fp32 path", r.Detail);
    }
}
