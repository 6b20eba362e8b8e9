// HashGridJacobian.cu — the CUDA twin of HashGrid.Jacobian.cs / HashGridJacobianKernels.cs / HashGridCorners.cs:
// the grid's Jacobian-vector product J(x)·v and the parameter gradient of a loss that uses J (the double backward
// of an input gradient, NeuS's eikonal term). J is linear in the table entries θ: with the directional corner
// weight ω_c = Σ_d v_d·∂w_c/∂x_d, J·v = Σ_c ω_c θ[c] and ∂⟨u, J·v⟩/∂θ[c] = ω_c·u.
//
// The same float formulas as the CPU reference: pos = fma(x, scale, 0.5), floor, w = interp(frac),
// ∂w_c/∂x_d = (±interp'(frac_d)·scale)·Π_{o≠d} (w_o or 1 − w_o) multiplied in dim order, ω_c by fma in dim order,
// sums over corners by fma in corner order. The index function and the level table are HashGrid.cu's (the struct
// is declared again here with the same layout). Parameters and gradients are fp32 (the Jacobian path ignores
// HashGrid.ParameterPrecision).
//
// Specialisation (#defines, all required): N_DIMS 1..4, N_FEATURES 1|2|4|8, INTERPOLATION 1 linear | 2 smoothstep.
// Launch: grid = (ceil(batch / 512), levels), block 512 — one thread per (sample, level), a block's threads share
// one level's table (HashGrid.cu's layout).
//
// check: -DN_DIMS=3 -DN_FEATURES=2 -DINTERPOLATION=1
// check: -DN_DIMS=3 -DN_FEATURES=4 -DINTERPOLATION=2
// check: -DN_DIMS=2 -DN_FEATURES=8 -DINTERPOLATION=1
// check: -DN_DIMS=1 -DN_FEATURES=1 -DINTERPOLATION=2
// check: -DN_DIMS=4 -DN_FEATURES=2 -DINTERPOLATION=1
#include "ngp_prelude.cuh"

#if !defined(N_DIMS) || !defined(N_FEATURES) || !defined(INTERPOLATION)
#error "HashGridJacobian.cu needs N_DIMS, N_FEATURES and INTERPOLATION"
#endif
#if N_DIMS < 1 || N_DIMS > 4
#error "N_DIMS must be 1..4"
#endif
#if N_FEATURES != 1 && N_FEATURES != 2 && N_FEATURES != 4 && N_FEATURES != 8
#error "N_FEATURES must be 1, 2, 4 or 8"
#endif
#if INTERPOLATION != 1 && INTERPOLATION != 2
#error "the Jacobian needs Linear (1) or Smoothstep (2) interpolation"
#endif

/// One level's constants (HashGrid.cu's HashGridLevelConstants; C# twin in HashGrid.Cuda.cs).
struct alignas(16) HashGridLevelConstants
{
    float scale;
    ngp_u32 resolution;
    ngp_u32 size;
    ngp_u32 offset;
    ngp_u32 flags;
    ngp_u32 reserved0, reserved1, reserved2;
};
NGP_ARGS_SIZE(HashGridLevelConstants, 32);

#define GRID_LEVEL_HASHED 1u
#define GRID_LEVEL_DENSE_INDEXABLE 2u
#define GRID_LEVEL_SIZE_POW2 4u

struct HashGridJacobianVectorArgs
{
    const float* input;                       // [batch, N_DIMS]
    const float* direction;                   // [batch, N_DIMS]
    const float* params;                      // all tables, [entries, N_FEATURES] one after another
    const HashGridLevelConstants* levels;     // [n_levels]
    float* output;                            // [batch, output_stride]: level columns and padding written
    ngp_u32 batch;
    ngp_u32 output_stride;
    ngp_u32 active_levels;                    // levels ≥ this write 0
    ngp_u32 encoded_width;                    // n_levels·F: columns from here on are padding (written 0 by level 0)
};
NGP_ARGS_SIZE(HashGridJacobianVectorArgs, 56);

struct HashGridBackwardJacobianArgs
{
    const float* input;                       // [batch, N_DIMS]
    const float* direction;                   // [batch, N_DIMS]
    const float* dL_doutput;                  // [batch, stride]
    const float* cotangent;                   // [batch, stride]
    const HashGridLevelConstants* levels;     // [n_levels]
    float* gradients;                         // like params; accumulated into by atomics
    ngp_u32 batch;
    ngp_u32 stride;
};
NGP_ARGS_SIZE(HashGridBackwardJacobianArgs, 56);

/// HashGridLayout.Index: XOR of vertex·π (hashed) or dense strides, modulo the level's size.
NGP_DEVICE ngp_u32 jac_index(const HashGridLevelConstants& level, const ngp_u32 (&vertex)[N_DIMS])
{
    const ngp_u32 primes[4] = {1u, 2654435761u, 805459861u, 3674653429u};
    ngp_u32 index = 0;
    if (level.flags & GRID_LEVEL_HASHED)
    {
#pragma unroll
        for (int d = 0; d < N_DIMS; ++d) index ^= vertex[d] * primes[d];
    }
    else if (level.flags & GRID_LEVEL_DENSE_INDEXABLE)
    {
        ngp_u32 stride = 1;
#pragma unroll
        for (int d = 0; d < N_DIMS; ++d)
        {
            index += vertex[d] * stride;
            stride *= level.resolution;
        }
    }
    return (level.flags & GRID_LEVEL_SIZE_POW2) ? (index & (level.size - 1u)) : (index % level.size);
}

/// Per-dimension cell, weight w_d and scale·interp'(frac_d) of sample x at a level (HashGridKernels.PosFract).
struct JacCell
{
    ngp_u32 cell[N_DIMS];
    float w[N_DIMS];
    float dw[N_DIMS];
};

NGP_DEVICE JacCell jac_cell(const float* x, float scale)
{
    JacCell c;
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d)
    {
        const float pos = fmaf(x[d], scale, 0.5f);
        const float pos_floor = floorf(pos);
        c.cell[d] = (ngp_u32)ngp_floor_to_int_saturating(pos);
        const float f = pos - pos_floor;
#if INTERPOLATION == 2
        c.w[d] = f * f * (3.0f - 2.0f * f);
        c.dw[d] = 6.0f * f * (1.0f - f) * scale;
#else
        c.w[d] = f;
        c.dw[d] = 1.0f * scale;
#endif
    }
    return c;
}

/// Corner <corner>'s weight w_c, directional weight ω_c = Σ_d v_d·∂w_c/∂x_d and table entry (HashGridCorners.Compute).
NGP_DEVICE float jac_corner(const HashGridLevelConstants& level, const JacCell& c, ngp_u32 corner, const float (&v)[N_DIMS],
                            float& omega, ngp_u32& entry)
{
    ngp_u32 vertex[N_DIMS];
    float weight = 1.0f;
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d)
    {
        const bool upper = (corner >> d) & 1u;
        weight *= upper ? c.w[d] : 1.0f - c.w[d];
        vertex[d] = c.cell[d] + (upper ? 1u : 0u);
    }
    float sum = 0.0f;
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d)
    {
        float partial = ((corner >> d) & 1u) ? c.dw[d] : -c.dw[d];
#pragma unroll
        for (int o = 0; o < N_DIMS; ++o)
            if (o != d) partial *= ((corner >> o) & 1u) ? c.w[o] : 1.0f - c.w[o];
        sum = fmaf(partial, v[d], sum);
    }
    omega = sum;
    entry = jac_index(level, vertex);
    return weight;
}

/// output[i, l·F + f] = Σ_c ω_c θ_l[c, f]; inactive levels and (level 0's thread) padding columns get 0.
extern "C" __global__ void kernel_grid_jacobian_vector(const HashGridJacobianVectorArgs args)
{
    const ngp_u32 i = ngp_global_index();
    const ngp_u32 l = NGP_BLOCK_Y;
    if (i >= args.batch) return;
    float* row = args.output + (ngp_u64)i * args.output_stride;
    float acc[N_FEATURES];
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f) acc[f] = 0.0f;
    if (l < args.active_levels)
    {
        const HashGridLevelConstants level = args.levels[l];
        const float* table = args.params + (ngp_u64)level.offset * N_FEATURES;
        float v[N_DIMS];
#pragma unroll
        for (int d = 0; d < N_DIMS; ++d) v[d] = args.direction[(ngp_u64)i * N_DIMS + d];
        const JacCell c = jac_cell(args.input + (ngp_u64)i * N_DIMS, level.scale);
#pragma unroll
        for (ngp_u32 corner = 0; corner < (1u << N_DIMS); ++corner)
        {
            float omega;
            ngp_u32 entry;
            jac_corner(level, c, corner, v, omega, entry);
            const float* values = table + (ngp_u64)entry * N_FEATURES;
#pragma unroll
            for (int f = 0; f < N_FEATURES; ++f) acc[f] = fmaf(omega, values[f], acc[f]);
        }
    }
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f) row[l * N_FEATURES + f] = acc[f];
    if (l == 0)
        for (ngp_u32 col = args.encoded_width; col < args.output_stride; ++col) row[col] = 0.0f;
}

/// gradients_l[c, f] += w_c·dL/dy[i, l·F + f] + ω_c·cotangent[i, l·F + f] by fp32 atomics, for active levels
/// (the grid has one row per active level).
extern "C" __global__ void kernel_grid_backward_jacobian(const HashGridBackwardJacobianArgs args)
{
    const ngp_u32 i = ngp_global_index();
    const ngp_u32 l = NGP_BLOCK_Y;
    if (i >= args.batch) return;
    const HashGridLevelConstants level = args.levels[l];
    float* table = args.gradients + (ngp_u64)level.offset * N_FEATURES;
    const ngp_u64 column = (ngp_u64)i * args.stride + l * N_FEATURES;
    float dy[N_FEATURES], u[N_FEATURES], v[N_DIMS];
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f)
    {
        dy[f] = args.dL_doutput[column + f];
        u[f] = args.cotangent[column + f];
    }
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d) v[d] = args.direction[(ngp_u64)i * N_DIMS + d];
    const JacCell c = jac_cell(args.input + (ngp_u64)i * N_DIMS, level.scale);
#pragma unroll
    for (ngp_u32 corner = 0; corner < (1u << N_DIMS); ++corner)
    {
        float omega;
        ngp_u32 entry;
        const float w = jac_corner(level, c, corner, v, omega, entry);
        float* g = table + (ngp_u64)entry * N_FEATURES;
#pragma unroll
        for (int f = 0; f < N_FEATURES; ++f) ngp_atomic_add(g + f, w * dy[f] + omega * u[f]);
    }
}
