// NeusRenderer.cu — the CUDA twin of NeusRenderer.Cpu.cs: NeuS compositing of packed ray samples, one thread per
// ray (a ray's samples are a contiguous range; the loops are the CPU loops, operation for operation, so an emulated
// run matches the CPU and a GPU run differs only by expf/FMA rounding).
// Forward: α from sdf, ∇f and the direction (NeusAlpha), w = αT; stores α, T, w per sample.
// Backward: walks each ray from its end with Y_i = α_i y_i + (1 − α_i) Y_{i+1}, ∂L/∂α_i = T_i (y_i − Y_{i+1});
// each ray writes its share of dL/dinv_s to inv_s_partials[r] (summed on the host in ray order).
#include "ngp_prelude.cuh"

struct NeusRenderForwardArgs
{
    const ngp_i32* ray_offsets;   // [R]
    const ngp_i32* ray_counts;    // [R]
    const float* t_starts;        // [S]
    const float* t_ends;          // [S]
    const float* sdf;             // sample s at sdf[s * sdf_stride]
    const float* gradient;        // sample s at gradient[s * gradient_stride + 0..2]
    const float* rgb;             // sample s at rgb[s * rgb_stride + 0..2]
    const float* directions;      // [R, 3]
    const float* background;      // [R, 3] per-ray colours, or null: the constant bg_r, bg_g, bg_b
    float* out_colour;            // [R, 3]
    float* foreground;            // [R, 3]
    float* normal;                // [R, 3]
    float* opacity;               // [R]
    float* depth;                 // [R]
    float* alpha;                 // [S]
    float* transmittance;         // [S]
    float* weights;               // [S]
    ngp_i32* used;                // [R]
    ngp_u32 rays, sdf_stride, gradient_stride, rgb_stride;
    float threshold, inv_s, cos_anneal_ratio, bg_r, bg_g, bg_b;
    ngp_u32 normalize_cos, padding;
};
NGP_ARGS_SIZE(NeusRenderForwardArgs, 192);

struct NeusRenderBackwardArgs
{
    const ngp_i32* ray_offsets;   // [R]
    const ngp_i32* ray_counts;    // [R]
    const float* t_starts;        // [S]
    const float* t_ends;          // [S]
    const float* sdf;             // as in the forward
    const float* gradient;        // as in the forward
    const float* rgb;             // as in the forward
    const float* directions;      // [R, 3]
    const float* background;      // [R, 3] or null (constant)
    const float* opacity;         // [R] the forward's A
    const float* transmittance;   // [S] the forward's T
    const ngp_i32* used;          // [R] the forward's used counts
    const float* dl_dcolour;      // [R, 3]
    const float* dl_dopacity;     // [R] or null (0)
    const float* dl_ddepth;       // [R] or null (0)
    const float* dl_dnormal;      // [R, 3] or null (0)
    float* dl_dbackground;        // [R, 3] or null (not wanted)
    float* dl_dsdf;               // sample s at [s * grad_sdf_stride]
    float* dl_dgradient;          // sample s at [s * grad_gradient_stride + 0..2]
    float* dl_drgb;               // sample s at [s * grad_rgb_stride + 0..2]
    float* inv_s_partials;        // [R]
    ngp_u32 rays, sdf_stride, gradient_stride, rgb_stride;
    ngp_u32 grad_sdf_stride, grad_gradient_stride, grad_rgb_stride;
    float inv_s, cos_anneal_ratio, bg_r, bg_g, bg_b;
    ngp_u32 normalize_cos, padding;
};
NGP_ARGS_SIZE(NeusRenderBackwardArgs, 224);

#define NEUS_EPSILON 1e-5f
#define NEUS_NORMALIZE_EPSILON 1e-12f

NGP_DEVICE float neus_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/// iter_cos = −(relu(−cos·0.5 + 0.5)(1 − r) + relu(−cos)·r) and its slope in cos (relu'(0) = 0).
NGP_DEVICE float neus_iter_cos(float cos, float ratio, float* slope)
{
    const float a = 0.5f - cos * 0.5f, b = -cos;
    float value = 0.0f, s = 0.0f;
    if (a > 0.0f) { value -= a * (1.0f - ratio); s += 0.5f * (1.0f - ratio); }
    if (b > 0.0f) { value -= b * ratio; s += ratio; }
    *slope = s;
    return value;
}

NGP_DEVICE float neus_clamp01(float x) { return x < 0.0f ? 0.0f : (x > 1.0f ? 1.0f : x); }

/// α = clip((σ(prev·s) − σ(next·s) + ε)/(σ(prev·s) + ε), 0, 1), prev/next = sdf ∓ iter_cos·δ/2.
NGP_DEVICE float neus_alpha(float sdf, float iter_cos, float delta, float inv_s)
{
    const float half_step = iter_cos * (delta * 0.5f);
    const float p = neus_sigmoid((sdf - half_step) * inv_s), n = neus_sigmoid((sdf + half_step) * inv_s);
    return neus_clamp01((p - n + NEUS_EPSILON) / (p + NEUS_EPSILON));
}

/// α with ∂α/∂sdf, ∂α/∂iter_cos, ∂α/∂inv_s (0 where the clip bites; the clip passes on [0, 1]).
NGP_DEVICE float neus_alpha_grad(float sdf, float iter_cos, float delta, float inv_s, float* d_sdf, float* d_iter_cos, float* d_inv_s)
{
    const float half_delta = delta * 0.5f;
    const float half_step = iter_cos * half_delta;
    const float x_prev = sdf - half_step, x_next = sdf + half_step;
    const float p = neus_sigmoid(x_prev * inv_s), n = neus_sigmoid(x_next * inv_s);
    const float denominator = p + NEUS_EPSILON;
    const float raw = (p - n + NEUS_EPSILON) / denominator;
    if (!(raw >= 0.0f && raw <= 1.0f))
    {
        *d_sdf = 0.0f; *d_iter_cos = 0.0f; *d_inv_s = 0.0f;
        return neus_clamp01(raw);
    }
    const float d_p = n / (denominator * denominator), d_n = -1.0f / denominator;
    const float sp = d_p * p * (1.0f - p), sn = d_n * n * (1.0f - n);
    *d_sdf = (sp + sn) * inv_s;
    *d_iter_cos = (sn - sp) * inv_s * half_delta;
    *d_inv_s = sp * x_prev + sn * x_next;
    return raw;
}

/// n̂ = g / max(‖g‖, 1e-12); returns 1 / max(‖g‖, 1e-12).
NGP_DEVICE float neus_normalize(float gx, float gy, float gz, float* nx, float* ny, float* nz)
{
    const float inv = 1.0f / fmaxf(sqrtf(gx * gx + gy * gy + gz * gz), NEUS_NORMALIZE_EPSILON);
    *nx = gx * inv; *ny = gy * inv; *nz = gz * inv;
    return inv;
}

extern "C" __global__ void kernel_neus_render_forward(const NeusRenderForwardArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rays) return;
    const ngp_i32 first = a.ray_offsets[r], n = a.ray_counts[r];
    const ngp_u64 r3 = 3 * (ngp_u64)r;
    const float dx = a.directions[r3], dy = a.directions[r3 + 1], dz = a.directions[r3 + 2];
    float trans = 1.0f, cr = 0.0f, cg = 0.0f, cb = 0.0f, nx = 0.0f, ny = 0.0f, nz = 0.0f, acc = 0.0f, dep = 0.0f;
    ngp_i32 i = 0;
    for (; i < n; i++)
    {
        if (trans < a.threshold) break;
        const ngp_u64 s = (ngp_u64)(first + i);
        const float t0 = a.t_starts[s], t1 = a.t_ends[s];
        const float* g = a.gradient + s * a.gradient_stride;
        const float gx = g[0], gy = g[1], gz = g[2];
        float ux, uy, uz;
        neus_normalize(gx, gy, gz, &ux, &uy, &uz);
        const float cos = a.normalize_cos ? dx * ux + dy * uy + dz * uz : dx * gx + dy * gy + dz * gz;
        float slope;
        const float iter_cos = neus_iter_cos(cos, a.cos_anneal_ratio, &slope);
        const float alpha = neus_alpha(a.sdf[s * a.sdf_stride], iter_cos, t1 - t0, a.inv_s);
        const float w = alpha * trans;
        const float* c = a.rgb + s * a.rgb_stride;
        cr += w * c[0]; cg += w * c[1]; cb += w * c[2];
        nx += w * ux; ny += w * uy; nz += w * uz;
        acc += w;
        dep += w * (t0 + t1) * 0.5f;
        a.alpha[s] = alpha; a.transmittance[s] = trans; a.weights[s] = w;
        trans *= 1.0f - alpha;
    }
    a.used[r] = i;
    for (ngp_i32 j = i; j < n; j++)
    {
        const ngp_u64 s = (ngp_u64)(first + j);
        a.alpha[s] = 0.0f; a.transmittance[s] = 0.0f; a.weights[s] = 0.0f;
    }
    a.foreground[r3] = cr; a.foreground[r3 + 1] = cg; a.foreground[r3 + 2] = cb;
    a.normal[r3] = nx; a.normal[r3 + 1] = ny; a.normal[r3 + 2] = nz;
    const float rest = 1.0f - acc;
    const float* bg = a.background ? a.background + r3 : 0;
    a.out_colour[r3] = cr + rest * (bg ? bg[0] : a.bg_r);
    a.out_colour[r3 + 1] = cg + rest * (bg ? bg[1] : a.bg_g);
    a.out_colour[r3 + 2] = cb + rest * (bg ? bg[2] : a.bg_b);
    a.opacity[r] = acc;
    a.depth[r] = dep;
}

extern "C" __global__ void kernel_neus_render_backward(const NeusRenderBackwardArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rays) return;
    const ngp_i32 first = a.ray_offsets[r], n = a.ray_counts[r], m = a.used[r];
    const ngp_u64 r3 = 3 * (ngp_u64)r;
    const float dx = a.directions[r3], dy = a.directions[r3 + 1], dz = a.directions[r3 + 2];
    const float gr = a.dl_dcolour[r3], gg = a.dl_dcolour[r3 + 1], gb = a.dl_dcolour[r3 + 2];
    const float* bg = a.background ? a.background + r3 : 0;
    const float b0 = bg ? bg[0] : a.bg_r, b1 = bg ? bg[1] : a.bg_g, b2 = bg ? bg[2] : a.bg_b;
    // C_out = C + (1 − A)·bg: A's total gradient also carries −⟨dL/dC_out, bg⟩.
    const float gA = (a.dl_dopacity ? a.dl_dopacity[r] : 0.0f) - (gr * b0 + gg * b1 + gb * b2);
    const float gD = a.dl_ddepth ? a.dl_ddepth[r] : 0.0f;
    const float gnx = a.dl_dnormal ? a.dl_dnormal[r3] : 0.0f;
    const float gny = a.dl_dnormal ? a.dl_dnormal[r3 + 1] : 0.0f;
    const float gnz = a.dl_dnormal ? a.dl_dnormal[r3 + 2] : 0.0f;
    if (a.dl_dbackground)
    {
        const float rest = 1.0f - a.opacity[r];
        a.dl_dbackground[r3] = gr * rest; a.dl_dbackground[r3 + 1] = gg * rest; a.dl_dbackground[r3 + 2] = gb * rest;
    }
    float suffix = 0.0f, d_inv_s = 0.0f;
    for (ngp_i32 i = m - 1; i >= 0; i--)
    {
        const ngp_u64 s = (ngp_u64)(first + i);
        const float t0 = a.t_starts[s], t1 = a.t_ends[s];
        const float* g = a.gradient + s * a.gradient_stride;
        const float* c = a.rgb + s * a.rgb_stride;
        const float gx = g[0], gy = g[1], gz = g[2];
        float ux, uy, uz;
        const float inv_norm = neus_normalize(gx, gy, gz, &ux, &uy, &uz);
        const float cos = a.normalize_cos ? dx * ux + dy * uy + dz * uz : dx * gx + dy * gy + dz * gz;
        float d_iter_cos_d_cos;
        const float iter_cos = neus_iter_cos(cos, a.cos_anneal_ratio, &d_iter_cos_d_cos);
        float da_dsdf, da_diter_cos, da_dinv_s;
        const float alpha = neus_alpha_grad(a.sdf[s * a.sdf_stride], iter_cos, t1 - t0, a.inv_s, &da_dsdf, &da_diter_cos, &da_dinv_s);
        const float trans = a.transmittance[s], w = alpha * trans;
        const float y = gr * c[0] + gg * c[1] + gb * c[2] + gA + gD * (t0 + t1) * 0.5f + gnx * ux + gny * uy + gnz * uz;
        const float d_alpha = trans * (y - suffix);
        suffix = alpha * y + (1.0f - alpha) * suffix;

        float* o = a.dl_drgb + s * a.grad_rgb_stride;
        o[0] = w * gr; o[1] = w * gg; o[2] = w * gb;
        a.dl_dsdf[s * a.grad_sdf_stride] = d_alpha * da_dsdf;
        d_inv_s += d_alpha * da_dinv_s;
        const float d_cos = d_alpha * da_diter_cos * d_iter_cos_d_cos;
        // Through n̂ = g / ‖g‖: the normal map always; the cosine only when it uses n̂.
        float vx = w * gnx, vy = w * gny, vz = w * gnz;
        if (a.normalize_cos) { vx += d_cos * dx; vy += d_cos * dy; vz += d_cos * dz; }
        const float along = ux * vx + uy * vy + uz * vz;
        const bool projected = inv_norm < 1.0f / NEUS_NORMALIZE_EPSILON;
        float ox = (projected ? vx - ux * along : vx) * inv_norm;
        float oy = (projected ? vy - uy * along : vy) * inv_norm;
        float oz = (projected ? vz - uz * along : vz) * inv_norm;
        if (!a.normalize_cos) { ox += d_cos * dx; oy += d_cos * dy; oz += d_cos * dz; }
        float* q = a.dl_dgradient + s * a.grad_gradient_stride;
        q[0] = ox; q[1] = oy; q[2] = oz;
    }
    a.inv_s_partials[r] = d_inv_s;
    for (ngp_i32 i = m; i < n; i++)
    {
        const ngp_u64 s = (ngp_u64)(first + i);
        a.dl_dsdf[s * a.grad_sdf_stride] = 0.0f;
        float* o = a.dl_drgb + s * a.grad_rgb_stride;
        o[0] = 0.0f; o[1] = 0.0f; o[2] = 0.0f;
        float* q = a.dl_dgradient + s * a.grad_gradient_stride;
        q[0] = 0.0f; q[1] = 0.0f; q[2] = 0.0f;
    }
}
