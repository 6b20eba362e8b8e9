using NgpSharp.Compute;

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
                if (!quiet) Console.WriteLine($"device: {CpuBackend.Shared.Description} — the CUDA backend is not part of this build yet, so auto picks the CPU");
                return CpuBackend.Shared;
            case "cuda":
            case "gpu":
                throw new UsageException("--device cuda: the CUDA backend is not part of this build yet; use --device cpu (or auto)");
            default:
                throw new UsageException($"--device: expected auto, cpu or cuda, got \"{device}\"");
        }
    }
}
