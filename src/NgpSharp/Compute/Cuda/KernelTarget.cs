namespace NgpSharp.Compute.Cuda;

/// <summary>
/// What NVRTC compiles a kernel for on a device of capability <see cref="Device"/>: a cubin for a real
/// architecture (sm_XX), or PTX for a virtual one (compute_XX) that the driver JIT-compiles at load time.
/// </summary>
public sealed record KernelTarget(int Device, int Arch, bool Ptx)
{
    /// <summary>"--gpu-architecture=sm_86" or "--gpu-architecture=compute_90".</summary>
    public string Option => $"--gpu-architecture={(Ptx ? "compute" : "sm")}_{Arch}";

    public override string ToString() => $"{(Ptx ? "compute" : "sm")}_{Arch}{(Ptx ? " (PTX, JIT for sm_" + Device + ")" : "")}";

    /// <summary>
    /// The device's own arch when NVRTC lists it; else the highest listed arch of the same major version below
    /// it (cubins run on later minors of their major); else, for a device newer than NVRTC knows, PTX for the
    /// highest listed arch below it. Capabilities are major·10 + minor (86, 90, 120).
    /// </summary>
    public static KernelTarget Choose(int device, IReadOnlyCollection<int> supported)
    {
        if (supported.Count == 0) throw new CudaException("NVRTC reports no supported architectures");
        if (supported.Contains(device)) return new KernelTarget(device, device, false);
        var below = supported.Where(a => a < device).ToList();
        if (below.Count == 0)
            throw new CudaUnavailableException($"the device is sm_{device}, older than every architecture this NVRTC compiles for (oldest: sm_{supported.Min()})");
        var sameMajor = below.Where(a => a / 10 == device / 10).ToList();
        if (sameMajor.Count > 0) return new KernelTarget(device, sameMajor.Max(), false);
        return new KernelTarget(device, below.Max(), true);
    }
}
