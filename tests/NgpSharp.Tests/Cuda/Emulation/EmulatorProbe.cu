// Probe kernels for the prelude primitives: run by EmulatorPrimitiveTests against the CUDA emulator (and valid
// device code: scripts/check-kernels.sh compiles this file too). Each checks one primitive against a plain
// reference computed in C#. Fragment layouts here are written from the PTX ISA tables, independently of the
// emulator's own code and of the MLP kernels.
#include "ngp_prelude.cuh"
#include "pcg32.cuh"

struct ProbeArgs
{
    const float* in_f;      // inputs (meaning per kernel)
    float* out_f;           // outputs
    const ngp_half* in_h;   // fp16 inputs
    ngp_u32* out_u;         // integer outputs
    ngp_u64 seed_state;
    ngp_u64 seed_inc;
    ngp_u32 n;
    ngp_u32 mode;           // kernel-specific switch
};
NGP_ARGS_SIZE(ProbeArgs, 56);

/// One warp: D = A·B + C for A 16×16 (row-major halves at in_h[0..256)), B 16×8 (row-major halves at
/// in_h[256..384)), C 16×8 (row-major floats in_f). Fragments gathered straight from global memory per PTX
/// 9.7.14.5.8: g = lane/4, t = lane%4; a_i: row g (+8 for i in {2,3,6,7}), col 2t + (i&1) (+8 for i ≥ 4);
/// b_i: k = 2t + (i&1) (+8 for i ≥ 2), n = g; c_i/d_i: row g (+8 for i ≥ 2), col 2t + (i&1).
extern "C" __global__ void kernel_probe_mma_direct(const ProbeArgs args)
{
    const ngp_u32 lane = ngp_lane(), g = lane / 4, t = lane % 4;
    const ngp_half* A = args.in_h;
    const ngp_half* B = args.in_h + 256;
    ngp_u32 a[4], b[2];
    float c[4], d[4];
    for (int r = 0; r < 4; ++r)
    {
        const ngp_u32 row = g + ((r & 1) ? 8 : 0), col = 2 * t + ((r & 2) ? 8 : 0);
        a[r] = (ngp_u32)A[row * 16 + col] | ((ngp_u32)A[row * 16 + col + 1] << 16);
    }
    for (int r = 0; r < 2; ++r)
    {
        const ngp_u32 k = 2 * t + (r ? 8 : 0);
        b[r] = (ngp_u32)B[k * 8 + g] | ((ngp_u32)B[(k + 1) * 8 + g] << 16);
    }
    for (int i = 0; i < 4; ++i) c[i] = args.in_f[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)];
    ngp_mma_16816(d, a, b, c);
    for (int i = 0; i < 4; ++i) args.out_f[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)] = d[i];
}

/// One warp, the same product with fragments from shared memory by ldmatrix. mode 0: A row-major [16][16] and
/// Bᵀ row-major [8][16], loaded with ngp_ldmatrix_x4; mode 1: Aᵀ [16][16] and B [16][8], loaded with
/// ngp_ldmatrix_x4_trans. Global inputs are always A and B row-major as in kernel_probe_mma_direct.
extern "C" __global__ void kernel_probe_ldmatrix_mma(const ProbeArgs args)
{
    alignas(16) __shared__ ngp_half sa[16 * 16];
    alignas(16) __shared__ ngp_half sb[16 * 8];
    const ngp_u32 lane = ngp_lane();
    for (ngp_u32 i = lane; i < 256; i += 32)
    {
        const ngp_u32 m = i / 16, k = i % 16;
        if (args.mode == 0) sa[m * 16 + k] = args.in_h[i];
        else sa[k * 16 + m] = args.in_h[i];
    }
    for (ngp_u32 i = lane; i < 128; i += 32)
    {
        const ngp_u32 k = i / 8, n = i % 8;
        if (args.mode == 0) sb[n * 16 + k] = args.in_h[256 + i];
        else sb[k * 8 + n] = args.in_h[256 + i];
    }
    NGP_SYNC_THREADS();
    // Matrix q of the A fragment covers rows 8·(q&1).., cols 8·(q>>1)..; lane 8q + r gives row r of matrix q.
    const ngp_u32 q = lane / 8, r = lane % 8;
    const ngp_u32 rowBase = (q & 1) * 8, colBase = (q >> 1) * 8;
    ngp_u32 a[4], bq[4], b[2];
    if (args.mode == 0)
    {
        ngp_ldmatrix_x4(a, &sa[(rowBase + r) * 16 + colBase]);
        ngp_ldmatrix_x4(bq, &sb[r * 16 + (q & 1) * 8]);        // Bᵀ rows n, cols k: matrices k 0–7, 8–15, repeated
    }
    else
    {
        ngp_ldmatrix_x4_trans(a, &sa[(colBase + r) * 16 + rowBase]); // Aᵀ tile rows k = colBase.., cols m = rowBase..
        ngp_ldmatrix_x4_trans(bq, &sb[((q & 1) * 8 + r) * 8]);      // B rows k 0–7, 8–15, repeated
    }
    b[0] = bq[0];
    b[1] = bq[1];
    const ngp_u32 g = lane / 4, t = lane % 4;
    float c[4], d[4];
    for (int i = 0; i < 4; ++i) c[i] = args.in_f[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)];
    ngp_mma_16816(d, a, b, c);
    for (int i = 0; i < 4; ++i) args.out_f[(g + (i >= 2 ? 8 : 0)) * 8 + 2 * t + (i & 1)] = d[i];
}

/// out_f[i·6 + s] = shfl_xor(in_f[i], 1 << s) for s < 5, out_f[i·6 + 5] = warp_sum(in_f[i]).
extern "C" __global__ void kernel_probe_shuffle(const ProbeArgs args)
{
    const ngp_u32 i = ngp_global_index();
    const float v = args.in_f[i];
    for (int s = 0; s < 5; ++s) args.out_f[i * 6 + s] = ngp_shfl_xor(v, 1 << s);
    args.out_f[i * 6 + 5] = ngp_warp_sum(v);
}

/// Reverses each block's slice of in_f through shared memory (static when mode 0, dynamic when mode 1).
extern "C" __global__ void kernel_probe_reverse(const ProbeArgs args)
{
    __shared__ float fixedBuffer[1024];
    extern __shared__ float dynamicBuffer[];
    float* buffer = args.mode == 0 ? fixedBuffer : dynamicBuffer;
    const ngp_u32 t = NGP_THREAD_X, base = NGP_BLOCK_X * NGP_BLOCK_DIM_X;
    buffer[t] = args.in_f[base + t];
    NGP_SYNC_THREADS();
    const float v = buffer[NGP_BLOCK_DIM_X - 1 - t];
    NGP_SYNC_THREADS();  // everyone has read before anyone writes again
    buffer[t] = v * 2.f;
    NGP_SYNC_THREADS();
    args.out_f[base + t] = buffer[t];
}

/// Atomics: out_u[i % 7] += 1; out_f[i % 5] += 0.5; half pairs at out_u[8 + i % 3] += (1, 0.25); out_f[8] = max.
extern "C" __global__ void kernel_probe_atomics(const ProbeArgs args)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= args.n) return;
    ngp_atomic_add(&args.out_u[i % 7], 1u);
    ngp_atomic_add(&args.out_f[i % 5], 0.5f);
    ngp_atomic_add_half2((ngp_half2*)&args.out_u[8 + i % 3], ngp_pack_half2(1.f, 0.25f));
    ngp_atomic_max_nonnegative(&args.out_f[8], (float)i);
}

/// out_u[i] = half bits of in_f[i]; out_f[i] = that half back as a float; out_u[n + i] = floor-to-int of in_f[i].
extern "C" __global__ void kernel_probe_half(const ProbeArgs args)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= args.n) return;
    const ngp_half h = ngp_float2half(args.in_f[i]);
    args.out_u[i] = h;
    args.out_f[i] = ngp_half2float(h);
    args.out_u[args.n + i] = (ngp_u32)ngp_floor_to_int_saturating(args.in_f[i]);
}

/// Thread i advances the stream by i·mode draws, then writes 4 floats and 1 uint.
extern "C" __global__ void kernel_probe_pcg32(const ProbeArgs args)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= args.n) return;
    NgpPcg32 rng;
    rng.state = args.seed_state;
    rng.inc = args.seed_inc;
    ngp_pcg32_advance(rng, (ngp_u64)i * args.mode);
    for (int k = 0; k < 4; ++k) args.out_f[i * 4 + k] = ngp_pcg32_next_float(rng);
    args.out_u[i] = ngp_pcg32_next_uint(rng);
}

/// A broken kernel (emulator-only test): lanes ≥ 16 exit before a shuffle the whole warp must join (mode 0), or
/// half a warp waits at a block barrier while the other half waits at a shuffle (mode 1: deadlock).
extern "C" __global__ void kernel_probe_broken(const ProbeArgs args)
{
    const ngp_u32 lane = ngp_lane();
    if (args.mode == 0)
    {
        if (lane >= 16) return;
        args.out_f[lane] = ngp_shfl_xor(1.f, 1);
    }
    else
    {
        if (lane < 16) NGP_SYNC_THREADS();
        else args.out_f[lane] = ngp_shfl_xor(1.f, 1);
    }
}
