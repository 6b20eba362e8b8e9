// NeusBatch.cu — sample positions of a NeuS batch on the device (the CUDA twin of NeusBatch.FillPositions):
// positions[s] = o[r] + t·d[r] with t = (t0 + t1)/2 the sample's midpoint on its ray r; rows ≥ samples (batch
// padding) are zeroed. One thread per row. Same float operations in the same order as the CPU, so the emulator
// agrees bit for bit (a GPU may contract o + t·d into an FMA: 1 ulp).
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"

struct NeusPositionsArgs
{
    const ngp_i32* ray_indices;   // [S]
    const float* t_starts;        // [S]
    const float* t_ends;          // [S]
    const float* origins;         // [R, 3]
    const float* directions;      // [R, 3]
    float* positions;             // [rows, 3]
    ngp_u32 samples;              // S
    ngp_u32 rows;                 // ≥ S
};
NGP_ARGS_SIZE(NeusPositionsArgs, 56);

extern "C" __global__ void kernel_neus_positions(const NeusPositionsArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.rows) return;
    float* p = a.positions + 3 * (ngp_u64)i;
    if (i >= a.samples)
    {
        p[0] = 0.0f; p[1] = 0.0f; p[2] = 0.0f;
        return;
    }
    const ngp_u64 r3 = 3 * (ngp_u64)a.ray_indices[i];
    const float t = 0.5f * (a.t_starts[i] + a.t_ends[i]);
    for (int k = 0; k < 3; ++k)
    {
        const float step = t * a.directions[r3 + k];
        p[k] = a.origins[r3 + k] + step;
    }
}

struct NeusColumnArgs
{
    const float* matrix;          // [n, stride]
    float* out;                   // [n]
    ngp_u32 n, stride;
};
NGP_ARGS_SIZE(NeusColumnArgs, 24);

/// out[i] = matrix[i·stride]: the sdf column of the geometry output, so that only [n] floats go to the host.
extern "C" __global__ void kernel_neus_column(const NeusColumnArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.n) return;
    a.out[i] = a.matrix[(ngp_u64)i * a.stride];
}
