using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Cli;

/// <summary>Turns --device auto|cpu|cuda into a backend, saying what was chosen and why.</summary>
public static class DeviceSelection
{
    public static Backend Select(string device, bool quiet)
    {
        switch (device.ToLowerInvariant())
        {
            case "cpu":
                return CpuBackend.Shared;
            case "auto":
                if (CudaBackend.TryCreate(out var cuda, out var reason))
                {
                    if (!quiet) Console.WriteLine($"device: {cuda!.Description} (--device auto found a CUDA device and NVRTC)");
                    return cuda!;
                }
                if (!quiet) Console.WriteLine($"device: {CpuBackend.Shared.Description} — no CUDA: {reason}");
                return CpuBackend.Shared;
            case "cuda":
            case "gpu":
                return CudaBackend.TryCreate(out var gpu, out var why) ? gpu! : throw new UsageException($"--device cuda: {why}");
            default:
                throw new UsageException($"--device: expected auto, cpu or cuda, got \"{device}\"");
        }
    }
}
