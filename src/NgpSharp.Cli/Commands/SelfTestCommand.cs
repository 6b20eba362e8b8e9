using System.Diagnostics;
using NgpSharp.Compute;
using NgpSharp.Diagnostics;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp selftest`: every op on random inputs, device vs CPU, with per-precision error bounds.</summary>
public static class SelfTestCommand
{
    public const string Usage = "ngp selftest [--device cuda|cuda-emulator] [--filter text]";

    public static int Run(CommandLine cl)
    {
        var device = cl.String("device", "cuda");
        var filter = cl.String("filter");
        cl.RejectUnknown("selftest");
        var backend = DeviceSelection.Select(device, quiet: true);
        if (backend.Kind == BackendKind.Cpu && device != "cpu")
            throw new UsageException("ngp selftest compares a device with the CPU, and no CUDA device is usable here (see ngp info)");
        var checks = ParityChecks.All.Where(c => filter is null || c.Name.Contains(filter, StringComparison.OrdinalIgnoreCase)).ToList();
        if (backend.Kind == BackendKind.Cpu)
        {
            int deviceOnly = checks.RemoveAll(c => c.DeviceOnly);
            Console.WriteLine($"selftest --device cpu compares the CPU with itself: a check of the harness ({deviceOnly} GPU-only checks skipped)");
        }
        if (backend is NgpSharp.Compute.Cuda.CudaBackend { IsEmulated: true })
        {
            int heavy = checks.RemoveAll(c => c.HeavyForEmulator);
            Console.WriteLine($"selftest on the host emulator: {heavy} checks that take minutes there are left to a real GPU (smaller checks of the same kernels run)");
        }
        Console.WriteLine($"selftest: {checks.Count} checks, {backend.Description} vs {CpuBackend.Shared.Description}");
        int failed = 0;
        Console.WriteLine($"{"check",-64} {"error",10} {"bound",9}  result   ms");
        foreach (var check in checks)
        {
            var clock = Stopwatch.StartNew();
            ParityResult result;
            string verdict;
            try
            {
                result = check.Run(CpuBackend.Shared, backend);
                verdict = result.Passed ? "ok" : "FAIL";
            }
            catch (Exception e)
            {
                result = new ParityResult(double.PositiveInfinity, 0, $"{e.GetType().Name}: {e.Message}");
                verdict = "ERROR";
            }
            if (verdict != "ok") failed++;
            Console.WriteLine($"{Trim(check.Name, 64),-64} {result.Error,10:E2} {result.Bound,9:E1}  {verdict,-6} {clock.ElapsedMilliseconds,5}" +
                              (verdict != "ok" && result.Detail.Length > 0 ? $"\n    {result.Detail}" : ""));
        }
        Console.WriteLine(failed == 0 ? $"selftest: all {checks.Count} checks passed" : $"selftest: {failed} of {checks.Count} checks failed");
        return failed == 0 ? 0 : 1;
    }

    static string Trim(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
