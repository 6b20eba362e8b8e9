namespace NgpSharp.Nn.Networks;

/// <summary>Which CUDA implementation an <see cref="Mlp{T}"/> uses (the CPU backend ignores it).</summary>
public enum CudaPrecision
{
    /// <summary>The fused fp16 tensor-core kernels when the otype is FullyFusedMLP and the shape allows it, else fp32.</summary>
    Auto,
    /// <summary>The fp32 kernels (any width; matches the CPU reference to ~1e-6 relative).</summary>
    Float32,
    /// <summary>
    /// The fused fp16 tensor-core kernels (tiny-cuda-nn's FullyFusedMLP): n_neurons 16/32/64/128, input width ≤ 128,
    /// output width ≤ 16. Train with a loss scale of 128 (<see cref="Mlp{T}.RecommendedLossScale"/>).
    /// </summary>
    FusedFloat16,
}
