namespace NgpSharp.Compute.Cuda;

/// <summary>A compiled kernel (CUfunction) of a loaded module.</summary>
public sealed class CudaFunction
{
    internal CudaFunction(nint handle, string name, string source, bool emulated = false)
    {
        Handle = handle;
        Name = name;
        Source = source;
        Emulated = emulated;
    }

    /// <summary>The CUfunction, or for the emulator the address of the kernel's host launch entry.</summary>
    internal nint Handle { get; }

    /// <summary>Compiled for the host by the CUDA emulator (see <see cref="CudaBackend.CreateEmulated"/>).</summary>
    internal bool Emulated { get; }

    /// <summary>The kernel's name (kernel_grid_forward).</summary>
    public string Name { get; }

    /// <summary>The .cu file it came from.</summary>
    public string Source { get; }

    public override string ToString() => $"{Source}:{Name}";
}
