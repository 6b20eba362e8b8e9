// Exponential moving average of the weights (the CUDA twin of Ema.cs, tiny-cuda-nn optimizers/ema.h):
// average ← (average·keep + weights·take)·scale, with keep = d·(1 − d^(n−1)), take = 1 − d, scale = 1/(1 − dⁿ)
// computed on the host exactly as the CPU does. One thread per parameter.
#include "ngp_prelude.cuh"

struct EmaBlendArgs
{
    const float* weights;      // [count]: the nested optimizer's weights (or its own average)
    float* average;            // [count]
    ngp_u64 count;
    float keep, take, scale;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(EmaBlendArgs, 40);

extern "C" __global__ void kernel_ema_blend(const EmaBlendArgs args)
{
    ngp_u64 i = (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= args.count) return;
    args.average[i] = (args.average[i] * args.keep + args.weights[i] * args.take) * args.scale;
}
