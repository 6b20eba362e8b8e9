namespace NgpSharp.Compute.Cuda;

/// <summary>A compiled kernel (CUfunction) of a loaded module.</summary>
public sealed class CudaFunction
{
    internal CudaFunction(nint handle, string name, string source)
    {
        Handle = handle;
        Name = name;
        Source = source;
    }

    internal nint Handle { get; }

    /// <summary>The kernel's name (kernel_grid_forward).</summary>
    public string Name { get; }

    /// <summary>The .cu file it came from.</summary>
    public string Source { get; }

    public override string ToString() => $"{Source}:{Name}";
}
