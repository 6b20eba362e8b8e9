using System.Globalization;
using System.Text;
using NgpSharp.Compute.Cuda.Interop;
using static NgpSharp.Compute.Cuda.Interop.CudaDriver;

namespace NgpSharp.Compute.Cuda;

/// <summary>What this machine offers the CUDA backend, as text for `ngp info`. Never throws.</summary>
public static class CudaInfo
{
    /// <summary>
    /// Multi-line report: the driver library (or every name tried), driver version, each device (name, sm_XX,
    /// SMs, memory, shared-memory opt-in), every folder searched for NVRTC and what was found, the NVRTC version
    /// and architectures, the kernel cache folder.
    /// </summary>
    public static string Describe()
    {
        var s = new StringBuilder();
        int driverMajor = int.MaxValue;
        Section(s, b => driverMajor = DescribeDriver(b));
        Section(s, b => DescribeNvrtc(b, driverMajor));
        Section(s, DescribeKernelCache);
        return s.ToString().TrimEnd();
    }

    static void Section(StringBuilder s, Action<StringBuilder> write)
    {
        try { write(s); }
        catch (Exception e) { s.AppendLine($"  (failed: {e.GetType().Name}: {e.Message})"); }
    }

    /// <summary>Writes the driver section; returns the driver's CUDA major version (int.MaxValue when unknown).</summary>
    static int DescribeDriver(StringBuilder s)
    {
        int major = int.MaxValue;
        var driver = NativeLibraries.LoadDriver();
        if (driver.Handle == 0)
        {
            s.AppendLine("cuda driver: not found");
            foreach (var a in driver.Attempts) s.AppendLine("  " + a);
            return major;
        }
        s.AppendLine($"cuda driver: {driver.LoadedFrom}");
        int r = cuInit(0);
        if (r != CUDA_SUCCESS)
        {
            s.AppendLine($"  cuInit(0): {ErrorName(r)} ({ErrorDescription(r)})");
            return cuDriverGetVersion(out int v) == CUDA_SUCCESS ? v / 1000 : major;
        }
        if (cuDriverGetVersion(out int version) == CUDA_SUCCESS)
        {
            s.AppendLine($"  driver version: CUDA {version / 1000}.{version % 1000 / 10} ({version})");
            major = version / 1000;
        }
        ThrowIfFailed(cuDeviceGetCount(out int count));
        s.AppendLine($"  devices: {count}");
        for (int i = 0; i < count; i++)
        {
            try
            {
                ThrowIfFailed(cuDeviceGet(out int device, i));
                int Attr(int a) => cuDeviceGetAttribute(out int v, a, device) == CUDA_SUCCESS ? v : -1;
                int cc = Attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) * 10 + Attr(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
                ThrowIfFailed(cuDeviceTotalMem(out nuint total, device));
                s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"  [{i}] {CudaBackend.DeviceNameOf(device)}: sm_{cc}, {Attr(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)} SMs, {(ulong)total >> 20} MiB, " +
                    $"shared memory per block up to {Attr(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN) / 1024} KiB"));
            }
            catch (CudaException e) { s.AppendLine($"  [{i}] {e.Message}"); }
        }
        return major;
    }

    static void DescribeNvrtc(StringBuilder s, int driverMajor)
    {
        var nvrtc = NativeLibraries.LoadNvrtc(driverMajor);
        s.AppendLine(nvrtc.Handle != 0 ? $"nvrtc: {nvrtc.LoadedFrom}" : "nvrtc: not found");
        s.AppendLine("  searched:");
        s.AppendLine(nvrtc.Search.Describe("    "));
        foreach (var a in nvrtc.Attempts) s.AppendLine("  load " + a);
        if (nvrtc.Handle == 0) return;
        s.AppendLine($"  version: {Nvrtc.Version()}");
        s.AppendLine($"  architectures: {string.Join(" ", Nvrtc.SupportedArchs().Select(a => "sm_" + a))}");
    }

    static void DescribeKernelCache(StringBuilder s)
    {
        string dir = KernelDiskCache.DefaultDirectory();
        bool off = Environment.GetEnvironmentVariable("NGP_KERNEL_CACHE") is "off" or "0";
        if (off) { s.AppendLine("kernel cache: off (NGP_KERNEL_CACHE)"); return; }
        if (!Directory.Exists(dir)) { s.AppendLine($"kernel cache: {dir} (empty)"); return; }
        var files = new DirectoryInfo(dir).GetFiles("*.bin");
        s.AppendLine(string.Create(CultureInfo.InvariantCulture, $"kernel cache: {dir} ({files.Length} kernels, {files.Sum(f => f.Length) / 1048576.0:0.0} MiB)"));
    }
}
