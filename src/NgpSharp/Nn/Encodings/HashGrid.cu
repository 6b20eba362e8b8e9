// HashGrid.cu — the CUDA twin of HashGrid.Cpu.cs / HashGridKernels.cs (multiresolution grid encoding,
// tiny-cuda-nn encodings/grid.h semantics). The CPU code is the reference: same float formulas (pos = fma(x, scale,
// 0.5), floor, weights multiplied dim by dim in dim order, forward accumulation by fma in corner order), same uint32
// index function (primes, dense strides, modulo). Per-level constants (scale, resolution, size, offset, flags) are
// computed on the host in float exactly like the CPU and read from a small device table — no exp2f/log2f here, so
// --use_fast_math cannot move a level's scale.
//
// Specialisation (#defines, all required):
//   N_DIMS 1..4, N_FEATURES 1|2|4|8, INTERPOLATION 0 nearest | 1 linear | 2 smoothstep (GridInterpolation values),
//   PARAM_HALF 0|1 (parameters read as fp16), GRAD_HALF 0|1 (parameter gradients accumulated as fp16 pairs by
//   half2 atomics; needs N_FEATURES >= 2), PARAMS_ALIGNED 0|1 (the parameter pointer is aligned to
//   min(16, N_FEATURES * sizeof(param)) bytes: entries are read by vector loads).
//
// check: -DN_DIMS=2 -DN_FEATURES=2 -DINTERPOLATION=1 -DPARAM_HALF=0 -DGRAD_HALF=0 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=3 -DN_FEATURES=2 -DINTERPOLATION=1 -DPARAM_HALF=0 -DGRAD_HALF=0 -DPARAMS_ALIGNED=0
// check: -DN_DIMS=3 -DN_FEATURES=4 -DINTERPOLATION=2 -DPARAM_HALF=0 -DGRAD_HALF=0 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=3 -DN_FEATURES=8 -DINTERPOLATION=1 -DPARAM_HALF=0 -DGRAD_HALF=0 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=1 -DN_FEATURES=1 -DINTERPOLATION=0 -DPARAM_HALF=0 -DGRAD_HALF=0 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=4 -DN_FEATURES=8 -DINTERPOLATION=2 -DPARAM_HALF=0 -DGRAD_HALF=0 -DPARAMS_ALIGNED=0
// check: -DN_DIMS=2 -DN_FEATURES=2 -DINTERPOLATION=1 -DPARAM_HALF=1 -DGRAD_HALF=1 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=3 -DN_FEATURES=8 -DINTERPOLATION=2 -DPARAM_HALF=1 -DGRAD_HALF=1 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=3 -DN_FEATURES=1 -DINTERPOLATION=1 -DPARAM_HALF=1 -DGRAD_HALF=0 -DPARAMS_ALIGNED=1
// check: -DN_DIMS=4 -DN_FEATURES=4 -DINTERPOLATION=0 -DPARAM_HALF=1 -DGRAD_HALF=1 -DPARAMS_ALIGNED=0
#include "ngp_prelude.cuh"

#if !defined(N_DIMS) || !defined(N_FEATURES) || !defined(INTERPOLATION) || !defined(PARAM_HALF) || !defined(GRAD_HALF) || !defined(PARAMS_ALIGNED)
#error "HashGrid.cu needs N_DIMS, N_FEATURES, INTERPOLATION, PARAM_HALF, GRAD_HALF and PARAMS_ALIGNED"
#endif
#if N_DIMS < 1 || N_DIMS > 4
#error "N_DIMS must be 1..4"
#endif
#if N_FEATURES != 1 && N_FEATURES != 2 && N_FEATURES != 4 && N_FEATURES != 8
#error "N_FEATURES must be 1, 2, 4 or 8"
#endif
#if GRAD_HALF && N_FEATURES < 2
#error "GRAD_HALF needs N_FEATURES >= 2 (half2 atomics add feature pairs)"
#endif

#define GRID_NEAREST 0
#define GRID_SMOOTHSTEP 2

#if PARAM_HALF
typedef ngp_half grid_param_t;
NGP_DEVICE float grid_param_to_float(grid_param_t v) { return ngp_half2float(v); }
#else
typedef float grid_param_t;
NGP_DEVICE float grid_param_to_float(grid_param_t v) { return v; }
#endif

#if GRAD_HALF
typedef ngp_half grid_grad_t;
#else
typedef float grid_grad_t;
#endif

/// One level's constants, computed on the host (its C# twin is in HashGrid.Cuda.cs).
struct alignas(16) HashGridLevelConstants
{
    float scale;          // pos = x·scale + 0.5
    ngp_u32 resolution;   // vertices per dimension (dense strides)
    ngp_u32 size;         // table entries (each N_FEATURES values)
    ngp_u32 offset;       // first entry of the level in the parameter buffer
    ngp_u32 flags;        // GRID_LEVEL_* bits
    ngp_u32 reserved0, reserved1, reserved2;
};
NGP_ARGS_SIZE(HashGridLevelConstants, 32);

#define GRID_LEVEL_HASHED 1u           // index = XOR_d cell_d·π_d
#define GRID_LEVEL_DENSE_INDEXABLE 2u  // res^d fits in uint32 (else the non-hashed index is 0, as in tiny-cuda-nn)
#define GRID_LEVEL_SIZE_POW2 4u        // modulo by mask

struct HashGridForwardArgs
{
    const float* input;                     // [batch, N_DIMS]
    const grid_param_t* params;             // all tables, [entries, N_FEATURES] one after another
    const HashGridLevelConstants* levels;       // [n_levels]
    float* output;                          // [batch, output_stride]; columns [0, n_levels·F) written
    ngp_u32 batch;
    ngp_u32 output_stride;
    ngp_u32 active_levels;                  // levels ≥ this write 0
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(HashGridForwardArgs, 48);

struct HashGridBackwardArgs
{
    const float* input;                     // [batch, N_DIMS]
    const float* dL_doutput;                // [batch, dy_stride]
    const HashGridLevelConstants* levels;       // [n_levels]
    grid_grad_t* gradients;                 // like params; accumulated into
    ngp_u32 batch;
    ngp_u32 dy_stride;
    ngp_u32 reserved0, reserved1;
};
NGP_ARGS_SIZE(HashGridBackwardArgs, 48);

struct HashGridInputGradientArgs
{
    const float* input;                     // [batch, N_DIMS]
    const float* dL_doutput;                // [batch, dy_stride]
    const grid_param_t* params;             // all tables
    const HashGridLevelConstants* levels;       // [n_levels]
    float* dL_dinput;                       // [batch, N_DIMS], overwritten
    ngp_u32 batch;
    ngp_u32 dy_stride;
    ngp_u32 active_levels;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(HashGridInputGradientArgs, 56);

struct HashGridParamsToHalfArgs
{
    const float* source;                    // [count]
    ngp_half* destination;                  // [count]
    ngp_u32 count;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(HashGridParamsToHalfArgs, 24);

struct HashGridGradientsFromHalfArgs
{
    const ngp_half* source;                 // [count]
    float* destination;                     // [count]
    ngp_u32 count;
    ngp_u32 accumulate;                     // 0: destination = source; 1: destination += source
};
NGP_ARGS_SIZE(HashGridGradientsFromHalfArgs, 24);

// ---- per-dimension position, cell and weight (HashGridKernels.PosFract) ----

/// floor(pos) as a saturating int (NaN → 0): the same value as C#'s int.CreateSaturating(floor(pos)).
NGP_DEVICE ngp_i32 grid_floor_to_int(float pos)
{
    return ngp_floor_to_int_saturating(pos);
}

/// cell = floor(x·scale + 0.5) (uint32 wrap of negatives), w = interp(frac) and dw = d interp / d frac.
NGP_DEVICE void grid_pos_fract(float x, float scale, ngp_u32& cell, float& w, float& dw)
{
    const float pos = fmaf(x, scale, 0.5f);
    const float pos_floor = floorf(pos);
    cell = (ngp_u32)grid_floor_to_int(pos);
    const float f = pos - pos_floor;
#if INTERPOLATION == GRID_SMOOTHSTEP
    w = f * f * (3.0f - 2.0f * f);
    dw = 6.0f * f * (1.0f - f);
#else
    w = f;
    dw = 1.0f;
#endif
}

// ---- index function (HashGridLayout.Index) ----

NGP_DEVICE ngp_u32 grid_index(const HashGridLevelConstants& level, const ngp_u32 (&vertex)[N_DIMS])
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

// ---- entry loads: N_FEATURES values as floats, by vector loads when the parameters are aligned ----

// A table is read in words: a float, or (fp16, F ≥ 2, aligned) a pair of halves in one 32-bit word; an entry's
// words are read GRID_VECTOR at a time (up to 16 bytes) when the parameter pointer is aligned.
#if PARAM_HALF && N_FEATURES >= 2 && PARAMS_ALIGNED
typedef ngp_u32 grid_word_t;
#define GRID_VALUES_PER_WORD 2
#else
typedef grid_param_t grid_word_t;
#define GRID_VALUES_PER_WORD 1
#endif
constexpr int GRID_WORDS = N_FEATURES / GRID_VALUES_PER_WORD;
constexpr int GRID_MAX_VECTOR = 16 / (int)sizeof(grid_word_t);
constexpr int GRID_VECTOR = PARAMS_ALIGNED ? (GRID_WORDS < GRID_MAX_VECTOR ? GRID_WORDS : GRID_MAX_VECTOR) : 1;

struct alignas(GRID_VECTOR * sizeof(grid_word_t)) GridParamVector
{
    grid_word_t v[GRID_VECTOR];
};

/// The N_FEATURES values of entry <entry> of a level table [size, N_FEATURES].
NGP_DEVICE void grid_load_entry(const grid_param_t* table, ngp_u32 entry, float (&values)[N_FEATURES])
{
    const GridParamVector* p = (const GridParamVector*)(table + (ngp_u64)entry * N_FEATURES);
#pragma unroll
    for (int k = 0; k < GRID_WORDS / GRID_VECTOR; ++k)
    {
        const GridParamVector chunk = p[k];
#pragma unroll
        for (int j = 0; j < GRID_VECTOR; ++j)
        {
            const int at = (k * GRID_VECTOR + j) * GRID_VALUES_PER_WORD;
#if GRID_VALUES_PER_WORD == 2
            values[at] = ngp_half2_lo(chunk.v[j]);
            values[at + 1] = ngp_half2_hi(chunk.v[j]);
#else
            values[at] = grid_param_to_float(chunk.v[j]);
#endif
        }
    }
}

/// Weight of cell corner <corner> (bit d = upper in dim d), multiplied in dim order from 1 like the CPU; writes
/// the corner's vertex.
NGP_DEVICE float grid_corner(ngp_u32 corner, const ngp_u32 (&cell)[N_DIMS], const float (&w)[N_DIMS], ngp_u32 (&vertex)[N_DIMS])
{
    float weight = 1.0f;
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d)
    {
        const bool upper = (corner >> d) & 1u;
        weight *= upper ? w[d] : 1.0f - w[d];
        vertex[d] = cell[d] + (upper ? 1u : 0u);
    }
    return weight;
}

// ---- forward: one thread per (sample, level); grid = (ceil(batch / block), n_levels) ----

/// output[i, l·F + f] for every level l; levels ≥ active_levels write 0. Padding columns are never touched.
extern "C" __global__ void kernel_grid_forward(const HashGridForwardArgs args)
{
    const ngp_u32 i = ngp_global_index();
    const ngp_u32 l = NGP_BLOCK_Y;
    if (i >= args.batch) return;
    float* out = args.output + (ngp_u64)i * args.output_stride + l * N_FEATURES;
    float acc[N_FEATURES];
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f) acc[f] = 0.0f;

    if (l < args.active_levels)
    {
        const HashGridLevelConstants level = args.levels[l];
        const grid_param_t* table = args.params + (ngp_u64)level.offset * N_FEATURES;
        ngp_u32 cell[N_DIMS];
        float w[N_DIMS], dw;
#pragma unroll
        for (int d = 0; d < N_DIMS; ++d) grid_pos_fract(args.input[(ngp_u64)i * N_DIMS + d], level.scale, cell[d], w[d], dw);
#if INTERPOLATION == GRID_NEAREST
        grid_load_entry(table, grid_index(level, cell), acc);
#else
#pragma unroll
        for (ngp_u32 corner = 0; corner < (1u << N_DIMS); ++corner)
        {
            ngp_u32 vertex[N_DIMS];
            const float weight = grid_corner(corner, cell, w, vertex);
            float v[N_FEATURES];
            grid_load_entry(table, grid_index(level, vertex), v);
#pragma unroll
            for (int f = 0; f < N_FEATURES; ++f) acc[f] = fmaf(weight, v[f], acc[f]);
        }
#endif
    }
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f) out[f] = acc[f];
}

// ---- parameter gradients: one thread per (sample, active level); grid = (ceil(batch / block), active_levels) ----

/// gradients[entry·F + f] += weight · dL/dy[i, l·F + f] by atomics (float, or fp16 pairs with GRAD_HALF).
NGP_DEVICE void grid_scatter(grid_grad_t* table, ngp_u32 entry, float weight, const float (&g)[N_FEATURES])
{
    grid_grad_t* p = table + (ngp_u64)entry * N_FEATURES;
#if GRAD_HALF
    // Entries start at multiples of N_FEATURES (even) halves of a 4-byte-aligned buffer: every pair is aligned.
#pragma unroll
    for (int f = 0; f < N_FEATURES; f += 2)
        ngp_atomic_add_half2((ngp_half2*)(p + f), ngp_pack_half2(weight * g[f], weight * g[f + 1]));
#else
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f) ngp_atomic_add(p + f, weight * g[f]);
#endif
}

extern "C" __global__ void kernel_grid_backward(const HashGridBackwardArgs args)
{
    const ngp_u32 i = ngp_global_index();
    const ngp_u32 l = NGP_BLOCK_Y;
    if (i >= args.batch) return;
    const HashGridLevelConstants level = args.levels[l];
    const float* dy = args.dL_doutput + (ngp_u64)i * args.dy_stride + l * N_FEATURES;
    float g[N_FEATURES];
#pragma unroll
    for (int f = 0; f < N_FEATURES; ++f) g[f] = dy[f];
    grid_grad_t* table = args.gradients + (ngp_u64)level.offset * N_FEATURES;
    ngp_u32 cell[N_DIMS];
    float w[N_DIMS], dw;
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d) grid_pos_fract(args.input[(ngp_u64)i * N_DIMS + d], level.scale, cell[d], w[d], dw);
#if INTERPOLATION == GRID_NEAREST
    grid_scatter(table, grid_index(level, cell), 1.0f, g);
#else
#pragma unroll
    for (ngp_u32 corner = 0; corner < (1u << N_DIMS); ++corner)
    {
        ngp_u32 vertex[N_DIMS];
        const float weight = grid_corner(corner, cell, w, vertex);
        grid_scatter(table, grid_index(level, vertex), weight, g);
    }
#endif
}

// ---- input gradients: one thread per sample looping over the active levels (deterministic, no atomics) ----

/// dL/dx_d = Σ_l Σ_f dL/dy[l·F + f] · scale_l · interp'(frac_d) · Σ_{corners of the other dims} (Π other weights) ·
/// (v[cell_d + 1] − v[cell_d]) — HashGridKernels.InputGradient, term for term. Nearest: 0.
extern "C" __global__ void kernel_grid_input_gradient(const HashGridInputGradientArgs args)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= args.batch) return;
    float dx[N_DIMS];
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d) dx[d] = 0.0f;
#if INTERPOLATION != GRID_NEAREST
    float x[N_DIMS];
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d) x[d] = args.input[(ngp_u64)i * N_DIMS + d];
    const float* dy_row = args.dL_doutput + (ngp_u64)i * args.dy_stride;
    for (ngp_u32 l = 0; l < args.active_levels; ++l)
    {
        const HashGridLevelConstants level = args.levels[l];
        const grid_param_t* table = args.params + (ngp_u64)level.offset * N_FEATURES;
        ngp_u32 cell[N_DIMS];
        float w[N_DIMS], dw[N_DIMS];
#pragma unroll
        for (int d = 0; d < N_DIMS; ++d) grid_pos_fract(x[d], level.scale, cell[d], w[d], dw[d]);
#pragma unroll
        for (int gd = 0; gd < N_DIMS; ++gd)
        {
            float g[N_FEATURES];
#pragma unroll
            for (int f = 0; f < N_FEATURES; ++f) g[f] = 0.0f;
#pragma unroll
            for (ngp_u32 combo = 0; combo < (1u << (N_DIMS - 1)); ++combo)
            {
                float weight = level.scale;
                ngp_u32 vertex[N_DIMS];
#pragma unroll
                for (int k = 0; k < N_DIMS - 1; ++k)
                {
                    const int d = k >= gd ? k + 1 : k;
                    const bool upper = (combo >> k) & 1u;
                    weight *= upper ? w[d] : 1.0f - w[d];
                    vertex[d] = cell[d] + (upper ? 1u : 0u);
                }
                float left[N_FEATURES], right[N_FEATURES];
                vertex[gd] = cell[gd];
                grid_load_entry(table, grid_index(level, vertex), left);
                vertex[gd] = cell[gd] + 1u;
                grid_load_entry(table, grid_index(level, vertex), right);
#pragma unroll
                for (int f = 0; f < N_FEATURES; ++f) g[f] += weight * (right[f] - left[f]) * dw[gd];
            }
#pragma unroll
            for (int f = 0; f < N_FEATURES; ++f) dx[gd] += dy_row[l * N_FEATURES + f] * g[f];
        }
    }
#endif
#pragma unroll
    for (int d = 0; d < N_DIMS; ++d) args.dL_dinput[(ngp_u64)i * N_DIMS + d] = dx[d];
}

// ---- fp16 parameter copies (ParameterPrecision = Float16) ----

/// destination[k] = half(source[k]) (round to nearest even): the fp16 copy of the fp32 master parameters.
extern "C" __global__ void kernel_grid_params_to_half(const HashGridParamsToHalfArgs args)
{
    const ngp_u32 k = ngp_global_index();
    if (k < args.count) args.destination[k] = ngp_float2half(args.source[k]);
}

/// The fp16 gradient accumulator into the fp32 gradient slice: overwrite or add (GradientMode).
extern "C" __global__ void kernel_grid_gradients_from_half(const HashGridGradientsFromHalfArgs args)
{
    const ngp_u32 k = ngp_global_index();
    if (k >= args.count) return;
    const float g = ngp_half2float(args.source[k]);
    args.destination[k] = args.accumulate ? args.destination[k] + g : g;
}
