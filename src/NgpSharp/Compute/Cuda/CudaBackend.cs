namespace NgpSharp.Compute.Cuda;

/// <summary>
/// The GPU backend: CUDA driver API (primary context, one stream) and NVRTC-compiled kernels. Only the NVIDIA
/// driver and NVRTC are needed — no toolkit install, no nvcc. Ops launch on <see cref="Stream"/>; host copies
/// synchronise.
/// </summary>
/// <remarks>SKELETON: the interop lands in the next commit; the API below is the contract kernels code against.</remarks>
public sealed class CudaBackend : Backend
{
    CudaBackend() { }

    /// <summary>Opens device <paramref name="ordinal"/>; throws <see cref="CudaUnavailableException"/> saying why not.</summary>
    public static CudaBackend Create(int ordinal = 0) => throw new CudaUnavailableException("the CUDA interop is not implemented yet");

    /// <summary>Probes for a usable device and NVRTC without throwing; <paramref name="reason"/> says what was found or why not.</summary>
    public static bool TryCreate(out CudaBackend? backend, out string reason, int ordinal = 0)
    {
        try
        {
            backend = Create(ordinal);
            reason = backend.Description;
            return true;
        }
        catch (CudaException e)
        {
            backend = null;
            reason = e.Message;
            return false;
        }
    }

    public override BackendKind Kind => BackendKind.Cuda;

    public override string Description => $"cuda ({DeviceName}, sm_{ComputeCapability}, {TotalMemory >> 20} MiB)";

    /// <summary>The device's name ("NVIDIA H100 80GB HBM3").</summary>
    public string DeviceName { get; private set; } = "";

    /// <summary>Compute capability as major·10 + minor (90 for Hopper).</summary>
    public int ComputeCapability { get; private set; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; private set; }

    /// <summary>The stream all ops of this backend run on (CUstream).</summary>
    public nint Stream { get; private set; }

    /// <summary>Compiles (once, cached on disk) and loads kernels from the embedded .cu sources.</summary>
    public CudaModuleCache Modules => throw new NotImplementedException();

    /// <summary>
    /// Launches <paramref name="function"/> with one kernel parameter: <paramref name="args"/>, passed by value
    /// (the kernel's signature is <c>kernel_x(const XArgs args)</c> with a C struct laid out like TArgs).
    /// </summary>
    public void Launch<TArgs>(CudaFunction function, LaunchShape shape, in TArgs args) where TArgs : unmanaged =>
        throw new NotImplementedException();

    protected override DeviceBuffer<T> AllocateCore<T>(long length) => throw new NotImplementedException();

    public override void CopyFromHost<T>(ReadOnlySpan<T> source, DeviceSpan<T> destination) => throw new NotImplementedException();

    public override void CopyToHost<T>(DeviceSpan<T> source, Span<T> destination) => throw new NotImplementedException();

    public override void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> destination) => throw new NotImplementedException();

    public override void Fill<T>(DeviceSpan<T> destination, T value) => throw new NotImplementedException();

    public override void Synchronize() => throw new NotImplementedException();
}
