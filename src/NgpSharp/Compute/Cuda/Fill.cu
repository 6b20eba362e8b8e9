// Fill.cu — writes a repeating bit pattern over device memory, for Backend.Fill values no driver memset
// (D8/D16/D32) can express, e.g. a double or a 12-byte struct. Grid-stride loops: any length, any grid.
#include "ngp_prelude.cuh"

/// pattern holds one element's bytes (little-endian words); the kernels write unit i = pattern unit (i % period).
struct FillPatternArgs
{
    void* destination;   // 4-byte aligned for kernel_fill_words
    ngp_u64 count;       // units to write: 32-bit words (kernel_fill_words) or bytes (kernel_fill_bytes)
    ngp_u32 pattern[8];  // up to 32 bytes per element
    ngp_u32 period;      // element size in units, 1..8 words or 1..32 bytes
    ngp_u32 unused;
};
NGP_ARGS_SIZE(FillPatternArgs, 56);

extern "C" __global__ void kernel_fill_words(const FillPatternArgs args)
{
    ngp_u32* out = (ngp_u32*)args.destination;
    const ngp_u64 stride = (ngp_u64)NGP_GRID_DIM_X * NGP_BLOCK_DIM_X;
    for (ngp_u64 i = ngp_global_index(); i < args.count; i += stride)
        out[i] = args.pattern[i % args.period];
}

extern "C" __global__ void kernel_fill_bytes(const FillPatternArgs args)
{
    ngp_u8* out = (ngp_u8*)args.destination;
    const ngp_u8* pattern = (const ngp_u8*)args.pattern;
    const ngp_u64 stride = (ngp_u64)NGP_GRID_DIM_X * NGP_BLOCK_DIM_X;
    for (ngp_u64 i = ngp_global_index(); i < args.count; i += stride)
        out[i] = pattern[i % args.period];
}
