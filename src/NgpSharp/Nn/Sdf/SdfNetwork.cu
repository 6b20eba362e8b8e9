// SdfNetwork.cu — the CUDA twin of SdfNetwork.Cpu.cs (NeuS geometry network: grid features + x/r → MLP with biases,
// one hidden layer, softplus_β or ReLU, optional weight norm), fp32 throughout. The CPU code is the reference; the
// formulas are the same, per sample:
//   forward   z = [x/r, h], a = W₁z + b₁, hid = σ(a), s = σ'(a), o = W₂·hid + b₂,
//             for ∇: γ = w₂₀ ⊙ s, dz = W₁ᵀγ → ∇ₓ = dz_xyz/r (+ s_grid·J_hᵀ dz_h, by the grid's input-gradient kernel)
//   backward  q = [G/r, J_h(G/(2r))], p = W₁q, δ = (W₂ᵀdO) ⊙ s + p ⊙ w₂₀ ⊙ σ''(a),
//             dW₂ += dO hidᵀ (+ row 0: p ⊙ s), dW₁ += δzᵀ + γqᵀ, dz = W₁ᵀδ → the grid's dL/dh
// where w₂₀ = W₂[0, :] (the sdf row) and G = dL/d∇ₓsdf.
//
// Kernels (all 1-D unless said; block 128 for the per-sample kernels):
//   kernel_sdf_effective_weights   one thread per weight row (n + F): W = g·v/‖v‖ (or v), biases copied → [W₁, b₁, W₂, b₂]
//   kernel_sdf_prepare_points      one thread per row: the points (N, or 7N with the ±eps offsets) and u = (x + r)/(2r)
//   kernel_sdf_forward             one thread per row: the MLP (+ its input gradient); weights in shared memory
//   kernel_sdf_scale_add           y = a·x (+ y): grid part of ∇ₓ, and the Jacobian direction G/(2r)
//   kernel_sdf_central_differences one thread per sample: output rows and ∇ from the 7N rows
//   kernel_sdf_fd_output_gradient  one thread per row of 7N: dL/do for the offset rows (±dL/d∇/(2eps) on the sdf)
//   kernel_sdf_backward_samples    one thread per row: hid, δ, γ, p ⊙ s and dL/dh
//   kernel_sdf_weight_partials     grid (⌈P/128⌉, chunks): one thread per effective parameter per chunk of rows
//   kernel_sdf_reduce_partials     one thread per effective parameter: chunks summed in order (deterministic)
//   kernel_sdf_weight_gradients    one thread per weight row: weight-norm chain rule, Overwrite/Accumulate
// No atomics: the MLP gradients are bit-reproducible on a GPU (the grid's are not).
//
// Specialisation (#defines, all required): SDF_XYZ 0|3 (include_xyz), SDF_GRID (the grid's output width L·F),
// SDF_HIDDEN (n_neurons), SDF_OUT (feature_dim), SDF_ACTIVATION 0 softplus | 1 ReLU.
//
// check: -DSDF_XYZ=3 -DSDF_GRID=32 -DSDF_HIDDEN=64 -DSDF_OUT=13 -DSDF_ACTIVATION=0
// check: -DSDF_XYZ=3 -DSDF_GRID=32 -DSDF_HIDDEN=64 -DSDF_OUT=13 -DSDF_ACTIVATION=1
// check: -DSDF_XYZ=0 -DSDF_GRID=8 -DSDF_HIDDEN=16 -DSDF_OUT=1 -DSDF_ACTIVATION=0
// check: -DSDF_XYZ=3 -DSDF_GRID=128 -DSDF_HIDDEN=128 -DSDF_OUT=16 -DSDF_ACTIVATION=0
#include "ngp_prelude.cuh"

#if !defined(SDF_XYZ) || !defined(SDF_GRID) || !defined(SDF_HIDDEN) || !defined(SDF_OUT) || !defined(SDF_ACTIVATION)
#error "SdfNetwork.cu needs SDF_XYZ, SDF_GRID, SDF_HIDDEN, SDF_OUT and SDF_ACTIVATION"
#endif
#if SDF_XYZ != 0 && SDF_XYZ != 3
#error "SDF_XYZ must be 0 or 3"
#endif

#define SDF_IN (SDF_XYZ + SDF_GRID)
// Effective parameters, in this order: W₁ [n, in], b₁ [n], W₂ [F, n], b₂ [F].
#define SDF_W1 0
#define SDF_B1 (SDF_HIDDEN * SDF_IN)
#define SDF_W2 (SDF_B1 + SDF_HIDDEN)
#define SDF_B2 (SDF_W2 + SDF_OUT * SDF_HIDDEN)
#define SDF_PARAMS (SDF_B2 + SDF_OUT)
// The per-sample kernels keep the effective weights in static shared memory when they fit (the default network:
// 12.6 KiB); bigger networks read them from global memory (cached, every thread reads the same address).
#define SDF_SHARED_WEIGHTS (SDF_PARAMS * 4 <= 32 * 1024)

struct SdfEffectiveWeightsArgs
{
    const float* params;      // the MLP's flat parameters: V₁, (g₁), b₁, V₂, (g₂), b₂
    float* weights;           // [SDF_PARAMS] effective
    ngp_u32 weight_norm;      // 1: rows are g·v/‖v‖
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfEffectiveWeightsArgs, 24);

struct SdfPreparePointsArgs
{
    const float* positions;   // [n, 3]
    float* points;            // [rows, 3]: the positions, then (rows = 7n) x_i ± eps·e_d at row n + 6i + 2d + k
    float* unit;              // [rows, 3]: (x + r)·half, the grid's input
    ngp_u32 n;
    ngp_u32 rows;             // n or 7n
    float radius;
    float half;               // 1/(2r)
    float eps;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfPreparePointsArgs, 48);

struct SdfForwardArgs
{
    const float* points;      // [rows, 3]
    const float* features;    // [rows, SDF_GRID] grid output h
    const float* weights;     // [SDF_PARAMS] effective
    float* output;            // [rows, SDF_OUT]
    float* gradient;          // [rows, 3] or null: the xyz part of ∇ₓ (dz_xyz/r)
    float* grid_cotangent;    // [rows, SDF_GRID] (with gradient): dz_h, for the grid's Jacobian-transpose product
    ngp_u32 rows;
    float inv_radius;
    float beta;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfForwardArgs, 64);

struct SdfScaleAddArgs
{
    const float* x;           // [count]
    float* y;                 // [count]: y = a·x + (add ? y : 0) by fma
    ngp_u32 count;
    float a;
    ngp_u32 add;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfScaleAddArgs, 32);

struct SdfCentralDifferencesArgs
{
    const float* output7;     // [7n, SDF_OUT]
    float* output;            // [n, SDF_OUT]: the centre rows
    float* gradient;          // [n, 3]: (sdf(x + eps e_d) − sdf(x − eps e_d))·inv
    ngp_u32 n;
    float inv;                // 1/(2 eps)
};
NGP_ARGS_SIZE(SdfCentralDifferencesArgs, 32);

struct SdfFdOutputGradientArgs
{
    const float* dL_doutput;  // [n, SDF_OUT]
    const float* dL_dgradient;// [n, 3] or null
    float* dL_doutput7;       // [7n, SDF_OUT]
    ngp_u32 n;
    float inv;                // 1/(2 eps)
};
NGP_ARGS_SIZE(SdfFdOutputGradientArgs, 32);

struct SdfBackwardSamplesArgs
{
    const float* points;      // [rows, 3]
    const float* features;    // [rows, SDF_GRID]
    const float* weights;     // [SDF_PARAMS] effective
    const float* dL_doutput;  // [rows, SDF_OUT]
    const float* dL_dgradient;// [rows, 3] or null (no double backward)
    const float* jacobian;    // [rows, SDF_GRID] J_h·(G/(2r)) (with dL_dgradient)
    float* hidden;            // [rows, n] σ(a)
    float* delta;             // [rows, n] δ
    float* gamma;             // [rows, n] w₂₀ ⊙ s (with dL_dgradient)
    float* ps;                // [rows, n] p ⊙ s (with dL_dgradient)
    float* dL_dfeatures;      // [rows, SDF_GRID] dz_h
    ngp_u32 rows;
    float inv_radius;
    float beta;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfBackwardSamplesArgs, 104);

struct SdfWeightPartialsArgs
{
    const float* points;      // [rows, 3]
    const float* features;    // [rows, SDF_GRID]
    const float* dL_doutput;  // [rows, SDF_OUT]
    const float* dL_dgradient;// [rows, 3] or null
    const float* jacobian;    // [rows, SDF_GRID] (with dL_dgradient)
    const float* hidden;      // [rows, n]
    const float* delta;       // [rows, n]
    const float* gamma;       // [rows, n] (with dL_dgradient)
    const float* ps;          // [rows, n] (with dL_dgradient)
    float* partials;          // [chunks, SDF_PARAMS]
    ngp_u32 rows;
    ngp_u32 chunk_rows;
    float inv_radius;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfWeightPartialsArgs, 96);

struct SdfReducePartialsArgs
{
    const float* partials;    // [chunks, SDF_PARAMS]
    float* sum;               // [SDF_PARAMS]
    ngp_u32 chunks;
    ngp_u32 reserved;
};
NGP_ARGS_SIZE(SdfReducePartialsArgs, 24);

struct SdfWeightGradientsArgs
{
    const float* params;      // the MLP's flat parameters (v and g for the weight norm)
    const float* sum;         // [SDF_PARAMS] dL/d(effective parameters)
    float* gradients;         // the MLP's flat gradients (same layout as params)
    ngp_u32 weight_norm;
    ngp_u32 accumulate;       // 0: overwrite, 1: add
};
NGP_ARGS_SIZE(SdfWeightGradientsArgs, 32);

/// Offsets of the flat parameter blocks (SdfNetwork.Layout): V₁, g₁, b₁, V₂, g₂, b₂ (g's empty without weight norm).
struct SdfLayout
{
    ngp_u32 v1, g1, b1, v2, g2, b2;
};

NGP_DEVICE SdfLayout sdf_layout(bool weight_norm)
{
    SdfLayout l;
    l.v1 = 0;
    l.g1 = SDF_HIDDEN * SDF_IN;
    l.b1 = l.g1 + (weight_norm ? SDF_HIDDEN : 0);
    l.v2 = l.b1 + SDF_HIDDEN;
    l.g2 = l.v2 + SDF_OUT * SDF_HIDDEN;
    l.b2 = l.g2 + (weight_norm ? SDF_OUT : 0);
    return l;
}

/// σ(a) and σ'(a) (SdfActivationKernels.Forward): softplus_β = max(a, 0) + log1p(e^{−β|a|})/β, σ' = sigmoid(βa).
NGP_DEVICE void sdf_activation(float a, float beta, float& h, float& s)
{
#if SDF_ACTIVATION == 1
    const bool on = a > 0.0f;
    h = on ? a : 0.0f;
    s = on ? 1.0f : 0.0f;
#else
    const float z = beta * a, e = expf(-fabsf(z));
    h = fmaxf(a, 0.0f) + log1pf(e) / beta;
    s = z >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
#endif
}

/// z = [x/r, h] of row i.
NGP_DEVICE void sdf_load_z(const float* points, const float* features, ngp_u32 i, float inv_radius, float (&z)[SDF_IN])
{
#pragma unroll
    for (int d = 0; d < SDF_XYZ; ++d) z[d] = points[(ngp_u64)i * 3 + d] * inv_radius;
#pragma unroll
    for (int k = 0; k < SDF_GRID; ++k) z[SDF_XYZ + k] = features[(ngp_u64)i * SDF_GRID + k];
}

/// a_j = Σ_k W₁[j, k] z_k + b₁[j].
NGP_DEVICE float sdf_preactivation(const float* W, int j, const float (&z)[SDF_IN])
{
    float a = 0.0f;
#pragma unroll
    for (int k = 0; k < SDF_IN; ++k) a = fmaf(W[SDF_W1 + j * SDF_IN + k], z[k], a);
    return a + W[SDF_B1 + j];
}

#if SDF_SHARED_WEIGHTS
#define SDF_WEIGHTS_BEGIN(source)                                                                        \
    __shared__ float sdf_shared_weights[SDF_PARAMS];                                                     \
    for (ngp_u32 e = NGP_THREAD_X; e < SDF_PARAMS; e += NGP_BLOCK_DIM_X) sdf_shared_weights[e] = (source)[e]; \
    NGP_SYNC_THREADS();                                                                                  \
    const float* W = sdf_shared_weights;
#else
#define SDF_WEIGHTS_BEGIN(source) const float* W = (source);
#endif

extern "C" __global__ void kernel_sdf_effective_weights(const SdfEffectiveWeightsArgs args)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= SDF_HIDDEN + SDF_OUT) return;
    const bool wn = args.weight_norm != 0;
    const SdfLayout l = sdf_layout(wn);
    const bool last = r >= SDF_HIDDEN;
    const ngp_u32 o = last ? r - SDF_HIDDEN : r, fan_in = last ? SDF_HIDDEN : SDF_IN;
    const float* v = args.params + (last ? l.v2 : l.v1) + o * fan_in;
    float* w = args.weights + (last ? SDF_W2 : SDF_W1) + o * fan_in;
    float scale = 1.0f;
    if (wn)
    {
        float sum = 0.0f;
        for (ngp_u32 i = 0; i < fan_in; ++i) sum += v[i] * v[i];
        const float norm = sqrtf(sum);
        scale = norm > 0.0f ? args.params[(last ? l.g2 : l.g1) + o] / norm : 0.0f;
    }
    for (ngp_u32 i = 0; i < fan_in; ++i) w[i] = wn ? v[i] * scale : v[i];
    args.weights[(last ? SDF_B2 : SDF_B1) + o] = args.params[(last ? l.b2 : l.b1) + o];
}

extern "C" __global__ void kernel_sdf_prepare_points(const SdfPreparePointsArgs args)
{
    const ngp_u32 row = ngp_global_index();
    if (row >= args.rows) return;
    const ngp_u32 i = row < args.n ? row : (row - args.n) / 6;
    float p[3];
#pragma unroll
    for (int d = 0; d < 3; ++d) p[d] = args.positions[(ngp_u64)i * 3 + d];
    if (row >= args.n)
    {
        const ngp_u32 k = (row - args.n) % 6, d = k / 2;
        p[d] = ngp_clamp(p[d] + ((k & 1u) == 0 ? args.eps : -args.eps), -args.radius, args.radius);
    }
#pragma unroll
    for (int d = 0; d < 3; ++d)
    {
        args.points[(ngp_u64)row * 3 + d] = p[d];
        args.unit[(ngp_u64)row * 3 + d] = (p[d] + args.radius) * args.half;
    }
}

extern "C" __global__ void kernel_sdf_forward(const SdfForwardArgs args)
{
    SDF_WEIGHTS_BEGIN(args.weights)
    const ngp_u32 i = ngp_global_index();
    if (i >= args.rows) return;
    const bool with_gradient = args.gradient != nullptr;
    float z[SDF_IN], dz[SDF_IN], o[SDF_OUT];
    sdf_load_z(args.points, args.features, i, args.inv_radius, z);
#pragma unroll
    for (int k = 0; k < SDF_IN; ++k) dz[k] = 0.0f;
#pragma unroll
    for (int f = 0; f < SDF_OUT; ++f) o[f] = 0.0f;
    for (int j = 0; j < SDF_HIDDEN; ++j)
    {
        float h, s;
        sdf_activation(sdf_preactivation(W, j, z), args.beta, h, s);
#pragma unroll
        for (int f = 0; f < SDF_OUT; ++f) o[f] = fmaf(W[SDF_W2 + f * SDF_HIDDEN + j], h, o[f]);
        if (with_gradient)
        {
            const float gamma = W[SDF_W2 + j] * s;
#pragma unroll
            for (int k = 0; k < SDF_IN; ++k) dz[k] = fmaf(gamma, W[SDF_W1 + j * SDF_IN + k], dz[k]);
        }
    }
#pragma unroll
    for (int f = 0; f < SDF_OUT; ++f) args.output[(ngp_u64)i * SDF_OUT + f] = o[f] + W[SDF_B2 + f];
    if (!with_gradient) return;
#pragma unroll
    for (int d = 0; d < 3; ++d) args.gradient[(ngp_u64)i * 3 + d] = SDF_XYZ == 3 ? dz[d] * args.inv_radius : 0.0f;
#pragma unroll
    for (int k = 0; k < SDF_GRID; ++k) args.grid_cotangent[(ngp_u64)i * SDF_GRID + k] = dz[SDF_XYZ + k];
}

extern "C" __global__ void kernel_sdf_scale_add(const SdfScaleAddArgs args)
{
    const ngp_u32 k = ngp_global_index();
    if (k >= args.count) return;
    args.y[k] = fmaf(args.a, args.x[k], args.add ? args.y[k] : 0.0f);
}

extern "C" __global__ void kernel_sdf_central_differences(const SdfCentralDifferencesArgs args)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= args.n) return;
#pragma unroll
    for (int f = 0; f < SDF_OUT; ++f) args.output[(ngp_u64)i * SDF_OUT + f] = args.output7[(ngp_u64)i * SDF_OUT + f];
#pragma unroll
    for (int d = 0; d < 3; ++d)
    {
        const ngp_u64 plus = (ngp_u64)args.n + 6ull * i + 2 * d;
        args.gradient[(ngp_u64)i * 3 + d] = (args.output7[plus * SDF_OUT] - args.output7[(plus + 1) * SDF_OUT]) * args.inv;
    }
}

extern "C" __global__ void kernel_sdf_fd_output_gradient(const SdfFdOutputGradientArgs args)
{
    const ngp_u32 row = ngp_global_index();
    if (row >= 7 * args.n) return;
    float* out = args.dL_doutput7 + (ngp_u64)row * SDF_OUT;
    if (row < args.n)
    {
#pragma unroll
        for (int f = 0; f < SDF_OUT; ++f) out[f] = args.dL_doutput[(ngp_u64)row * SDF_OUT + f];
        return;
    }
#pragma unroll
    for (int f = 0; f < SDF_OUT; ++f) out[f] = 0.0f;
    if (args.dL_dgradient == nullptr) return;
    const ngp_u32 k = row - args.n, i = k / 6, d = (k % 6) / 2;
    const float g = args.dL_dgradient[(ngp_u64)i * 3 + d];
    out[0] = (k & 1u) == 0 ? g * args.inv : -g * args.inv;
}

extern "C" __global__ void kernel_sdf_backward_samples(const SdfBackwardSamplesArgs args)
{
    SDF_WEIGHTS_BEGIN(args.weights)
    const ngp_u32 i = ngp_global_index();
    if (i >= args.rows) return;
    const bool second = args.dL_dgradient != nullptr;
    float z[SDF_IN], q[SDF_IN], dy[SDF_OUT], dh[SDF_GRID];
    sdf_load_z(args.points, args.features, i, args.inv_radius, z);
#pragma unroll
    for (int k = 0; k < SDF_IN; ++k) q[k] = 0.0f;
    if (second)
    {
#pragma unroll
        for (int d = 0; d < SDF_XYZ; ++d) q[d] = args.dL_dgradient[(ngp_u64)i * 3 + d] * args.inv_radius;
#pragma unroll
        for (int k = 0; k < SDF_GRID; ++k) q[SDF_XYZ + k] = args.jacobian[(ngp_u64)i * SDF_GRID + k];
    }
#pragma unroll
    for (int f = 0; f < SDF_OUT; ++f) dy[f] = args.dL_doutput[(ngp_u64)i * SDF_OUT + f];
#pragma unroll
    for (int k = 0; k < SDF_GRID; ++k) dh[k] = 0.0f;
    const ngp_u64 row = (ngp_u64)i * SDF_HIDDEN;
    for (int j = 0; j < SDF_HIDDEN; ++j)
    {
        float h, s;
        sdf_activation(sdf_preactivation(W, j, z), args.beta, h, s);
        args.hidden[row + j] = h;
        float back = 0.0f;
#pragma unroll
        for (int f = 0; f < SDF_OUT; ++f) back = fmaf(dy[f], W[SDF_W2 + f * SDF_HIDDEN + j], back);
        float delta = back * s;
        if (second)
        {
            float p = 0.0f;
#pragma unroll
            for (int k = 0; k < SDF_IN; ++k) p = fmaf(W[SDF_W1 + j * SDF_IN + k], q[k], p);
            const float w20 = W[SDF_W2 + j];
            args.gamma[row + j] = w20 * s;
            args.ps[row + j] = p * s;
#if SDF_ACTIVATION == 0
            delta += p * w20 * args.beta * s * (1.0f - s);
#endif
        }
        args.delta[row + j] = delta;
#pragma unroll
        for (int k = 0; k < SDF_GRID; ++k) dh[k] = fmaf(delta, W[SDF_W1 + j * SDF_IN + SDF_XYZ + k], dh[k]);
    }
#pragma unroll
    for (int k = 0; k < SDF_GRID; ++k) args.dL_dfeatures[(ngp_u64)i * SDF_GRID + k] = dh[k];
}

extern "C" __global__ void kernel_sdf_weight_partials(const SdfWeightPartialsArgs args)
{
    const ngp_u32 e = ngp_global_index();
    if (e >= SDF_PARAMS) return;
    const ngp_u32 begin = NGP_BLOCK_Y * args.chunk_rows;
    const ngp_u32 end = begin + args.chunk_rows < args.rows ? begin + args.chunk_rows : args.rows;
    const bool second = args.dL_dgradient != nullptr;
    float sum = 0.0f;
    if (e < SDF_B1)
    {
        // dW₁[j, k] = Σ δ_j z_k + γ_j q_k.
        const ngp_u32 j = e / SDF_IN, k = e % SDF_IN;
        for (ngp_u32 i = begin; i < end; ++i)
        {
            const bool xyz = k < SDF_XYZ;
            const float z = xyz ? args.points[(ngp_u64)i * 3 + k] * args.inv_radius : args.features[(ngp_u64)i * SDF_GRID + (k - SDF_XYZ)];
            sum = fmaf(args.delta[(ngp_u64)i * SDF_HIDDEN + j], z, sum);
            if (second)
            {
                const float q = xyz ? args.dL_dgradient[(ngp_u64)i * 3 + k] * args.inv_radius : args.jacobian[(ngp_u64)i * SDF_GRID + (k - SDF_XYZ)];
                sum = fmaf(args.gamma[(ngp_u64)i * SDF_HIDDEN + j], q, sum);
            }
        }
    }
    else if (e < SDF_W2)
    {
        const ngp_u32 j = e - SDF_B1;
        for (ngp_u32 i = begin; i < end; ++i) sum += args.delta[(ngp_u64)i * SDF_HIDDEN + j];
    }
    else if (e < SDF_B2)
    {
        // dW₂[f, j] = Σ dO_f hid_j (+ row 0: p_j s_j).
        const ngp_u32 f = (e - SDF_W2) / SDF_HIDDEN, j = (e - SDF_W2) % SDF_HIDDEN;
        const bool sdf_row = second && f == 0;
        for (ngp_u32 i = begin; i < end; ++i)
        {
            sum = fmaf(args.dL_doutput[(ngp_u64)i * SDF_OUT + f], args.hidden[(ngp_u64)i * SDF_HIDDEN + j], sum);
            if (sdf_row) sum += args.ps[(ngp_u64)i * SDF_HIDDEN + j];
        }
    }
    else
    {
        const ngp_u32 f = e - SDF_B2;
        for (ngp_u32 i = begin; i < end; ++i) sum += args.dL_doutput[(ngp_u64)i * SDF_OUT + f];
    }
    args.partials[(ngp_u64)NGP_BLOCK_Y * SDF_PARAMS + e] = sum;
}

extern "C" __global__ void kernel_sdf_reduce_partials(const SdfReducePartialsArgs args)
{
    const ngp_u32 e = ngp_global_index();
    if (e >= SDF_PARAMS) return;
    float sum = 0.0f;
    for (ngp_u32 c = 0; c < args.chunks; ++c) sum += args.partials[(ngp_u64)c * SDF_PARAMS + e];
    args.sum[e] = sum;
}

/// Row r of W₁ (r < n) or W₂: w = g·v/‖v‖ ⇒ dL/dg = ⟨dW, v⟩/‖v‖, dL/dv = (g/‖v‖)(dW − (dL/dg/‖v‖)·v); biases as they are.
extern "C" __global__ void kernel_sdf_weight_gradients(const SdfWeightGradientsArgs args)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= SDF_HIDDEN + SDF_OUT) return;
    const bool wn = args.weight_norm != 0, acc = args.accumulate != 0;
    const SdfLayout l = sdf_layout(wn);
    const bool last = r >= SDF_HIDDEN;
    const ngp_u32 o = last ? r - SDF_HIDDEN : r, fan_in = last ? SDF_HIDDEN : SDF_IN;
    const float* dw = args.sum + (last ? SDF_W2 : SDF_W1) + o * fan_in;
    const float db = args.sum[(last ? SDF_B2 : SDF_B1) + o];
    float* gb = args.gradients + (last ? l.b2 : l.b1) + o;
    *gb = acc ? *gb + db : db;
    float* gv = args.gradients + (last ? l.v2 : l.v1) + o * fan_in;
    if (!wn)
    {
        for (ngp_u32 i = 0; i < fan_in; ++i) gv[i] = acc ? gv[i] + dw[i] : dw[i];
        return;
    }
    const float* v = args.params + (last ? l.v2 : l.v1) + o * fan_in;
    float sq = 0.0f;
    for (ngp_u32 i = 0; i < fan_in; ++i) sq += v[i] * v[i];
    const float norm = sqrtf(sq), g = args.params[(last ? l.g2 : l.g1) + o];
    float dg = 0.0f, factor = 0.0f, proj = 0.0f;
    if (norm > 0.0f)
    {
        for (ngp_u32 i = 0; i < fan_in; ++i) dg += dw[i] * v[i];
        dg /= norm;
        factor = g / norm;
        proj = dg / norm;
    }
    float* gg = args.gradients + (last ? l.g2 : l.g1) + o;
    *gg = acc ? *gg + dg : dg;
    for (ngp_u32 i = 0; i < fan_in; ++i)
    {
        const float dv = factor * (dw[i] - proj * v[i]);
        gv[i] = acc ? gv[i] + dv : dv;
    }
}
