// VolumeRenderer.cu — the CUDA twin of VolumeRenderer.Cpu.cs: emission–absorption compositing of packed ray
// samples, one thread per ray (a ray's samples are a contiguous range; the loop is the CPU loop, operation for
// operation, so an emulated run is bit-identical and a GPU run differs only by expf/FMA rounding).
// Forward: σ = exp(raw), α = 1 − exp(−σδ), w = αT, early termination before the first sample with T < threshold.
// Backward: replays the ray and uses the suffix trick (Σ_{j>i} w_j x_j = X − X_partial), no per-sample state.
#include "ngp_prelude.cuh"

struct VolumeRenderForwardArgs
{
    const ngp_i32* ray_offsets;   // [R]
    const ngp_i32* ray_counts;    // [R]
    const float* t_starts;        // [S]
    const float* t_ends;          // [S]
    const float* density;         // raw density of sample s at density[s * density_stride]
    const float* colour;          // raw rgb of sample s at colour[s * colour_stride + 0..2]
    const float* background;      // [R, 3] per-ray colours, or null: the constant bg_r, bg_g, bg_b
    float* out_colour;            // [R, 3] C + (1 − A)·bg
    float* foreground;            // [R, 3] C
    float* opacity;               // [R] A
    float* depth;                 // [R] D
    float* weights;               // [S] w per sample, or null
    ngp_i32* used;                // [R] samples composited
    ngp_u32 rays;
    ngp_u32 density_stride, colour_stride;
    float threshold;
    float bg_r, bg_g, bg_b;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(VolumeRenderForwardArgs, 136);

struct VolumeRenderBackwardArgs
{
    const ngp_i32* ray_offsets;   // [R]
    const ngp_i32* ray_counts;    // [R]
    const float* t_starts;        // [S]
    const float* t_ends;          // [S]
    const float* density;         // as in the forward
    const float* colour;          // as in the forward
    const float* background;      // [R, 3] or null (constant)
    const float* foreground;      // [R, 3] the forward's C
    const float* opacity;         // [R] the forward's A
    const float* depth;           // [R] the forward's D
    const ngp_i32* used;          // [R] the forward's used counts
    const float* dl_dcolour;      // [R, 3] dL/dC_out
    const float* dl_dopacity;     // [R] or null (0)
    const float* dl_ddepth;       // [R] or null (0)
    float* dl_draw_density;       // sample s at [s * grad_density_stride]
    float* dl_draw_colour;        // sample s at [s * grad_colour_stride + 0..2]
    ngp_u32 rays;
    ngp_u32 density_stride, colour_stride;
    ngp_u32 grad_density_stride, grad_colour_stride;
    float bg_r, bg_g, bg_b;
};
NGP_ARGS_SIZE(VolumeRenderBackwardArgs, 160);

/// instant-ngp clamps raw density to ±15 inside exp for dσ/draw (VolumeRenderer.DensityDerivativeClamp).
#define VOLUME_DENSITY_DERIVATIVE_CLAMP 15.0f

NGP_DEVICE float volume_sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

extern "C" __global__ void kernel_volume_render_forward(const VolumeRenderForwardArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rays) return;
    const ngp_i32 first = a.ray_offsets[r], n = a.ray_counts[r];
    float trans = 1.0f, cr = 0.0f, cg = 0.0f, cb = 0.0f, acc = 0.0f, dep = 0.0f;
    ngp_i32 i = 0;
    for (; i < n; i++)
    {
        if (trans < a.threshold) break;
        const ngp_u64 s = (ngp_u64)(first + i);
        const float t0 = a.t_starts[s], t1 = a.t_ends[s];
        const float sigma = expf(a.density[s * a.density_stride]);
        const float alpha = 1.0f - expf(-sigma * (t1 - t0));
        const float w = alpha * trans;
        const float* c = a.colour + s * a.colour_stride;
        cr += w * volume_sigmoid(c[0]);
        cg += w * volume_sigmoid(c[1]);
        cb += w * volume_sigmoid(c[2]);
        acc += w;
        dep += w * (t0 + t1) * 0.5f;
        trans *= 1.0f - alpha;
        if (a.weights) a.weights[s] = w;
    }
    a.used[r] = i;
    if (a.weights)
        for (ngp_i32 j = i; j < n; j++) a.weights[(ngp_u64)(first + j)] = 0.0f;
    a.foreground[3 * (ngp_u64)r] = cr; a.foreground[3 * (ngp_u64)r + 1] = cg; a.foreground[3 * (ngp_u64)r + 2] = cb;
    const float rest = 1.0f - acc;
    const float* bg = a.background ? a.background + 3 * (ngp_u64)r : 0;
    a.out_colour[3 * (ngp_u64)r] = cr + rest * (bg ? bg[0] : a.bg_r);
    a.out_colour[3 * (ngp_u64)r + 1] = cg + rest * (bg ? bg[1] : a.bg_g);
    a.out_colour[3 * (ngp_u64)r + 2] = cb + rest * (bg ? bg[2] : a.bg_b);
    a.opacity[r] = acc;
    a.depth[r] = dep;
}

extern "C" __global__ void kernel_volume_render_backward(const VolumeRenderBackwardArgs a)
{
    const ngp_u32 r = ngp_global_index();
    if (r >= a.rays) return;
    const ngp_i32 first = a.ray_offsets[r], n = a.ray_counts[r], m = a.used[r];
    const ngp_u64 r3 = 3 * (ngp_u64)r;
    const float gr = a.dl_dcolour[r3], gg = a.dl_dcolour[r3 + 1], gb = a.dl_dcolour[r3 + 2];
    const float* bg = a.background ? a.background + r3 : 0;
    const float b0 = bg ? bg[0] : a.bg_r, b1 = bg ? bg[1] : a.bg_g, b2 = bg ? bg[2] : a.bg_b;
    // C_out = C + (1 − A)·bg, so A's total gradient also carries −⟨dL/dC_out, bg⟩.
    const float gA = (a.dl_dopacity ? a.dl_dopacity[r] : 0.0f) - (gr * b0 + gg * b1 + gb * b2);
    const float gD = a.dl_ddepth ? a.dl_ddepth[r] : 0.0f;
    const float cR = a.foreground[r3], cG = a.foreground[r3 + 1], cB = a.foreground[r3 + 2];
    const float aTot = a.opacity[r], dTot = a.depth[r];
    float trans = 1.0f, pr = 0.0f, pg = 0.0f, pb = 0.0f, pa = 0.0f, pd = 0.0f;
    for (ngp_i32 i = 0; i < m; i++)
    {
        const ngp_u64 s = (ngp_u64)(first + i);
        const float t0 = a.t_starts[s], t1 = a.t_ends[s], dt = t1 - t0;
        const float raw = a.density[s * a.density_stride];
        const float sigma = expf(raw);
        const float alpha = 1.0f - expf(-sigma * dt);
        const float w = alpha * trans;
        const float* c = a.colour + s * a.colour_stride;
        const float r0 = volume_sigmoid(c[0]), r1 = volume_sigmoid(c[1]), r2 = volume_sigmoid(c[2]);
        const float tm = (t0 + t1) * 0.5f;
        pr += w * r0; pg += w * r1; pb += w * r2; pa += w; pd += w * tm;
        trans *= 1.0f - alpha; // now T_{i+1}
        // dX/dσ_i = δ_i (T_{i+1} x_i − Σ_{j>i} w_j x_j) for X = C (x = c), A (x = 1), D (x = t).
        const float dSigma = dt * (gr * (trans * r0 - (cR - pr)) + gg * (trans * r1 - (cG - pg)) + gb * (trans * r2 - (cB - pb))
            + gA * (trans - (aTot - pa)) + gD * (trans * tm - (dTot - pd)));
        const float clamp = VOLUME_DENSITY_DERIVATIVE_CLAMP;
        const float dSigmaDRaw = raw >= -clamp && raw <= clamp ? sigma : expf(fminf(fmaxf(raw, -clamp), clamp));
        a.dl_draw_density[s * a.grad_density_stride] = dSigma * dSigmaDRaw;
        float* g = a.dl_draw_colour + s * a.grad_colour_stride;
        g[0] = gr * w * r0 * (1.0f - r0);
        g[1] = gg * w * r1 * (1.0f - r1);
        g[2] = gb * w * r2 * (1.0f - r2);
    }
    for (ngp_i32 i = m; i < n; i++)
    {
        const ngp_u64 s = (ngp_u64)(first + i);
        a.dl_draw_density[s * a.grad_density_stride] = 0.0f;
        float* g = a.dl_draw_colour + s * a.grad_colour_stride;
        g[0] = 0.0f; g[1] = 0.0f; g[2] = 0.0f;
    }
}
