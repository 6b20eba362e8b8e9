using NgpSharp.Compute;
using NgpSharp.Diagnostics;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// The loss, optimizer, encoding and reduction parity checks run with a second CPU backend standing in for the
/// device: every check must build, run and report exactly 0 error (the CPU is deterministic), so that on a GPU a
/// failure can only mean the kernels differ. (`ngp selftest --device cuda` runs the same checks against CUDA.)
/// </summary>
public class MiscParityChecksTests
{
    static IEnumerable<ParityCheck> All() =>
        LossParityChecks.Checks().Concat(OptimizerParityChecks.Checks()).Concat(EncodingParityChecks.Checks()).Concat(ReductionParityChecks.Checks());

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var c in All()) data.Add(c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Check_OnTwoCpuBackends_ReportsNoDifference(string name)
    {
        var check = All().Single(c => c.Name == name);
        using var device = new CpuBackend();
        var result = check.Run(CpuBackend.Shared, device);
        Assert.True(result.Passed, $"{name}: {result}");
        Assert.Equal(0, result.Error);
    }

    [Fact]
    public void Checks_CoverEveryLossEncodingAndOptimizer()
    {
        var names = All().Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var loss in new[] { "L1", "L2", "RelativeL1", "RelativeL2", "MAPE", "SMAPE", "Huber", "LogL1" })
        {
            Assert.Contains(names, n => n.StartsWith($"loss {loss}", StringComparison.Ordinal) && n.Contains("data_pdf"));
            Assert.Contains(names, n => n.StartsWith($"loss {loss}", StringComparison.Ordinal) && !n.Contains("data_pdf"));
        }
        foreach (var encoding in new[] { "Identity", "Frequency", "OneBlob", "TriangleWave", "Composite" })
            Assert.Contains(names, n => n.StartsWith($"encoding {encoding}", StringComparison.Ordinal));
        for (int degree = 1; degree <= 8; degree++) Assert.Contains($"encoding SphericalHarmonics degree {degree}, aligned to 16: forward + dL/dinput", names);
        foreach (var optimizer in new[] { "Adam", "SGD", "EMA" }) Assert.Contains(names, n => n.StartsWith($"optimizer {optimizer}", StringComparison.Ordinal));
        Assert.Contains(names, n => n.Contains("NaN"));
    }
}
