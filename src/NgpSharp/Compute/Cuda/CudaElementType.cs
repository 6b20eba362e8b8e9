namespace NgpSharp.Compute.Cuda;

/// <summary>CUDA kernels run in float only; modules check their element type with this at construction.</summary>
internal static class CudaElementType
{
    /// <summary>Throws <see cref="NotSupportedException"/> when <paramref name="backend"/> is CUDA and T is not float.</summary>
    /// <param name="backend">The module's backend.</param>
    /// <param name="module">The module's name for the message ("Adam").</param>
    public static void RequireFloatOnCuda<T>(Backend backend, string module)
    {
        if (backend.Kind == BackendKind.Cuda && typeof(T) != typeof(float))
            throw new NotSupportedException($"CUDA kernels run in float; use {module}<float> (got {typeof(T).Name})");
    }

    /// <summary>The CUDA backend of <paramref name="backend"/> (which must be one).</summary>
    public static CudaBackend Cuda(this Backend backend) =>
        backend as CudaBackend ?? throw new InvalidOperationException($"expected the CUDA backend, got {backend.Kind}");
}
