// Plain gradient descent (the CUDA twin of Sgd.cs, tiny-cuda-nn optimizers/sgd.h): w ← w − lr·(g/lossScale + l2·w)
// on every parameter. One thread per parameter.
#include "ngp_prelude.cuh"

struct SgdStepArgs
{
    float* weights;            // [count]
    const float* gradients;    // [count], times loss_scale
    ngp_u64 count;
    float learning_rate;
    float l2_reg;
    float loss_scale;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(SgdStepArgs, 40);

extern "C" __global__ void kernel_sgd_step(const SgdStepArgs args)
{
    ngp_u64 i = (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= args.count) return;
    float w = args.weights[i];
    float g = args.gradients[i] / args.loss_scale + args.l2_reg * w;
    args.weights[i] = w - args.learning_rate * g;
}
