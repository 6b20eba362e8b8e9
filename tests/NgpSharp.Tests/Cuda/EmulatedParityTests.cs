using System.Diagnostics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// Every parity check of `ngp selftest`, run against the CUDA emulator (the kernels compiled with g++ and run on the
/// CPU): the kernels' logic is checked on every machine with g++, GPU or not. Skipped only without g++.
/// </summary>
public class EmulatedParityTests(ITestOutputHelper output)
{
    /// <summary>Every check but the few that take minutes under emulation (they run in a real GPU's selftest).</summary>
    public static TheoryData<string> EmulatedCheckNames()
    {
        var data = new TheoryData<string>();
        foreach (var check in ParityChecks.All.Where(c => !c.HeavyForEmulator)) data.Add(check.Name);
        return data;
    }

    [EmulatorTheory]
    [MemberData(nameof(EmulatedCheckNames))]
    public void EmulatedDeviceMatchesCpu(string name)
    {
        var check = ParityChecks.All.Single(c => c.Name == name);
        long start = Stopwatch.GetTimestamp();
        var result = check.Run(CpuBackend.Shared, EmulatorTestBackend.Require());
        output.WriteLine($"{name}: error {result.Error:E3} (bound {result.Bound:E1}, {result.Detail}) in {Stopwatch.GetElapsedTime(start).TotalSeconds:F2} s");
        Assert.True(result.Passed, $"{name}: error {result.Error:E3} > bound {result.Bound:E1} ({result.Detail})");
    }
}

/// <summary>A test that needs the CUDA emulator (g++ on x86-64 Linux); skipped with the reason otherwise.</summary>
public sealed class EmulatorFactAttribute : FactAttribute
{
    public EmulatorFactAttribute()
    {
        if (EmulatorTestBackend.Instance is null) Skip = "no CUDA emulator: " + EmulatorTestBackend.Reason;
    }
}

/// <summary>A theory that needs the CUDA emulator; skipped like <see cref="EmulatorFactAttribute"/>.</summary>
public sealed class EmulatorTheoryAttribute : TheoryAttribute
{
    public EmulatorTheoryAttribute()
    {
        if (EmulatorTestBackend.Instance is null) Skip = "no CUDA emulator: " + EmulatorTestBackend.Reason;
    }
}

/// <summary>The process-wide emulated backend for tests (null when g++ is missing; <see cref="Reason"/> says why).</summary>
public static class EmulatorTestBackend
{
    static readonly Lazy<(CudaBackend? Backend, string Reason)> Probe = new(() =>
    {
        bool ok = CudaBackend.TryCreateEmulated(out var backend, out string reason);
        return (ok ? backend : null, reason);
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static CudaBackend? Instance => Probe.Value.Backend;

    public static string Reason => Probe.Value.Reason;

    public static CudaBackend Require() => Instance ?? throw new InvalidOperationException("no CUDA emulator: " + Reason);
}
