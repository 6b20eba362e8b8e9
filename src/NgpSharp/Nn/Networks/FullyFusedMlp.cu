// FullyFusedMlp.cu — the fused fp16 tensor-core MLP (tiny-cuda-nn's FullyFusedMLP idea, our own code).
// One block takes FF_ROWS = 128 batch rows through ALL layers; the activations stay in shared memory as fp16,
// each layer's weights are copied (fp16, converted once per forward by kernel_ff_convert_weights) into shared
// memory, and the products run on mma.sync.m16n8k16 (fp16 in, fp32 accumulate). Weight gradients are not made
// here: Mlp.cu's kernel_mlp_gemm (EPILOGUE 2, A_HALF/B_HALF) sums δᵀ·X over the batch from what these kernels
// store (hidden outputs and δ per layer, fp16, [B, width]).
//
// Specialisation (defines): WIDTH ∈ {16, 32, 64, 128}; IN_PAD = input width padded to 16 (≤ 128); N_LAYERS =
// hidden layers + 1 (≥ 1); ACTIVATION, OUTPUT_ACTIVATION as in mlp_common.cuh. The output layer is padded to
// FF_OUT = 16 rows of zero weights; only the real output columns are written.
// Layer l: fanIn = IN_PAD (l = 0) or WIDTH; fanOut = FF_OUT (last layer) or WIDTH. The fp16 weight buffer holds
// the layers one after another, each [fanOut, fanIn] row-major, zero in padded rows/columns.
// Launch (forward and backward): grid ceil(B / 128), block FF_THREADS, dynamic shared memory
// 2·(128 + WIDTH)·(max(IN_PAD, WIDTH) + 8) bytes (68 KiB for WIDTH = IN_PAD = 128: needs the > 48 KiB attribute).
//
// ---- Fragment layouts (PTX ISA 9.7.14.5.8, "Matrix Fragments for mma.m16n8k16 with floating point type") ----
// g = lane >> 2 (groupID), t = lane % 4 (threadID_in_group). Registers hold f16x2, lower column/row in the low half.
//   A 16×16 (.row): a0,a1 → (g, 2t..2t+1)   a2,a3 → (g+8, 2t..)   a4,a5 → (g, 2t+8..)   a6,a7 → (g+8, 2t+8..)
//                   i.e. reg0 (g, 2t) reg1 (g+8, 2t) reg2 (g, 2t+8) reg3 (g+8, 2t+8).
//   B 16×8  (.col): b0,b1 → (k = 2t..2t+1, n = g)   b2,b3 → (k = 2t+8.., n = g).
//   C/D 16×8 f32:   c0,c1 → (g, 2t..2t+1)   c2,c3 → (g+8, 2t..2t+1).
// ldmatrix.x4 (9.7.9.x "ldmatrix"): lanes 8j..8j+7 give the addresses of rows 0..7 of matrix j; register j of lane l
// receives row l/4, columns 2(l%4)..+1 of matrix j; with .trans it receives (rows 2(l%4)..+1, column l/4) instead.
//   A from act[row][k] (row-major): matrix j = rows (j&1)·8.., cols (j>>1)·8.. → regs are exactly a0..a3 above.
//   Forward B(k, n) = W[n][k]: W row-major [N][K] is B "col". Matrix j = W rows n0 + (j>>1)·8.., cols k0 + (j&1)·8..
//     lane l holds W[n0+g][k0+2t..] = (k = 2t.., n = g): r0,r1 = b0..b3 of n-tile n0, r2,r3 = of n-tile n0+8.
//   Backward dX = δ·W: B(n, k) = W[n][k] (reduction over n). With .trans, matrix j = W rows n0 + (j&1)·8..,
//     cols k0 + (j>>1)·8..; lane l holds W[n0+2t..][k0+g] = (red. 2t.., col g): r0,r1 → out cols k0.., r2,r3 → k0+8..
// tests/NgpSharp.Tests/Nn/FusedMlpFragmentTests.cs simulates exactly these index maps on the CPU.
//
// check: -DWIDTH=64 -DIN_PAD=32 -DN_LAYERS=3 -DACTIVATION=1 -DOUTPUT_ACTIVATION=0
// check: -DWIDTH=128 -DIN_PAD=128 -DN_LAYERS=4 -DACTIVATION=8 -DOUTPUT_ACTIVATION=5
// check: -DWIDTH=16 -DIN_PAD=64 -DN_LAYERS=1 -DACTIVATION=4 -DOUTPUT_ACTIVATION=4
// check: -DWIDTH=32 -DIN_PAD=16 -DN_LAYERS=2 -DACTIVATION=7 -DOUTPUT_ACTIVATION=3
// check: -DWIDTH=16 -DIN_PAD=128 -DN_LAYERS=5 -DACTIVATION=6 -DOUTPUT_ACTIVATION=2
#include "ngp_prelude.cuh"
#include "mlp_common.cuh"

#ifndef WIDTH
#define WIDTH 64
#endif
#ifndef IN_PAD
#define IN_PAD 32
#endif
#ifndef N_LAYERS
#define N_LAYERS 3
#endif
#ifndef ACTIVATION
#define ACTIVATION 1
#endif
#ifndef OUTPUT_ACTIVATION
#define OUTPUT_ACTIVATION 0
#endif

#define FF_ROWS 128
#define FF_OUT 16
#define FF_WARPS (WIDTH == 128 ? 8 : 4)
#define FF_THREADS (32 * FF_WARPS)
#define FF_SKEW 8                                   // halves; rows shift by 4 banks → conflict-free ldmatrix
#define FF_MAXK (IN_PAD > WIDTH ? IN_PAD : WIDTH)
#define FF_LDA (FF_MAXK + FF_SKEW)                  // row stride of the activation tile (halves)

static_assert(WIDTH == 16 || WIDTH == 32 || WIDTH == 64 || WIDTH == 128, "WIDTH must be 16, 32, 64 or 128");
static_assert(IN_PAD % 16 == 0 && IN_PAD >= 16 && IN_PAD <= 128, "IN_PAD must be a multiple of 16 in [16, 128]");
static_assert(N_LAYERS >= 1, "N_LAYERS >= 1");

struct __attribute__((aligned(16))) ff_u32x4 { ngp_u32 x, y, z, w; };

extern __shared__ __attribute__((aligned(16))) ngp_half ff_smem[];

NGP_DEVICE constexpr int ff_fan_in(int l) { return l == 0 ? IN_PAD : WIDTH; }
NGP_DEVICE constexpr int ff_fan_out(int l) { return l == N_LAYERS - 1 ? FF_OUT : WIDTH; }

/// Start of layer l in the fp16 weight buffer (halves).
NGP_DEVICE ngp_i64 ff_weight_offset(int l)
{
    if (l == 0) return 0;
    return (ngp_i64)ff_fan_out(0) * IN_PAD + (ngp_i64)(l - 1) * WIDTH * WIDTH;
}

/// Copies W_l [N][K] (global, fp16) into shared memory with row stride K + FF_SKEW (16-byte chunks).
template <int K, int N>
NGP_DEVICE void ff_load_weights(ngp_half* wsm, const ngp_half* w)
{
    constexpr int CHUNKS = K / 8;
    for (int c = (int)NGP_THREAD_X; c < N * CHUNKS; c += FF_THREADS)
    {
        int n = c / CHUNKS, kc = c % CHUNKS;
        *(ff_u32x4*)(wsm + n * (K + FF_SKEW) + kc * 8) = *(const ff_u32x4*)(w + n * K + kc * 8);
    }
}

/// acc = A[rowTile·16.., 0..RED) · B for one 16×16 output tile; B from W in shared memory (row stride LDW).
/// TRANS = false: forward, output cols = W rows strip·16..; TRANS = true: backward, output cols = W cols strip·16..
template <int RED, int LDW, bool TRANS>
NGP_DEVICE void ff_tile_product(float (&acc)[8], const ngp_half* act, const ngp_half* wsm, int rowTile, int strip, int lane)
{
    #pragma unroll
    for (int i = 0; i < 8; i++) acc[i] = 0.0f;
    const int mrow = lane & 7, mj = lane >> 3;  // row within matrix, matrix index
    const ngp_half* aRow = act + (rowTile * 16 + mrow + (mj & 1) * 8) * FF_LDA + (mj >> 1) * 8;
    #pragma unroll
    for (int k0 = 0; k0 < RED; k0 += 16)
    {
        ngp_u32 a[4], bq[4];
        ngp_ldmatrix_x4(a, aRow + k0);
        if (!TRANS)
            ngp_ldmatrix_x4(bq, wsm + (strip * 16 + mrow + (mj >> 1) * 8) * LDW + k0 + (mj & 1) * 8);
        else
            ngp_ldmatrix_x4_trans(bq, wsm + (k0 + mrow + (mj & 1) * 8) * LDW + strip * 16 + (mj >> 1) * 8);
        const ngp_u32 b0[2] = {bq[0], bq[1]}, b1[2] = {bq[2], bq[3]};
        float lo[4] = {acc[0], acc[1], acc[2], acc[3]}, hi[4] = {acc[4], acc[5], acc[6], acc[7]};
        ngp_mma_16816(lo, a, b0, lo);
        ngp_mma_16816(hi, a, b1, hi);
        #pragma unroll
        for (int i = 0; i < 4; i++) { acc[i] = lo[i]; acc[4 + i] = hi[i]; }
    }
}

// acc[4h + 2r + e] is the output at tile row g + 8r, tile column 8h + 2t + e.
#define FF_ACC_ROW(g, r) ((g) + 8 * (r))
#define FF_ACC_COL(t, h) (8 * (h) + 2 * (t))

struct FfConvertArgs
{
    const float* params;    // fp32 parameters, layers [fanOut, fanIn] unpadded
    ngp_half* weights;      // fp16, padded layers (see top)
    ngp_i32 inputWidth;
    ngp_i32 outputWidth;
    ngp_i32 total;          // halves in weights
    ngp_i32 unused;
};
NGP_ARGS_SIZE(FfConvertArgs, 32);

/// fp32 parameters → padded fp16 weights. Linear launch over total.
extern "C" __global__ void kernel_ff_convert_weights(const FfConvertArgs args)
{
    ngp_i64 e = (ngp_i64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (e >= args.total) return;
    int l = N_LAYERS - 1;
    for (int i = 1; i < N_LAYERS; i++)
        if (e < ff_weight_offset(i)) { l = i - 1; break; }
    ngp_i64 local = e - ff_weight_offset(l);
    int fanIn = ff_fan_in(l);
    int n = (int)(local / fanIn), k = (int)(local % fanIn);
    int realIn = l == 0 ? args.inputWidth : WIDTH;
    int realOut = l == N_LAYERS - 1 ? args.outputWidth : WIDTH;
    ngp_i64 src = l == 0 ? 0 : (ngp_i64)WIDTH * args.inputWidth + (ngp_i64)(l - 1) * WIDTH * WIDTH;
    float v = n < realOut && k < realIn ? args.params[src + (ngp_i64)n * realIn + k] : 0.0f;
    args.weights[e] = ngp_float2half(v);
}

struct FfForwardArgs
{
    const ngp_half* weights;    // padded fp16 layers
    const float* input;         // [B, inputWidth]
    float* output;              // [B, outputWidth]
    float* outputPre;           // [B, outputWidth] pre-activations of the output layer (Sine, training) or null
    ngp_half* hidden;           // [N_LAYERS − 1, B, WIDTH] hidden outputs (training) or null (inference)
    ngp_half* hiddenPre;        // like hidden, pre-activations (Sine, training) or null
    ngp_i32 batch;
    ngp_i32 inputWidth;
    ngp_i32 outputWidth;
    ngp_i32 unused;
};
NGP_ARGS_SIZE(FfForwardArgs, 64);

/// One forward layer K → N with activation ACT. Hidden layers (LAST = false) overwrite the activation tile in
/// place, so every warp keeps all its accumulators until the whole block has finished reading the tile.
template <int K, int N, int ACT, bool LAST>
NGP_DEVICE void ff_forward_layer(int l, ngp_half* act, ngp_half* wsm, const FfForwardArgs& args, ngp_i64 row0)
{
    constexpr int LDW = K + FF_SKEW, STRIPS = N / 16, ITEMS = (FF_ROWS / 16) * STRIPS;
    constexpr int PER_WARP = (ITEMS + FF_WARPS - 1) / FF_WARPS;
    const int warp = (int)NGP_THREAD_X / 32, lane = (int)NGP_THREAD_X % 32, g = lane >> 2, t = lane & 3;
    ff_load_weights<K, N>(wsm, args.weights + ff_weight_offset(l));
    NGP_SYNC_THREADS();

    if (LAST)
    {
        // Output layer: straight to global memory (float), real columns only; no in-place hazard.
        #pragma unroll
        for (int j = 0; j < PER_WARP; j++)
        {
            int item = warp + FF_WARPS * j;
            if (item >= ITEMS) continue;
            int rowTile = item / STRIPS, strip = item % STRIPS;
            float acc[8];
            ff_tile_product<K, LDW, false>(acc, act, wsm, rowTile, strip, lane);
            #pragma unroll
            for (int h = 0; h < 2; h++)
                #pragma unroll
                for (int r = 0; r < 2; r++)
                    #pragma unroll
                    for (int e = 0; e < 2; e++)
                    {
                        ngp_i64 b = row0 + rowTile * 16 + FF_ACC_ROW(g, r);
                        int col = strip * 16 + FF_ACC_COL(t, h) + e;
                        if (b >= args.batch || col >= args.outputWidth) continue;
                        float x = acc[4 * h + 2 * r + e];
                        ngp_i64 at = b * args.outputWidth + col;
                        if (args.outputPre) args.outputPre[at] = x;
                        args.output[at] = ngp_mlp_act<ACT>(x);
                    }
        }
        return;
    }

    float acc[PER_WARP][8];
    #pragma unroll
    for (int j = 0; j < PER_WARP; j++)
    {
        int item = warp + FF_WARPS * j;
        if (item < ITEMS) ff_tile_product<K, LDW, false>(acc[j], act, wsm, item / STRIPS, item % STRIPS, lane);
    }
    NGP_SYNC_THREADS(); // every warp has read the whole tile (and the weights): now overwrite it
    ngp_half* hidden = args.hidden ? args.hidden + (ngp_i64)l * args.batch * WIDTH : 0;
    ngp_half* hiddenPre = args.hiddenPre ? args.hiddenPre + (ngp_i64)l * args.batch * WIDTH : 0;
    #pragma unroll
    for (int j = 0; j < PER_WARP; j++)
    {
        int item = warp + FF_WARPS * j;
        if (item >= ITEMS) continue;
        int rowTile = item / STRIPS, strip = item % STRIPS;
        #pragma unroll
        for (int h = 0; h < 2; h++)
            #pragma unroll
            for (int r = 0; r < 2; r++)
            {
                int row = rowTile * 16 + FF_ACC_ROW(g, r), col = strip * 16 + FF_ACC_COL(t, h);
                float x0 = acc[j][4 * h + 2 * r], x1 = acc[j][4 * h + 2 * r + 1];
                ngp_half2 y = ngp_pack_half2(ngp_mlp_act<ACT>(x0), ngp_mlp_act<ACT>(x1));
                *(ngp_half2*)(act + row * FF_LDA + col) = y;
                ngp_i64 b = row0 + row;
                if (b >= args.batch) continue;
                if (hidden) *(ngp_half2*)(hidden + b * WIDTH + col) = y;
                if (hiddenPre) *(ngp_half2*)(hiddenPre + b * WIDTH + col) = ngp_pack_half2(x0, x1);
            }
    }
    // The next layer's weight load + barrier orders these writes before its reads.
}

/// Forward through all layers. Training stores the hidden outputs (and Sine pre-activations); inference does not.
extern "C" __global__ void kernel_ff_forward(const FfForwardArgs args)
{
    ngp_half* act = ff_smem;
    ngp_half* wsm = ff_smem + FF_ROWS * FF_LDA;
    const ngp_i64 row0 = (ngp_i64)NGP_BLOCK_X * FF_ROWS;

    // Input tile → fp16, zero in the padding columns and past the batch.
    for (int e = (int)NGP_THREAD_X; e < FF_ROWS * IN_PAD / 2; e += FF_THREADS)
    {
        int r = e / (IN_PAD / 2), k = 2 * (e % (IN_PAD / 2));
        ngp_i64 b = row0 + r;
        float v0 = 0.0f, v1 = 0.0f;
        if (b < args.batch)
        {
            const float* x = args.input + b * args.inputWidth;
            if (k < args.inputWidth) v0 = x[k];
            if (k + 1 < args.inputWidth) v1 = x[k + 1];
        }
        *(ngp_half2*)(act + r * FF_LDA + k) = ngp_pack_half2(v0, v1);
    }
    // (ordered before the first layer's reads by the barrier after its weight load)

    if (N_LAYERS == 1)
    {
        ff_forward_layer<IN_PAD, FF_OUT, OUTPUT_ACTIVATION, true>(0, act, wsm, args, row0);
        return;
    }
    ff_forward_layer<IN_PAD, WIDTH, ACTIVATION, false>(0, act, wsm, args, row0);
    for (int l = 1; l < N_LAYERS - 1; l++)
        ff_forward_layer<WIDTH, WIDTH, ACTIVATION, false>(l, act, wsm, args, row0);
    ff_forward_layer<WIDTH, FF_OUT, OUTPUT_ACTIVATION, true>(N_LAYERS - 1, act, wsm, args, row0);
}

struct FfBackwardArgs
{
    const ngp_half* weights;    // padded fp16 layers (as in the forward pass)
    const float* dLdOutput;     // [B, outputWidth]
    const float* output;        // [B, outputWidth]
    const float* outputPre;     // [B, outputWidth] (Sine output) or null
    const ngp_half* hidden;     // [N_LAYERS − 1, B, WIDTH] from the forward pass
    const ngp_half* hiddenPre;  // like hidden (Sine) or null
    ngp_half* deltas;           // out: δ_l = dL/d(pre-activation of layer l): [N_LAYERS − 1, B, WIDTH] then [B, 16]
    float* dLdInput;            // [B, inputWidth] or null
    ngp_i32 batch;
    ngp_i32 inputWidth;
    ngp_i32 outputWidth;
    ngp_i32 unused;
};
NGP_ARGS_SIZE(FfBackwardArgs, 80);

/// dX = δ_l · W_l for layer l (K = fanIn, N = fanOut). FINAL (l = 0): writes dL/dinput (float, real columns).
/// Otherwise: δ_{l−1} = dX ⊙ f'(h_{l−1}) replaces δ_l in the tile (in place, as the forward pass) and goes to
/// global memory for the weight gradients.
template <int K, int N, bool FINAL>
NGP_DEVICE void ff_backward_layer(int l, ngp_half* act, ngp_half* wsm, const FfBackwardArgs& args, ngp_i64 row0)
{
    constexpr int LDW = K + FF_SKEW, STRIPS = K / 16, ITEMS = (FF_ROWS / 16) * STRIPS;
    constexpr int PER_WARP = (ITEMS + FF_WARPS - 1) / FF_WARPS;
    const int warp = (int)NGP_THREAD_X / 32, lane = (int)NGP_THREAD_X % 32, g = lane >> 2, t = lane & 3;
    ff_load_weights<K, N>(wsm, args.weights + ff_weight_offset(l));
    NGP_SYNC_THREADS();

    if (FINAL)
    {
        #pragma unroll
        for (int j = 0; j < PER_WARP; j++)
        {
            int item = warp + FF_WARPS * j;
            if (item >= ITEMS) continue;
            int rowTile = item / STRIPS, strip = item % STRIPS;
            float acc[8];
            ff_tile_product<N, LDW, true>(acc, act, wsm, rowTile, strip, lane);
            #pragma unroll
            for (int h = 0; h < 2; h++)
                #pragma unroll
                for (int r = 0; r < 2; r++)
                    #pragma unroll
                    for (int e = 0; e < 2; e++)
                    {
                        ngp_i64 b = row0 + rowTile * 16 + FF_ACC_ROW(g, r);
                        int col = strip * 16 + FF_ACC_COL(t, h) + e;
                        if (b < args.batch && col < args.inputWidth) args.dLdInput[b * args.inputWidth + col] = acc[4 * h + 2 * r + e];
                    }
        }
        return;
    }

    float acc[PER_WARP][8];
    #pragma unroll
    for (int j = 0; j < PER_WARP; j++)
    {
        int item = warp + FF_WARPS * j;
        if (item < ITEMS) ff_tile_product<N, LDW, true>(acc[j], act, wsm, item / STRIPS, item % STRIPS, lane);
    }
    NGP_SYNC_THREADS();
    const ngp_half* h = args.hidden + (ngp_i64)(l - 1) * args.batch * WIDTH;
    const ngp_half* hPre = args.hiddenPre ? args.hiddenPre + (ngp_i64)(l - 1) * args.batch * WIDTH : 0;
    ngp_half* delta = args.deltas + (ngp_i64)(l - 1) * args.batch * WIDTH;
    #pragma unroll
    for (int j = 0; j < PER_WARP; j++)
    {
        int item = warp + FF_WARPS * j;
        if (item >= ITEMS) continue;
        int rowTile = item / STRIPS, strip = item % STRIPS;
        #pragma unroll
        for (int hh = 0; hh < 2; hh++)
            #pragma unroll
            for (int r = 0; r < 2; r++)
            {
                int row = rowTile * 16 + FF_ACC_ROW(g, r), col = strip * 16 + FF_ACC_COL(t, hh);
                ngp_i64 b = row0 + row;
                float d0 = 0.0f, d1 = 0.0f;
                if (b < args.batch)
                {
                    ngp_half2 y = *(const ngp_half2*)(h + b * WIDTH + col);
                    ngp_half2 x = hPre ? *(const ngp_half2*)(hPre + b * WIDTH + col) : 0u;
                    d0 = acc[j][4 * hh + 2 * r] * ngp_mlp_act_grad<ACTIVATION>(ngp_half2_lo(y), ngp_half2_lo(x));
                    d1 = acc[j][4 * hh + 2 * r + 1] * ngp_mlp_act_grad<ACTIVATION>(ngp_half2_hi(y), ngp_half2_hi(x));
                }
                ngp_half2 d = ngp_pack_half2(d0, d1);
                *(ngp_half2*)(act + row * FF_LDA + col) = d;
                if (b < args.batch) *(ngp_half2*)(delta + b * WIDTH + col) = d;
            }
    }
}

/// Backward through all layers: δ of every layer to args.deltas and, when args.dLdInput, dL/dinput.
extern "C" __global__ void kernel_ff_backward(const FfBackwardArgs args)
{
    ngp_half* act = ff_smem;
    ngp_half* wsm = ff_smem + FF_ROWS * FF_LDA;
    const ngp_i64 row0 = (ngp_i64)NGP_BLOCK_X * FF_ROWS;

    // δ of the output layer: dL/dy ⊙ f'(y), padded to 16 columns with zeros.
    ngp_half* deltaOut = args.deltas + (ngp_i64)(N_LAYERS - 1) * args.batch * WIDTH;
    for (int e = (int)NGP_THREAD_X; e < FF_ROWS * FF_OUT; e += FF_THREADS)
    {
        int r = e / FF_OUT, c = e % FF_OUT;
        ngp_i64 b = row0 + r;
        float v = 0.0f;
        if (b < args.batch && c < args.outputWidth)
        {
            ngp_i64 i = b * args.outputWidth + c;
            float x = args.outputPre ? args.outputPre[i] : 0.0f;
            v = args.dLdOutput[i] * ngp_mlp_act_grad<OUTPUT_ACTIVATION>(args.output[i], x);
        }
        ngp_half hv = ngp_float2half(v);
        act[r * FF_LDA + c] = hv;
        if (b < args.batch) deltaOut[b * FF_OUT + c] = hv;
    }

    if (N_LAYERS == 1)
    {
        if (args.dLdInput) ff_backward_layer<IN_PAD, FF_OUT, true>(0, act, wsm, args, row0);
        return;
    }
    ff_backward_layer<WIDTH, FF_OUT, false>(N_LAYERS - 1, act, wsm, args, row0);
    for (int l = N_LAYERS - 2; l >= 1; l--)
        ff_backward_layer<WIDTH, WIDTH, false>(l, act, wsm, args, row0);
    if (args.dLdInput) ff_backward_layer<IN_PAD, WIDTH, true>(0, act, wsm, args, row0);
}
