// OneBlob encoding (CUDA twin of OneBlob.cs): bin k of input d holds the mass of tiny-cuda-nn's quartic kernel
// (radius one bin, wrapping around [0, 1)) in [k/n, (k+1)/n): CDF((k+1)/n − x) − CDF(k/n − x), column d·n + k.
#include "parameter_free_encoding.cuh"
NGP_ARGS_SIZE(ParameterFreeEncodingArgs, 88);

/// CDF of the quartic kernel at offset t: clamp(15/16·u·(1 − 2/3·u² + 1/5·u⁴) + ½, 0, 1), u = t·n.
NGP_DEVICE float one_blob_cdf(float t, float bins)
{
    float u = t * bins, u2 = u * u;
    return ngp_clamp((float)(15.0 / 16.0) * u * (1.0f - (float)(2.0 / 3.0) * u2 + (float)(1.0 / 5.0) * u2 * u2) + 0.5f, 0.0f, 1.0f);
}

/// d/dt of one_blob_cdf: 15/16·max(1 − u², 0)²·n.
NGP_DEVICE float one_blob_pdf(float t, float bins)
{
    float u = t * bins, m = fmaxf(1.0f - u * u, 0.0f);
    return (float)(15.0 / 16.0) * m * m * bins;
}

NGP_DEVICE float one_blob_wrapped_cdf(float boundary, float x, float bins)
{
    return one_blob_cdf(boundary - x, bins) + one_blob_cdf(boundary - x - 1.0f, bins) + one_blob_cdf(boundary - x + 1.0f, bins);
}

NGP_DEVICE float one_blob_wrapped_pdf(float boundary, float x, float bins)
{
    return one_blob_pdf(boundary - x, bins) + one_blob_pdf(boundary - x - 1.0f, bins) + one_blob_pdf(boundary - x + 1.0f, bins);
}

/// One thread per encoded element (row, column); k/n is exact (n is a power of two).
extern "C" __global__ void kernel_one_blob_forward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.encoded_width) return;
    ngp_u64 row = i / args.encoded_width;
    ngp_u32 column = (ngp_u32)(i % args.encoded_width);
    ngp_u32 j = column / args.n, k = column % args.n;
    float bins = (float)args.n;
    float x = args.input[row * args.input_width + j];
    float left = one_blob_wrapped_cdf((float)k / bins, x, bins);
    float right = one_blob_wrapped_cdf((float)(k + 1) / bins, x, bins);
    args.output[row * args.output_stride + column] = right - left;
}

/// One thread per input element (row, j): Σ_k dL/dy_k·(pdf(k/n − x) − pdf((k+1)/n − x)), in the CPU's order.
extern "C" __global__ void kernel_one_blob_backward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 i = encoding_item_index();
    if (i >= (ngp_u64)args.rows * args.input_width) return;
    ngp_u64 row = i / args.input_width, j = i % args.input_width;
    float bins = (float)args.n;
    float x = args.input[i];
    const float* dy = args.dloss_doutput + row * args.output_stride + j * args.n;
    float left = one_blob_wrapped_pdf(0.0f, x, bins), sum = 0.0f;
    for (ngp_u32 k = 0; k < args.n; ++k)
    {
        float right = one_blob_wrapped_pdf((float)(k + 1) / bins, x, bins);
        sum += dy[k] * (left - right);
        left = right;
    }
    args.dloss_dinput[i] = sum;
}
