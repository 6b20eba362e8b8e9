using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of the Trainer's reductions (Reductions.cu via <see cref="CudaReductions"/>): double sums
/// of float arrays against the CPU's double sum, and NaN/∞ detection anywhere in an array (first element, middle,
/// last element of a partial block).
/// </summary>
public static class ReductionParityChecks
{
    /// <summary>|device − cpu| / Σ|x|: both sum exactly-converted floats in double, only the order differs.</summary>
    const double SumBound = 1e-12;

    public static IEnumerable<ParityCheck> Checks()
    {
        foreach (int n in new[] { 1 << 20, (1 << 20) + 123, 4095, 4097, 1 })
            yield return new ParityCheck($"reduction: sum of {n} floats in double", (cpu, device) => CompareSum(device, n));
        yield return new ParityCheck("reduction: all-finite on 2^20 finite floats", (cpu, device) => CompareFinite(device, 1 << 20, -1, float.NaN));
        yield return new ParityCheck("reduction: NaN as the last element of 2^20 + 5", (cpu, device) => CompareFinite(device, (1 << 20) + 5, (1 << 20) + 4, float.NaN));
        yield return new ParityCheck("reduction: +∞ in the middle of 2^20", (cpu, device) => CompareFinite(device, 1 << 20, 1 << 19, float.PositiveInfinity));
        yield return new ParityCheck("reduction: −∞ as the first element", (cpu, device) => CompareFinite(device, 1000, 0, float.NegativeInfinity));
        yield return new ParityCheck("reduction: a NaN makes the sum NaN", (cpu, device) => CompareNaNSum(device));
    }

    /// <summary>The device's reductions: <see cref="CudaReductions"/> on CUDA, <see cref="CpuReductions"/> otherwise.</summary>
    static (double Sum, bool AllFinite) DeviceSumAndCheck(Backend device, DeviceSpan<float> values)
    {
        if (device is CudaBackend cuda)
        {
            using var reductions = new CudaReductions(cuda);
            return reductions.SumAndCheck(values, values);
        }
        return (CpuReductions.Sum<float>(device.ToArray(values)), CpuReductions.AllFinite<float>(device.ToArray(values)));
    }

    static ParityResult CompareSum(Backend device, int n)
    {
        var values = Parity.Random(n, 21, -1f, 1f);
        double expected = CpuReductions.Sum<float>(values), scale = 0;
        foreach (float v in values) scale += Math.Abs(v);
        using var buffer = device.Upload<float>(values);
        var (sum, finite) = DeviceSumAndCheck(device, buffer.All);
        if (!finite) return new ParityResult(double.PositiveInfinity, SumBound, "finite values reported as non-finite");
        return new ParityResult(Math.Abs(sum - expected) / Math.Max(scale, 1e-30), SumBound, $"sum {sum:R} vs {expected:R}");
    }

    /// <summary>Error 0 when the device agrees with the CPU on finiteness, +∞ when not. badIndex &lt; 0: all finite.</summary>
    static ParityResult CompareFinite(Backend device, int n, int badIndex, float bad)
    {
        var values = Parity.Random(n, 22, -1e30f, 1e30f);
        if (badIndex >= 0) values[badIndex] = bad;
        bool expected = CpuReductions.AllFinite<float>(values);
        using var buffer = device.Upload<float>(values);
        var (_, finite) = DeviceSumAndCheck(device, buffer.All);
        return new ParityResult(finite == expected ? 0 : double.PositiveInfinity, 0, $"device says all-finite = {finite}, cpu {expected}");
    }

    static ParityResult CompareNaNSum(Backend device)
    {
        var values = Parity.Random(10_000, 23, -1f, 1f);
        values[7777] = float.NaN;
        using var buffer = device.Upload<float>(values);
        var (sum, finite) = DeviceSumAndCheck(device, buffer.All);
        bool ok = double.IsNaN(sum) && !finite;
        return new ParityResult(ok ? 0 : double.PositiveInfinity, 0, $"sum {sum}, all-finite {finite}");
    }
}
