// Shared by the parameter-free encoding kernels (Identity.cu, Frequency.cu, SphericalHarmonics.cu, OneBlob.cu,
// TriangleWave.cu), the CUDA twins of ParameterFreeEncoding.cs and its subclasses. Layouts as on the CPU:
// input [rows, input_width], output and dL/doutput [rows, output_stride] (encoded columns first, then padding,
// which Encoding.AfterForward fills), dL/dinput [rows, input_width] (overwritten).
#pragma once
#include "ngp_prelude.cuh"

struct ParameterFreeEncodingArgs
{
    const float* input;          // [rows, input_width]
    float* output;               // [rows, output_stride]: written by forward, read by the Frequency backward
    const float* dloss_doutput;  // [rows, output_stride] (backward)
    float* dloss_dinput;         // [rows, input_width] (backward)
    const float* sh_coefficients; // SphericalHarmonics: monomial coefficients [terms]
    const ngp_u32* sh_exponents;  // SphericalHarmonics: ex | ey << 8 | ez << 16 per term
    const ngp_u32* sh_starts;     // SphericalHarmonics: [4·(n+1)] first term of function k of set s at s·(n+1) + k
    ngp_u32 rows;
    ngp_u32 input_width;
    ngp_u32 output_stride;
    ngp_u32 encoded_width;
    ngp_u32 n;                   // n_frequencies, n_bins or degree
    float scale;                 // Identity
    float offset;                // Identity
    ngp_u32 padding;
};

/// Index of this thread in a 1-D launch over more than 2^32 items.
NGP_DEVICE ngp_u64 encoding_item_index() { return (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X; }

/// 2^e as a float for e in [−126, 127] (exact, no libm).
NGP_DEVICE float encoding_pow2(int e) { return ngp_int_as_float((e + 127) << 23); }
