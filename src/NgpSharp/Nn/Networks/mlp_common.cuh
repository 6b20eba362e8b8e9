// mlp_common.cuh — activations of the MLP kernels (Mlp.cu, FullyFusedMlp.cu), with exactly the CPU reference's
// formulas (ActivationKernels.cs, tiny-cuda-nn's common_device.h). Included after ngp_prelude.cuh.
//
// The activation is a compile-time constant (template argument, from the ACTIVATION / OUTPUT_ACTIVATION defines),
// numbered like the C# enum NgpSharp.Nn.Networks.Activation (a test compares these defines with the enum).
//
// Robust to --use_fast_math: expf/logf/sinf/cosf may then be the approximate intrinsics (ex2.approx, lg2.approx,
// sin.approx, cos.approx) and division/sqrt approximate. Their relative errors are ~1e-6 inside the ranges used
// here, far below the fp32 parity bound (1e-4) — except sin.approx/cos.approx, whose absolute error grows with
// |x| outside [−π, π]; Sine therefore reduces its argument to [−π, π] first (two-constant Cody–Waite, exact to
// ~1e-7 for |x| < 1e4). tanh is expressed through expm1f (never substituted by fast math) so that it is accurate
// near 0, where 1 − 2/(e^{2x}+1) would cancel. log1pf/expm1f keep full accuracy under fast math.
#pragma once

#define NGP_ACT_NONE 0
#define NGP_ACT_RELU 1
#define NGP_ACT_LEAKYRELU 2
#define NGP_ACT_EXPONENTIAL 3
#define NGP_ACT_SINE 4
#define NGP_ACT_SIGMOID 5
#define NGP_ACT_SQUAREPLUS 6
#define NGP_ACT_SOFTPLUS 7
#define NGP_ACT_TANH 8

#define NGP_ACT_K 10.0f           // tiny-cuda-nn's K_ACT (Softplus, Squareplus sharpness)
#define NGP_ACT_LEAKY_SLOPE 0.01f // LeakyReLU slope for x <= 0

/// x − 2π·round(x / 2π), in [−π, π] (2π split in a float head and tail so the product stays exact).
NGP_DEVICE float ngp_mlp_reduce_angle(float x)
{
    const float twoPiHi = 6.28318548202514648f;    // float(2π)
    const float twoPiLo = -1.74845553e-7f;         // 2π − float(2π)
    float n = roundf(x * 0.159154943091895336f);
    return fmaf(-n, twoPiLo, fmaf(-n, twoPiHi, x));
}

/// tanh(x) = expm1(2x) / (expm1(2x) + 2), saturating for |x| > 9 (tanh = ±1 in float).
NGP_DEVICE float ngp_mlp_tanh(float x)
{
    float a = fminf(fabsf(x), 9.0f);
    float e = expm1f(2.0f * a);
    return copysignf(e / (e + 2.0f), x);
}

/// y = f(x).
template <int ACT>
NGP_DEVICE float ngp_mlp_act(float x)
{
    switch (ACT)
    {
    case NGP_ACT_RELU: return x > 0.0f ? x : 0.0f;
    case NGP_ACT_LEAKYRELU: return x > 0.0f ? x : x * NGP_ACT_LEAKY_SLOPE;
    case NGP_ACT_EXPONENTIAL: return expf(x);
    case NGP_ACT_SINE: return sinf(ngp_mlp_reduce_angle(x));
    case NGP_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case NGP_ACT_SQUAREPLUS:
    {
        // (z + sqrt(z² + 4)) / 2 = 2 / (sqrt(z² + 4) − z): the second form for z < 0 avoids cancellation.
        float z = NGP_ACT_K * x, s = sqrtf(z * z + 4.0f);
        return (z >= 0.0f ? 0.5f * (z + s) : 2.0f / (s - z)) / NGP_ACT_K;
    }
    case NGP_ACT_SOFTPLUS:
    {
        // log(1 + e^z) = max(z, 0) + log1p(e^−|z|).
        float z = NGP_ACT_K * x;
        return (fmaxf(z, 0.0f) + log1pf(expf(-fabsf(z)))) / NGP_ACT_K;
    }
    case NGP_ACT_TANH: return ngp_mlp_tanh(x);
    default: return x;
    }
}

/// f'(x) from y = f(x), and the pre-activation x (read by Sine only).
template <int ACT>
NGP_DEVICE float ngp_mlp_act_grad(float y, float x)
{
    switch (ACT)
    {
    case NGP_ACT_RELU: return y > 0.0f ? 1.0f : 0.0f;
    case NGP_ACT_LEAKYRELU: return y > 0.0f ? 1.0f : NGP_ACT_LEAKY_SLOPE;
    case NGP_ACT_EXPONENTIAL: return y;
    case NGP_ACT_SINE: return cosf(ngp_mlp_reduce_angle(x));
    case NGP_ACT_SIGMOID: return y * (1.0f - y);
    case NGP_ACT_SQUAREPLUS: { float ky = NGP_ACT_K * y; return ky * ky / (ky * ky + 1.0f); }
    case NGP_ACT_SOFTPLUS: return -expm1f(-NGP_ACT_K * y); // 1 − exp(−K·y) = sigmoid(K·x)
    case NGP_ACT_TANH: return 1.0f - y * y;
    default: return 1.0f;
    }
}

/// Whether the backward pass needs the pre-activation (Sine's cos(x)).
template <int ACT>
NGP_DEVICE constexpr bool ngp_mlp_act_needs_pre() { return ACT == NGP_ACT_SINE; }
