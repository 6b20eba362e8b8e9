// NerfBatch.cu — the device side of a NeRF training batch (the CUDA twin of NerfBatch.cs; read that first):
//  * kernel_nerf_fill_input: network input rows [rows, 6] = (normalised sample midpoint, unit direction) from device
//    rays and packed samples; rows ≥ samples (batch padding) are zeroed. One thread per row.
//  * kernel_nerf_compact: compaction — the first used[r] samples of each ray r copied to compact_offsets[r] (an
//    exclusive scan of used, Scan.cu) in a packed layout of their own. One thread per ray.
//  * kernel_nerf_squared_error: out[i] = (a[i] − b[i])², for the batch PSNR's device sum. One thread per element.
// Same operations in the same order as the CPU code, so emulated results agree bit for bit (a GPU may contract
// o + t·d into an FMA: 1 ulp).
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"

struct NerfFillInputArgs
{
    const ngp_i32* ray_indices;   // [S]
    const float* t_starts;        // [S]
    const float* t_ends;          // [S]
    const float* origins;         // [R, 3]
    const float* directions;      // [R, 3]
    float* input;                 // [rows, 6]
    ngp_u32 samples;              // S
    ngp_u32 rows;                 // ≥ S (padded batch)
    float box_min[3];             // NerfScene: (p − min)·scale, clamped to [0, 1]
    float scale[3];
};
NGP_ARGS_SIZE(NerfFillInputArgs, 80);

struct NerfCompactArgs
{
    const ngp_i32* offsets;         // [R] samples of ray r start here
    const ngp_i32* used;            // [R] the renderer's used counts
    const ngp_i32* compact_offsets; // [R] exclusive scan of used
    const ngp_i32* ray_indices;     // [S]
    const float* t_starts;          // [S]
    const float* t_ends;            // [S]
    ngp_i32* out_counts;            // [R] = used
    ngp_i32* out_indices;           // [Σ used]
    float* out_t_starts;            // [Σ used]
    float* out_t_ends;              // [Σ used]
    ngp_u32 rays;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(NerfCompactArgs, 88);

struct NerfSquaredErrorArgs
{
    const float* a;               // [n]
    const float* b;               // [n]
    float* out;                   // [n]
    ngp_u32 n;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(NerfSquaredErrorArgs, 32);

NGP_DEVICE float nerf_clamp01(float x) { return fminf(fmaxf(x, 0.f), 1.f); }

extern "C" __global__ void kernel_nerf_fill_input(const NerfFillInputArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.rows) return;
    float* row = a.input + 6 * (ngp_u64)i;
    if (i >= a.samples)
    {
        for (int k = 0; k < 6; ++k) row[k] = 0.f;
        return;
    }
    const ngp_u64 r = (ngp_u64)a.ray_indices[i];
    const float t = 0.5f * (a.t_starts[i] + a.t_ends[i]);
    const float dx = a.directions[3 * r], dy = a.directions[3 * r + 1], dz = a.directions[3 * r + 2];
    const float tx = t * dx, ty = t * dy, tz = t * dz; // NerfBatch.cs: o + t·d as two roundings
    const float px = a.origins[3 * r] + tx, py = a.origins[3 * r + 1] + ty, pz = a.origins[3 * r + 2] + tz;
    row[0] = nerf_clamp01((px - a.box_min[0]) * a.scale[0]);
    row[1] = nerf_clamp01((py - a.box_min[1]) * a.scale[1]);
    row[2] = nerf_clamp01((pz - a.box_min[2]) * a.scale[2]);
    row[3] = dx; row[4] = dy; row[5] = dz;
}

extern "C" __global__ void kernel_nerf_compact(const NerfCompactArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rays) return;
    const ngp_i32 n = a.used[r];
    const ngp_u64 from = (ngp_u64)a.offsets[r], to = (ngp_u64)a.compact_offsets[r];
    a.out_counts[r] = n;
    for (ngp_i32 k = 0; k < n; ++k)
    {
        a.out_indices[to + k] = a.ray_indices[from + k];
        a.out_t_starts[to + k] = a.t_starts[from + k];
        a.out_t_ends[to + k] = a.t_ends[from + k];
    }
}

extern "C" __global__ void kernel_nerf_squared_error(const NerfSquaredErrorArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.n) return;
    const float d = a.a[i] - a.b[i];
    a.out[i] = d * d;
}
