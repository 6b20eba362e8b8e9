// TriangleWave encoding (CUDA twin of TriangleWave.cs): column d·F + f = 4·|frac(v) − ½| − 1 with
// v = x_d·2^(f−1) + f/4; ∂/∂x = −2^(f+1) where ⌊2v⌋ is even, +2^(f+1) where it is odd.
#include "parameter_free_encoding.cuh"
NGP_ARGS_SIZE(ParameterFreeEncodingArgs, 88);

NGP_DEVICE float triangle_phase(float x, ngp_u32 f) { return x * encoding_pow2((int)f - 1) + (float)f * 0.25f; }

/// One thread per encoded element (row, column).
extern "C" __global__ void kernel_triangle_wave_forward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.encoded_width) return;
    ngp_u64 row = i / args.encoded_width;
    ngp_u32 column = (ngp_u32)(i % args.encoded_width);
    ngp_u32 j = column / args.n, f = column % args.n;
    float v = triangle_phase(args.input[row * args.input_width + j], f);
    args.output[row * args.output_stride + column] = fabsf(v - floorf(v) - 0.5f) * 4.0f - 1.0f;
}

/// One thread per input element (row, j).
extern "C" __global__ void kernel_triangle_wave_backward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.input_width) return;
    ngp_u64 row = i / args.input_width, j = i % args.input_width;
    float x = args.input[i];
    const float* dy = args.dloss_doutput + row * args.output_stride + j * args.n;
    float sum = 0.0f;
    for (ngp_u32 f = 0; f < args.n; ++f)
    {
        float half_periods = floorf(triangle_phase(x, f) * 2.0f);
        bool even = fmodf(half_periods, 2.0f) == 0.0f; // false for ±∞ and NaN, like IsEvenInteger
        float slope = encoding_pow2((int)f + 1);
        sum += dy[f] * (even ? -slope : slope);
    }
    args.dloss_dinput[i] = sum;
}
