// SphericalHarmonics encoding (CUDA twin of SphericalHarmonics.cs). The basis (and its three partial derivatives)
// comes as the CPU's monomial tables (SphericalHarmonicsBasis, uploaded by SphericalHarmonics.Cuda.cs): function
// k of set s (0 value, 1–3 ∂/∂x, ∂/∂y, ∂/∂z) is Σ_t c_t·x^a·y^b·z^c over terms [starts[s·(n+1)+k], starts[s·(n+1)+k+1])
// with x, y, z = input·2 − 1, summed in the CPU's term order. n = degree² functions; args.n = degree.
#include "parameter_free_encoding.cuh"
NGP_ARGS_SIZE(ParameterFreeEncodingArgs, 88);

#define SH_MAX_DEGREE 8

/// powers[axis·8 + e] = (input_axis·2 − 1)^e for e < degree.
NGP_DEVICE void sh_powers(const float* direction01, ngp_u32 degree, float (&powers)[3 * SH_MAX_DEGREE])
{
    for (int axis = 0; axis < 3; ++axis)
    {
        float v = direction01[axis] * 2.0f - 1.0f, p = 1.0f;
        for (ngp_u32 e = 0; e < degree; ++e) { powers[axis * SH_MAX_DEGREE + e] = p; p *= v; }
    }
}

NGP_DEVICE float sh_function(const ParameterFreeEncodingArgs& args, ngp_u32 first, ngp_u32 end, const float (&powers)[3 * SH_MAX_DEGREE])
{
    float s = 0.0f;
    for (ngp_u32 t = first; t < end; ++t)
    {
        ngp_u32 e = args.sh_exponents[t];
        s += args.sh_coefficients[t] * powers[e & 0xffu] * powers[SH_MAX_DEGREE + ((e >> 8) & 0xffu)] * powers[2 * SH_MAX_DEGREE + (e >> 16)];
    }
    return s;
}

/// One thread per row: all degree² values.
extern "C" __global__ void kernel_spherical_harmonics_forward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 row = encoding_item_index();
    if (row >= args.rows) return;
    float powers[3 * SH_MAX_DEGREE];
    sh_powers(args.input + row * 3, args.n, powers);
    float* y = args.output + row * args.output_stride;
    for (ngp_u32 k = 0; k < args.encoded_width; ++k) y[k] = sh_function(args, args.sh_starts[k], args.sh_starts[k + 1], powers);
}

/// One thread per row: dL/dinput_axis = 2·Σ_k dL/dY_k·∂Y_k/∂axis.
extern "C" __global__ void kernel_spherical_harmonics_backward(const ParameterFreeEncodingArgs args)
{
    ngp_u64 row = encoding_item_index();
    if (row >= args.rows) return;
    float powers[3 * SH_MAX_DEGREE];
    sh_powers(args.input + row * 3, args.n, powers);
    const float* dy = args.dloss_doutput + row * args.output_stride;
    ngp_u32 functions = args.encoded_width;
    for (ngp_u32 axis = 0; axis < 3; ++axis)
    {
        const ngp_u32* starts = args.sh_starts + (axis + 1) * (functions + 1);
        float sum = 0.0f;
        for (ngp_u32 k = 0; k < functions; ++k)
            if (starts[k + 1] > starts[k]) sum += dy[k] * sh_function(args, starts[k], starts[k + 1], powers);
        args.dloss_dinput[row * 3 + axis] = 2.0f * sum;
    }
}
