// NerfNetwork.cu — the few element-wise steps of NerfNetwork (NerfNetwork.cs) that are not module calls or
// column copies: the direction warp (d + 1)/2 of the input, the density-gradient add and the merge of the input
// gradient (½ from the warp's chain rule). One thread per row; rows are [N, 6] input / [N, 4] output as in C#.
#include "ngp_prelude.cuh"

struct NerfNetworkArgs
{
    const float* source;   // warp: input [N, 6]; add: dL/doutput [N, 4]; merge: dL/dpositions [N, 3] or null
    const float* second;   // merge: dL/d((d + 1)/2) [N, 3] or null; unused otherwise
    float* destination;    // warp: directions01 [N, 3]; add: dL/d(density MLP out) [N, width]; merge: dL/dinput [N, 6]
    ngp_u32 rows;
    ngp_u32 width;         // add: columns of destination
};
NGP_ARGS_SIZE(NerfNetworkArgs, 32);

/// directions01[r, k] = (input[r, 3 + k] + 1)·½ (instant-ngp's warp_direction).
extern "C" __global__ void kernel_nerf_warp_directions(const NerfNetworkArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rows) return;
    for (int k = 0; k < 3; k++)
        a.destination[(ngp_u64)r * 3 + k] = (a.source[(ngp_u64)r * 6 + 3 + k] + 1.0f) * 0.5f;
}

/// dL/d(density MLP out)[r, 0] += dL/doutput[r, 3] (the density MLP's output 0 is also the output's density).
extern "C" __global__ void kernel_nerf_add_density_gradient(const NerfNetworkArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rows) return;
    a.destination[(ngp_u64)r * a.width] += a.source[(ngp_u64)r * 4 + 3];
}

/// dL/dinput[r] = [dL/dpositions[r], ½·dL/d((d + 1)/2)[r]] (0 where a part gave none).
extern "C" __global__ void kernel_nerf_merge_input_gradient(const NerfNetworkArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rows) return;
    for (int k = 0; k < 3; k++)
    {
        a.destination[(ngp_u64)r * 6 + k] = a.source ? a.source[(ngp_u64)r * 3 + k] : 0.0f;
        a.destination[(ngp_u64)r * 6 + 3 + k] = a.second ? a.second[(ngp_u64)r * 3 + k] * 0.5f : 0.0f;
    }
}
