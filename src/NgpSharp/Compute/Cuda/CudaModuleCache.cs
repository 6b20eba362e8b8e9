namespace NgpSharp.Compute.Cuda;

/// <summary>
/// Compiles embedded kernel sources with NVRTC for the device's architecture and loads them. A source is
/// specialised by #defines; the cubin is cached on disk under a hash of source + prelude + defines + options +
/// NVRTC version + arch, and in memory per (source, defines).
/// </summary>
/// <remarks>SKELETON: the implementation lands with the interop.</remarks>
public sealed class CudaModuleCache
{
    /// <summary>
    /// The kernel <paramref name="kernel"/> of the embedded source <paramref name="source"/> ("HashGrid.cu"),
    /// compiled with <paramref name="defines"/> (name → value, e.g. N_FEATURES → "2").
    /// </summary>
    public CudaFunction GetFunction(string source, string kernel, IReadOnlyDictionary<string, string>? defines = null) =>
        throw new NotImplementedException();
}
