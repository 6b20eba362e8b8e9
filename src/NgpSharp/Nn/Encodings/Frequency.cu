// Frequency encoding (CUDA twin of Frequency.cs): column d·2F + 2f = sin(2^f·π·x_d), the next one the cosine.
// The backward pass reads the forward output (each of the pair is the other's derivative), as on the CPU.
#include "parameter_free_encoding.cuh"
NGP_ARGS_SIZE(ParameterFreeEncodingArgs, 88);

/// 2^f·π in float, exactly as the CPU's ScaleB(1, f)·π (f < 64).
NGP_DEVICE float frequency_angular(ngp_u32 f) { return encoding_pow2((int)f) * 3.14159265358979323846f; }

/// One thread per (row, input dim j, frequency f): writes the sine and the cosine.
extern "C" __global__ void kernel_frequency_forward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    ngp_u64 per_row = (ngp_u64)args.input_width * args.n;
    if (i >= args.rows * per_row) return;
    ngp_u64 row = i / per_row;
    ngp_u32 jf = (ngp_u32)(i % per_row);
    ngp_u32 j = jf / args.n, f = jf % args.n;
    float angle = args.input[row * args.input_width + j] * frequency_angular(f);
    float s, c;
    sincosf(angle, &s, &c);
    float* y = args.output + row * args.output_stride + 2 * jf; // column j·2F + 2f
    y[0] = s;
    y[1] = c;
}

/// One thread per input element (row, j): Σ_f 2^f·π·(dL/dsin·cos − dL/dcos·sin), in the CPU's order.
extern "C" __global__ void kernel_frequency_backward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.input_width) return;
    ngp_u64 row = i / args.input_width, j = i % args.input_width;
    ngp_u64 base = row * args.output_stride + j * 2 * args.n;
    const float* y = args.output + base;
    const float* dy = args.dloss_doutput + base;
    float sum = 0.0f;
    for (ngp_u32 f = 0; f < args.n; ++f)
        sum += frequency_angular(f) * (dy[2 * f] * y[2 * f + 1] - dy[2 * f + 1] * y[2 * f]);
    args.dloss_dinput[i] = sum;
}
