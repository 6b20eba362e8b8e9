// Identity encoding (CUDA twin of Identity.cs): y = x·scale + offset; dL/dx = dL/dy·scale.
#include "parameter_free_encoding.cuh"
NGP_ARGS_SIZE(ParameterFreeEncodingArgs, 88);

/// One thread per input element (row, j).
extern "C" __global__ void kernel_identity_forward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.input_width) return;
    ngp_u64 row = i / args.input_width, j = i % args.input_width;
    args.output[row * args.output_stride + j] = args.input[i] * args.scale + args.offset;
}

extern "C" __global__ void kernel_identity_backward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.input_width) return;
    ngp_u64 row = i / args.input_width, j = i % args.input_width;
    args.dloss_dinput[i] = args.dloss_doutput[row * args.output_stride + j] * args.scale;
}
