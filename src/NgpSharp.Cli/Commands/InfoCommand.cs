using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp info`: what this machine offers NgpSharp.</summary>
public static class InfoCommand
{
    public static int Run(CommandLine cl)
    {
        cl.RejectUnknown("info");
        Console.WriteLine($"NgpSharp {typeof(Backend).Assembly.GetName().Version} on .NET {Environment.Version} ({RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        Console.WriteLine($"cpu:  {CpuBackend.Shared.Description}; kernels use {CpuParallel.ThreadCount} threads (NGP_THREADS overrides); " +
                          $"Vector512 {(Vector512.IsHardwareAccelerated ? "yes" : "no")}, Vector256 {(Vector256.IsHardwareAccelerated ? "yes" : "no")}, FMA {(System.Runtime.Intrinsics.X86.Fma.IsSupported ? "yes" : "no")}");
        Console.WriteLine(NgpSharp.Compute.Cuda.CudaInfo.Describe());
        return 0;
    }
}
