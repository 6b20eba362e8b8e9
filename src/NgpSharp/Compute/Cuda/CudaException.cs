namespace NgpSharp.Compute.Cuda;

/// <summary>A CUDA driver or NVRTC call failed; the message names the call and the error (e.g. CUDA_ERROR_OUT_OF_MEMORY).</summary>
public class CudaException(string message, int result = 0, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>The CUresult / nvrtcResult code (0 when not from a driver call).</summary>
    public int Result { get; } = result;
}

/// <summary>No usable CUDA device or NVRTC here; the message says why (no driver, no device, NVRTC not found, ...).</summary>
public sealed class CudaUnavailableException(string message, Exception? inner = null) : CudaException(message, 0, inner);
