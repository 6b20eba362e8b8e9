using NgpSharp.Compute;
using NgpSharp.Diagnostics;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// Every parity check of `ngp selftest`, as a test: the op on the CUDA device against the CPU reference.
/// Skipped (with the probe's reason) on machines without a usable device.
/// </summary>
public class CudaParityTests
{
    public static TheoryData<string> CheckNames()
    {
        var data = new TheoryData<string>();
        foreach (var check in ParityChecks.All) data.Add(check.Name);
        return data;
    }

    [CudaTheory]
    [MemberData(nameof(CheckNames))]
    public void DeviceMatchesCpu(string name)
    {
        var check = ParityChecks.All.Single(c => c.Name == name);
        var result = check.Run(CpuBackend.Shared, CudaTestBackend.Require());
        Assert.True(result.Passed, $"{name}: error {result.Error:E3} > bound {result.Bound:E1} ({result.Detail})");
    }

    [Fact]
    public void CheckNamesAreUnique_AndCoverEveryArea()
    {
        var names = ParityChecks.All.Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var area in new[] { "hashgrid", "loss", "adam", "sampler", "reduction" })
            Assert.Contains(names, n => n.Contains(area, StringComparison.OrdinalIgnoreCase));
    }
}
