// Mlp.cu — the fp32 MLP path (any width), CUDA twin of Mlp.Cpu.cs; also the weight-gradient GEMM of the fused
// fp16 path (FullyFusedMlp.cu), which reads its fp16 activations through A_HALF / B_HALF.
//
// One tiled shared-memory GEMM with strided operands, C[m, n] = Σ_k A(m, k)·B(k, n), A(m, k) = a[m·sAm + k·sAk],
// B(k, n) = b[k·sBk + n·sBn], and three epilogues (EPILOGUE):
//   0  forward:       C = act(A·B), optionally keeping the pre-activation (Sine)      Y = act(X·Wᵀ)
//   1  backward data: C = (A·B) ⊙ act'(y, pre) with y, pre laid out like C           δ_{l−1} = (δ_l·W) ⊙ f'(h)
//   2  weight grads:  block row blockY sums k in [blockY·kChunk, +kChunk) into        dW = δᵀ·X, batch in chunks
//                     partials[blockY][m][n]; kernel_mlp_reduce_partials then adds the chunks in order
//                     (deterministic: no atomics) and applies the GradientMode.
// Tiles: 64×64 outputs per block of 256 threads (16×16), each thread 4×4 outputs at rows ty + 16i, cols tx + 16j
// (reads of the B tile are consecutive across tx; A reads are broadcasts), k in steps of 16.
// Launch: grid.x = ceil(M/64)·ceil(N/64) (n tile fastest), grid.y = number of k chunks (1 unless EPILOGUE 2),
// block 256, no dynamic shared memory (8.5 KiB static).
//
// check: -DACTIVATION=0 -DEPILOGUE=0
// check: -DACTIVATION=1 -DEPILOGUE=0
// check: -DACTIVATION=4 -DEPILOGUE=0
// check: -DACTIVATION=7 -DEPILOGUE=1
// check: -DACTIVATION=8 -DEPILOGUE=1
// check: -DACTIVATION=4 -DEPILOGUE=1
// check: -DEPILOGUE=2
// check: -DEPILOGUE=2 -DA_HALF=1 -DB_HALF=1
// check: -DEPILOGUE=2 -DA_HALF=1 -DB_HALF=0
// check: -DACTIVATION=5
#include "ngp_prelude.cuh"
#include "mlp_common.cuh"

#ifndef ACTIVATION
#define ACTIVATION 0
#endif
#ifndef EPILOGUE
#define EPILOGUE 0
#endif
#ifndef A_HALF
#define A_HALF 0
#endif
#ifndef B_HALF
#define B_HALF 0
#endif

#if A_HALF
typedef ngp_half mlp_a_t;
NGP_DEVICE float mlp_load_a(const mlp_a_t* p, ngp_i64 i) { return ngp_half2float(p[i]); }
#else
typedef float mlp_a_t;
NGP_DEVICE float mlp_load_a(const mlp_a_t* p, ngp_i64 i) { return p[i]; }
#endif
#if B_HALF
typedef ngp_half mlp_b_t;
NGP_DEVICE float mlp_load_b(const mlp_b_t* p, ngp_i64 i) { return ngp_half2float(p[i]); }
#else
typedef float mlp_b_t;
NGP_DEVICE float mlp_load_b(const mlp_b_t* p, ngp_i64 i) { return p[i]; }
#endif

#define MLP_BM 64
#define MLP_BN 64
#define MLP_BK 16
#define MLP_THREADS 256

struct MlpGemmArgs
{
    const mlp_a_t* a;   // A operand
    const mlp_b_t* b;   // B operand
    float* c;           // EPILOGUE 0/1: [m, ldc]; EPILOGUE 2: partials [gridDim.y, m, n]
    float* pre;         // EPILOGUE 0: pre-activations out [m, ldc] or null; EPILOGUE 1: pre-activations in or null
    const float* y;     // EPILOGUE 1: activation outputs [m, ldc] (f' is computed from them); else null
    ngp_i32 strideAm, strideAk, strideBk, strideBn;
    ngp_i32 m, n, k;
    ngp_i32 ldc;
    ngp_i32 kChunk;     // reduction length per grid row (EPILOGUE 2); k otherwise
    ngp_i32 unused;
};
NGP_ARGS_SIZE(MlpGemmArgs, 80);

extern "C" __global__ void kernel_mlp_gemm(const MlpGemmArgs args)
{
    __shared__ float As[MLP_BK][MLP_BM + 4];
    __shared__ float Bs[MLP_BK][MLP_BN + 4];

    const int t = (int)NGP_THREAD_X, tx = t % 16, ty = t / 16;
    const int nTiles = (args.n + MLP_BN - 1) / MLP_BN;
    const int m0 = (int)(NGP_BLOCK_X / nTiles) * MLP_BM;
    const int n0 = (int)(NGP_BLOCK_X % nTiles) * MLP_BN;
    const int chunk = (int)NGP_BLOCK_Y;
    const int kBegin = chunk * args.kChunk;
    const int kEnd = kBegin + args.kChunk < args.k ? kBegin + args.kChunk : args.k;
    // Load orders with the contiguous dimension fastest across threads (coalesced global reads).
    const bool aKContiguous = args.strideAk == 1;
    const bool bNContiguous = args.strideBn == 1;

    float acc[4][4];
    #pragma unroll
    for (int i = 0; i < 4; i++)
        #pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.0f;

    for (int k0 = kBegin; k0 < kEnd; k0 += MLP_BK)
    {
        #pragma unroll
        for (int r = 0; r < MLP_BM * MLP_BK / MLP_THREADS; r++)
        {
            int e = t + r * MLP_THREADS;
            int mm = aKContiguous ? e / MLP_BK : e % MLP_BM;
            int kk = aKContiguous ? e % MLP_BK : e / MLP_BM;
            int gm = m0 + mm, gk = k0 + kk;
            As[kk][mm] = gm < args.m && gk < kEnd
                ? mlp_load_a(args.a, (ngp_i64)gm * args.strideAm + (ngp_i64)gk * args.strideAk) : 0.0f;
        }
        #pragma unroll
        for (int r = 0; r < MLP_BN * MLP_BK / MLP_THREADS; r++)
        {
            int e = t + r * MLP_THREADS;
            int nn = bNContiguous ? e % MLP_BN : e / MLP_BK;
            int kk = bNContiguous ? e / MLP_BN : e % MLP_BK;
            int gn = n0 + nn, gk = k0 + kk;
            Bs[kk][nn] = gn < args.n && gk < kEnd
                ? mlp_load_b(args.b, (ngp_i64)gk * args.strideBk + (ngp_i64)gn * args.strideBn) : 0.0f;
        }
        NGP_SYNC_THREADS();
        #pragma unroll
        for (int kk = 0; kk < MLP_BK; kk++)
        {
            float av[4], bv[4];
            #pragma unroll
            for (int i = 0; i < 4; i++) av[i] = As[kk][ty + 16 * i];
            #pragma unroll
            for (int j = 0; j < 4; j++) bv[j] = Bs[kk][tx + 16 * j];
            #pragma unroll
            for (int i = 0; i < 4; i++)
                #pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        NGP_SYNC_THREADS();
    }

    #pragma unroll
    for (int i = 0; i < 4; i++)
    {
        int gm = m0 + ty + 16 * i;
        if (gm >= args.m) continue;
        #pragma unroll
        for (int j = 0; j < 4; j++)
        {
            int gn = n0 + tx + 16 * j;
            if (gn >= args.n) continue;
            float v = acc[i][j];
#if EPILOGUE == 0
            ngp_i64 at = (ngp_i64)gm * args.ldc + gn;
            if (args.pre) args.pre[at] = v;
            args.c[at] = ngp_mlp_act<ACTIVATION>(v);
#elif EPILOGUE == 1
            ngp_i64 at = (ngp_i64)gm * args.ldc + gn;
            if (ACTIVATION != NGP_ACT_NONE)
                v *= ngp_mlp_act_grad<ACTIVATION>(args.y[at], ngp_mlp_act_needs_pre<ACTIVATION>() ? args.pre[at] : 0.0f);
            args.c[at] = v;
#else
            args.c[((ngp_i64)chunk * args.m + gm) * args.n + gn] = v;
#endif
        }
    }
}

struct MlpReduceArgs
{
    const float* partials;  // [chunks, count]
    float* gradients;       // [count]: the layer's slice of dL/dparams
    ngp_i32 count;
    ngp_i32 chunks;
    ngp_i32 accumulate;     // 0: overwrite, 1: add (GradientMode)
    ngp_i32 unused;
};
NGP_ARGS_SIZE(MlpReduceArgs, 32);

/// gradients[e] (+)= Σ_c partials[c][e], summed in chunk order. One thread per element; grid.x = ceil(count/256).
extern "C" __global__ void kernel_mlp_reduce_partials(const MlpReduceArgs args)
{
    ngp_u32 e = ngp_global_index();
    if (e >= (ngp_u32)args.count) return;
    float s = 0.0f;
    for (int c = 0; c < args.chunks; c++) s += args.partials[(ngp_i64)c * args.count + e];
    args.gradients[e] = args.accumulate ? args.gradients[e] + s : s;
}

struct MlpActivationBackwardArgs
{
    const float* dLdOutput; // [count]
    const float* output;    // [count]: y = f(x)
    const float* pre;       // [count]: x (Sine only), else null
    float* delta;           // [count]: dL/dy ⊙ f'
    ngp_i64 count;
};
NGP_ARGS_SIZE(MlpActivationBackwardArgs, 40);

/// δ = dL/dy ⊙ f'(y) for the output layer (ACTIVATION = the output activation). Linear launch over count.
extern "C" __global__ void kernel_mlp_activation_backward(const MlpActivationBackwardArgs args)
{
    ngp_i64 i = (ngp_i64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= args.count) return;
    float x = ngp_mlp_act_needs_pre<ACTIVATION>() ? args.pre[i] : 0.0f;
    args.delta[i] = args.dLdOutput[i] * ngp_mlp_act_grad<ACTIVATION>(args.output[i], x);
}
