// Elementwise losses (the CUDA twin of ElementwiseLoss.cs and the *Loss.cs operators). One thread per element:
//   values[i]    = ℓ(p_i, t_i) / pdf_i / N
//   gradients[i] = lossScale·(g(p_i, t_i) / pdf_i) / N          (N = rows·cols, pdf_i = 1 without data_pdf)
// LOSS picks the formula (1 L1, 2 L2, 3 RelativeL1, 4 RelativeL2, 5 MAPE, 6 SMAPE, 7 Huber, 8 LogL1), the same
// codes as CudaLossKind in ElementwiseLoss.Cuda.cs. Denominators the CPU holds constant are constants here too.
// check: -DLOSS=1
// check: -DLOSS=2
// check: -DLOSS=3
// check: -DLOSS=4
// check: -DLOSS=5
// check: -DLOSS=6
// check: -DLOSS=7
// check: -DLOSS=8
#include "ngp_prelude.cuh"

#ifndef LOSS
#error "LOSS must be defined (1..8)"
#endif

struct LossArgs
{
    const float* prediction;   // [N]
    const float* target;       // [N]
    const float* data_pdf;     // [N] or null
    float* values;             // [N]
    float* gradients;          // [N]
    ngp_u64 count;             // N
    float loss_scale;
    float n;                   // N as float: the CPU divides by it (not multiplies by 1/N), so do we
    float huber_delta;         // Huber: δ
    float huber_scale;         // Huber: factor on value and gradient
};
NGP_ARGS_SIZE(LossArgs, 64);

/// ℓ(p, t), with *gradient = ∂ℓ/∂p as the CPU operator defines it.
NGP_DEVICE float evaluate_loss(float p, float t, float* gradient, const LossArgs& a)
{
    float d = p - t;
#if LOSS == 1 // L1
    *gradient = copysignf(1.0f, d);
    return fabsf(d);
#elif LOSS == 2 // L2
    *gradient = d + d;
    return d * d;
#elif LOSS == 3 // RelativeL1: |d| / (|p| + 0.01), denominator constant
    float scale = 1.0f / (fabsf(p) + 0.01f);
    *gradient = copysignf(scale, d);
    return fabsf(d) * scale;
#elif LOSS == 4 // RelativeL2: d² / (p² + 0.01), denominator constant
    float denominator = p * p + 0.01f;
    *gradient = (d + d) / denominator;
    return d * d / denominator;
#elif LOSS == 5 // MAPE (tiny-cuda-nn's): |d| / (|t| + 0.01)
    float scale = 1.0f / (fabsf(t) + 0.01f);
    *gradient = copysignf(scale, d);
    return fabsf(d) * scale;
#elif LOSS == 6 // SMAPE: |d| / (½(|t| + |p|) + 0.01), denominator constant
    float scale = 1.0f / (0.5f * (fabsf(t) + fabsf(p)) + 0.01f);
    *gradient = copysignf(scale, d);
    return fabsf(d) * scale;
#elif LOSS == 7 // Huber (smooth L1) with threshold δ, times scale
    float delta = a.huber_delta;
    float abs_d = fabsf(d);
    bool linear = abs_d > delta;
    float sign = d > 0.0f ? 1.0f : -1.0f;
    *gradient = a.huber_scale * (linear ? sign : d / delta);
    return a.huber_scale * (linear ? abs_d - delta * 0.5f : (0.5f / delta) * d * d);
#elif LOSS == 8 // LogL1: ln(|d| + 1)
    float divisor = fabsf(d) + 1.0f;
    *gradient = copysignf(1.0f / divisor, d);
    return logf(divisor);
#else
#error "unknown LOSS"
#endif
}

extern "C" __global__ void kernel_loss(const LossArgs args)
{
    ngp_u64 i = (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= args.count) return;
    float gradient;
    float value = evaluate_loss(args.prediction[i], args.target[i], &gradient, args);
    if (args.data_pdf)
    {
        float q = args.data_pdf[i];
        value /= q;
        gradient /= q;
    }
    args.values[i] = value / args.n;
    args.gradients[i] = args.loss_scale * gradient / args.n;
}
