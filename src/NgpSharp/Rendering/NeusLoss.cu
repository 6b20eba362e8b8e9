// NeusLoss.cu — NeuS's loss terms on the device (the CUDA twin of NeusLoss.cs; read that first). Each kernel writes
// every element's loss value to values[i] (summed afterwards by Reductions.cu's deterministic double sum, so only
// one scalar per term crosses to the host) and scale·∂value/∂input into the gradient (overwrite or accumulate;
// null: not wanted). One thread per element (rgb: per channel; bce: per ray; eikonal, sparsity: per sample); each
// thread owns its gradient entries, so no atomics. Same float operations in the CPU's order.
//  * kernel_neus_loss_rgb: |p − t| (flag 0) or (p − t)² (flag 1); scale is λ/(3R) per element.
//  * kernel_neus_loss_bce: −(m log o + (1 − m) log(1 − o)), o = clamp(opacity, 1e-3, 1 − 1e-3); m = mask, or o
//    itself for the opaque term (flag 1); scale is λ/R.
//  * kernel_neus_loss_eikonal: (‖∇f‖ − 1)² of rows of a (stride a_stride); scale is 2λ/S.
//  * kernel_neus_loss_sparsity: exp(−k|f|) (k = extra); scale is λ/S.
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"

struct NeusLossArgs
{
    const float* a;               // prediction [3R] / opacity [R] / ∇f rows / f rows
    const float* b;               // target [3R] / mask [R] / null
    float* values;                // [n]
    float* gradient;              // like a (gradient_stride for rows), or null
    ngp_u32 n;                    // elements of the term
    ngp_u32 a_stride;             // row stride of a (eikonal, sparsity)
    ngp_u32 gradient_stride;      // row stride of the gradient (eikonal, sparsity)
    ngp_u32 accumulate;           // 1: +=, 0: =
    float scale;                  // per-element gradient factor (see above)
    float extra;                  // sparsity: k
    ngp_u32 flag;                 // rgb: squared; bce: opaque
    ngp_u32 padding;
};
NGP_ARGS_SIZE(NeusLossArgs, 64);

NGP_DEVICE void neus_loss_write(const NeusLossArgs& a, ngp_u64 at, float value)
{
    if (a.accumulate) a.gradient[at] += value;
    else a.gradient[at] = value;
}

extern "C" __global__ void kernel_neus_loss_rgb(const NeusLossArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.n) return;
    const float d = a.a[i] - a.b[i];
    a.values[i] = a.flag ? d * d : fabsf(d);
    if (!a.gradient) return;
    const float g = a.flag ? 2.0f * d * a.scale : (d > 0.0f ? a.scale : (d < 0.0f ? -a.scale : 0.0f));
    neus_loss_write(a, i, g);
}

extern "C" __global__ void kernel_neus_loss_bce(const NeusLossArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.n) return;
    const float lo = 1e-3f, hi = 1.0f - lo;
    const float raw = a.a[r];
    const float o = raw < lo ? lo : (raw > hi ? hi : raw);
    const float m = a.flag ? o : a.b[r];
    const float log_o = logf(o), log_1mo = logf(1.0f - o);
    a.values[r] = -(m * log_o + (1.0f - m) * log_1mo);
    if (!a.gradient) return;
    float d = (1.0f - m) / (1.0f - o) - m / o;
    if (a.flag) d += log_1mo - log_o;
    const bool inside = raw >= lo && raw <= hi;
    neus_loss_write(a, r, inside ? d * a.scale : 0.0f);
}

extern "C" __global__ void kernel_neus_loss_eikonal(const NeusLossArgs a)
{
    const ngp_u32 s = ngp_global_index();
    if (s >= a.n) return;
    const float* g = a.a + (ngp_u64)s * a.a_stride;
    const float gx = g[0], gy = g[1], gz = g[2];
    const float norm = sqrtf(gx * gx + gy * gy + gz * gz), e = norm - 1.0f;
    a.values[s] = e * e;
    if (!a.gradient) return;
    const float k = norm > 0.0f ? a.scale * e / norm : 0.0f;
    const ngp_u64 at = (ngp_u64)s * a.gradient_stride;
    neus_loss_write(a, at, k * gx);
    neus_loss_write(a, at + 1, k * gy);
    neus_loss_write(a, at + 2, k * gz);
}

extern "C" __global__ void kernel_neus_loss_sparsity(const NeusLossArgs a)
{
    const ngp_u32 s = ngp_global_index();
    if (s >= a.n) return;
    const float v = a.a[(ngp_u64)s * a.a_stride];
    const float e = expf(-a.extra * fabsf(v));
    a.values[s] = e;
    if (!a.gradient) return;
    const float sign = v > 0.0f ? 1.0f : (v < 0.0f ? -1.0f : 0.0f);
    neus_loss_write(a, (ngp_u64)s * a.gradient_stride, -a.extra * sign * e * a.scale);
}
