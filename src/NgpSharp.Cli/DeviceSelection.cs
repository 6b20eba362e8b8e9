using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Cli;

/// <summary>Turns --device auto|cpu|cuda|cuda-emulator into a backend, saying what was chosen and why.</summary>
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
                return CudaBackend.TryCreate(out var gpu, out var why) ? gpu! : throw new UsageException($"--device cuda: no usable GPU: {why}; use --device cpu (or auto, which falls back to the CPU)");
            case "cuda-emulator":
                // The CUDA kernels compiled with g++ and run on the CPU (slow; for checking kernels without a GPU).
                return CudaBackend.TryCreateEmulated(out var emulated, out var whyNot) ? emulated! : throw new UsageException($"--device cuda-emulator: {whyNot}");
            default:
                throw new UsageException($"--device: expected auto, cpu, cuda or cuda-emulator, got \"{device}\"");
        }
    }
}
