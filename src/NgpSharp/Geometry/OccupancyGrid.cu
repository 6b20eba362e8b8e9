// Occupancy grid update on the device (the CUDA twin of OccupancyGrid.Update.cs / RebuildBitfield):
//  * kernel_occupancy_splat: splat[cell[k]] = max(splat, σ_k·min_step) over the update samples (atomic max of
//    non-negative floats: order independent, so bit-identical to the CPU's sequential max).
//  * kernel_occupancy_decay: every seen cell (≥ 0) becomes max(old·decay, splat); unseen (−1) stay. Also writes
//    max(new, 0) of cascade 0 into `clamped` for the mean that sets the threshold.
//  * kernel_occupancy_bitfield: one thread per bitfield byte of cascades < `cascades`: bit j set iff density > threshold
//    (strict); bytes of levels ≥ cascades are zeroed.
//  * kernel_occupancy_max_pool: one thread per byte of level `mip`: ORs in, for each cell in the central half of the
//    grid, whether the 2×2×2 block (one byte) of level mip−1 it covers has any bit set. Launched for mip = 1, 2, ...
//    in order (a gather: no two threads write one byte, no atomics).
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"

struct OccupancyArgs
{
    float* densities;          // [cascades × n]
    float* splat;              // [cascades × n]: new thickness per cell (0 where no sample)
    float* clamped;            // [n]: max(density, 0) of cascade 0 (for the mean)
    ngp_u8* bitfield;          // [mip_levels × n / 8]
    const ngp_i32* cells;      // [count]: global cell index of each update sample
    const float* sigma;        // [count]: σ of each update sample
    ngp_u32 count;             // samples (splat) or cells (decay) or bytes (bitfield / max-pool)
    ngp_u32 cells_per_cascade; // n = resolution³
    ngp_u32 cascades;
    ngp_u32 resolution;
    ngp_u32 mip;               // max-pool: the level written
    float decay;
    float threshold;
    float min_step;            // optical step: thickness = σ·min_step
};
NGP_ARGS_SIZE(OccupancyArgs, 80);

NGP_DEVICE ngp_u32 occupancy_expand_bits(ngp_u32 v)
{
    v = (v * 0x00010001u) & 0xFF0000FFu;
    v = (v * 0x00000101u) & 0x0F00F00Fu;
    v = (v * 0x00000011u) & 0xC30C30C3u;
    v = (v * 0x00000005u) & 0x49249249u;
    return v;
}

NGP_DEVICE ngp_u32 occupancy_compact_bits(ngp_u32 x)
{
    x &= 0x49249249u;
    x = (x | (x >> 2)) & 0xC30C30C3u;
    x = (x | (x >> 4)) & 0x0F00F00Fu;
    x = (x | (x >> 8)) & 0xFF0000FFu;
    x = (x | (x >> 16)) & 0x0000FFFFu;
    return x;
}

/// One thread per update sample.
extern "C" __global__ void kernel_occupancy_splat(const OccupancyArgs args)
{
    ngp_u32 k = ngp_global_index();
    if (k >= args.count) return;
    float thickness = args.sigma[k] * args.min_step;
    // The CPU keeps max(0, thicknesses): negatives and NaN never win (the splat starts at 0).
    if (thickness > 0.f) ngp_atomic_max_nonnegative(args.splat + args.cells[k], thickness);
}

/// One thread per cell of every cascade (count = cascades × n).
extern "C" __global__ void kernel_occupancy_decay(const OccupancyArgs args)
{
    ngp_u32 i = ngp_global_index();
    if (i >= args.count) return;
    float d = args.densities[i];
    if (d >= 0.f)
    {
        float decayed = d * args.decay, fresh = args.splat[i];
        d = decayed > fresh ? decayed : fresh; // MathF.Max: neither is NaN for finite densities
        args.densities[i] = d;
    }
    if (i < args.cells_per_cascade) args.clamped[i] = d > 0.f ? d : 0.f;
}

/// One thread per byte of all mip levels (count = mip_levels × n / 8).
extern "C" __global__ void kernel_occupancy_bitfield(const OccupancyArgs args)
{
    ngp_u32 b = ngp_global_index();
    if (b >= args.count) return;
    ngp_u32 first = b * 8u;
    ngp_u32 bits = 0;
    if (first < args.cascades * args.cells_per_cascade)
        for (ngp_u32 j = 0; j < 8; ++j)
            if (args.densities[first + j] > args.threshold) bits |= 1u << j;
    args.bitfield[b] = (ngp_u8)bits;
}

/// One thread per byte of level `mip` (count = n / 8).
extern "C" __global__ void kernel_occupancy_max_pool(const OccupancyArgs args)
{
    ngp_u32 b = ngp_global_index();
    if (b >= args.count) return;
    ngp_u32 bytes_per_level = args.cells_per_cascade / 8u;
    const ngp_u8* fine = args.bitfield + (ngp_u64)(args.mip - 1) * bytes_per_level;
    ngp_u8* coarse = args.bitfield + (ngp_u64)args.mip * bytes_per_level;
    ngp_u32 lo = args.resolution / 4, hi = lo + args.resolution / 2;
    ngp_u32 bits = coarse[b];
    for (ngp_u32 j = 0; j < 8; ++j)
    {
        ngp_u32 cell = b * 8u + j;
        ngp_u32 x = occupancy_compact_bits(cell), y = occupancy_compact_bits(cell >> 1), z = occupancy_compact_bits(cell >> 2);
        if (x < lo || x >= hi || y < lo || y >= hi || z < lo || z >= hi) continue;
        ngp_u32 child = occupancy_expand_bits(x - lo) | (occupancy_expand_bits(y - lo) << 1) | (occupancy_expand_bits(z - lo) << 2);
        if (fine[child] != 0) bits |= 1u << j;
    }
    coarse[b] = (ngp_u8)bits;
}
