// Adam (the CUDA twin of Adam.cs / AdamSimd.cs, after tiny-cuda-nn's optimizers/adam.h). One thread per
// parameter. Parameters [0, matrix_count) are network weight matrices (L2 applies, zero gradients are NOT
// skipped); [matrix_count, count) are the rest (learning rate × non-matrix factor, no L2, an entry whose
// gradient is exactly zero is skipped: no moment, counter or weight change). Each parameter has its own step
// counter for the bias correction c(n) = √(1 − β2ⁿ)/(1 − β1ⁿ): read from the CPU's BiasCorrectionTable (uploaded
// once per β pair) or, for betas too close to 1 for a table, evaluated in double and rounded once; exactly 1 from
// the saturation step on (AdamSimd.SaturationStep).
#include "ngp_prelude.cuh"

struct AdamStepArgs
{
    float* weights;            // [count]
    const float* gradients;    // [count], times loss_scale
    float* first_moments;      // [count]
    float* second_moments;     // [count]
    ngp_u32* param_steps;      // [count]
    const float* corrections;  // [saturated_step + 1] bias corrections c(n), or null: compute them
    ngp_u64 count;
    ngp_u64 matrix_count;
    float loss_scale;
    float beta1, beta2, epsilon;
    float lower_bound, upper_bound;      // AdaBound (0 and FLT_MAX when off)
    float relative_decay, absolute_decay; // absolute_decay already |·|
    float clipping_magnitude;            // 0: no clipping
    float matrix_learning_rate, non_matrix_learning_rate;
    float matrix_l2_reg;
    ngp_u32 saturated_step;              // from this step count on the correction is exactly 1
    ngp_u32 optimize_matrix, optimize_non_matrix;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(AdamStepArgs, 128);

NGP_DEVICE double adam_sqrt(double x) { return ngp_sqrt_rn(x); }

/// b^n by repeated squaring (≤ 32 products: a few double ulps, far below the float rounding that follows).
NGP_DEVICE double adam_pow(double b, ngp_u32 n)
{
    double result = 1.0;
    while (n)
    {
        if (n & 1u) result *= b;
        b *= b;
        n >>= 1;
    }
    return result;
}

/// √(1 − β2ⁿ)/(1 − β1ⁿ) rounded to float, or exactly 1 once saturated (the CPU table's values).
NGP_DEVICE float adam_bias_correction(const float* table, float beta1, float beta2, ngp_u32 n, ngp_u32 saturated)
{
    if (n >= saturated) return 1.0f;
    if (table) return table[n];
    return (float)(adam_sqrt(1.0 - adam_pow((double)beta2, n)) / (1.0 - adam_pow((double)beta1, n)));
}

extern "C" __global__ void kernel_adam_step(const AdamStepArgs args)
{
    ngp_u64 i = (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= args.count) return;
    bool matrix = i < args.matrix_count;
    if (matrix ? !args.optimize_matrix : !args.optimize_non_matrix) return;

    float gradient = args.gradients[i] / args.loss_scale;
    if (!matrix && gradient == 0.0f) return; // untouched hash-grid entries keep everything
    float weight = args.weights[i];
    if (matrix) gradient += args.matrix_l2_reg * weight;
    float first = args.beta1 * args.first_moments[i] + (1.0f - args.beta1) * gradient;
    float second = args.beta2 * args.second_moments[i] + (1.0f - args.beta2) * (gradient * gradient);
    ngp_u32 n = args.param_steps[i] + 1;

    float base_lr = matrix ? args.matrix_learning_rate : args.non_matrix_learning_rate;
    float lr = base_lr * adam_bias_correction(args.corrections, args.beta1, args.beta2, n, args.saturated_step);
    float effective = fminf(fmaxf(lr / (sqrtf(second) + args.epsilon), args.lower_bound), args.upper_bound);
    float decayed = (1.0f - args.relative_decay * lr) * weight - copysignf(args.absolute_decay * lr, weight);
    float updated = decayed - effective * first;
    if (args.clipping_magnitude != 0.0f) updated = fminf(fmaxf(updated, -args.clipping_magnitude), args.clipping_magnitude);

    args.weights[i] = updated;
    args.first_moments[i] = first;
    args.second_moments[i] = second;
    args.param_steps[i] = n;
}
