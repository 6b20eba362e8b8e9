// NerfRays.cu — training rays on the device (the CUDA twin of NerfRays.cs; read that first). One thread per ray,
// counter-based: ray i draws from the pcg32 stream advanced by i·NERF_DRAWS_PER_RAY, in this order: frame, pixel x,
// pixel y, jitter x, jitter y, background r, g, b. Then the camera ray (pinhole, plus OpenCV radial-tangential
// undistortion in double, as Camera.Ray), the pixel's RGBA (rgba8 or fp16, as NerfImage stores them), the background
// (constant, or random per ray), the target rgb·α + bg·(1 − α) and optionally α itself. Same operations in the same order as the CPU, so
// the emulator agrees bit for bit; a GPU may differ by FMA contraction (1 ulp).
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"
#include "pcg32.cuh"

#define NERF_DRAWS_PER_RAY 8
#define NERF_CAMERA_FLOATS 20

struct NerfRaysArgs
{
    const ngp_u8* pixels8;         // all frames' RGBA bytes, or null
    const ngp_u16* pixels16;       // all frames' RGBA halves, or null
    const ngp_i64* frame_offsets;  // [F]: first pixel of frame f in the pixel arrays
    const ngp_i32* frame_sizes;    // [F, 2]: width, height
    const float* cameras;          // [F, 20]: fx fy cx cy | X(3) Y(3) Z(3) position(3) | k1 k2 p1 p2
    float* origins;                // [R, 3]
    float* directions;             // [R, 3]
    float* target;                 // [R, 3]
    float* background;             // [R, 3] per-ray random backgrounds, or null (constant bg_r, bg_g, bg_b)
    float* alpha;                  // [R] the pixel's α (NeuS's mask), or null
    ngp_u64 rng_state;
    ngp_u64 rng_inc;
    ngp_u32 rays;
    ngp_u32 frames;
    ngp_i32 jitter;                // 1: uniform position in the pixel; 0: its centre
    ngp_i32 padding;
    float bg_r, bg_g, bg_b;
    ngp_u32 padding2;
};
NGP_ARGS_SIZE(NerfRaysArgs, 128);

/// ((u32)·n) >> 32: uniform in [0, n) (NerfRays.UniformIndex).
NGP_DEVICE ngp_u32 nerf_uniform_index(NgpPcg32& rng, ngp_u32 n) { return (ngp_u32)(((ngp_u64)ngp_pcg32_next_uint(rng) * n) >> 32); }

/// LensDistortion.Distort in double, operation for operation (float sub-expressions stay float, as in C#).
NGP_DEVICE void nerf_distort(const float* k, double x, double y, double& ox, double& oy)
{
    const float k1 = k[0], k2 = k[1], p1 = k[2], p2 = k[3];
    double r2 = x * x + y * y, radial = r2 * ((double)k1 + (double)k2 * r2);
    ox = x + x * radial + (double)(2.f * p1) * x * y + (double)p2 * (r2 + 2.0 * x * x);
    oy = y + y * radial + (double)(2.f * p2) * x * y + (double)p1 * (r2 + 2.0 * y * y);
}

/// LensDistortion.Undistort: Newton with the analytic Jacobian, at most 20 iterations.
NGP_DEVICE void nerf_undistort(const float* k, double xd, double yd, double& ox, double& oy)
{
    const float k1 = k[0], k2 = k[1], p1 = k[2], p2 = k[3];
    double x = xd, y = yd;
    for (int i = 0; i < 20; i++)
    {
        double fx, fy;
        nerf_distort(k, x, y, fx, fy);
        double r2 = x * x + y * y, radial = r2 * ((double)k1 + (double)k2 * r2);
        double d_radial = 2.0 * ((double)k1 + (double)(2.f * k2) * r2);
        double j00 = 1.0 + radial + x * x * d_radial + (double)(2.f * p1) * y + (double)(6.f * p2) * x;
        double j01 = x * y * d_radial + (double)(2.f * p1) * x + (double)(2.f * p2) * y;
        double j10 = x * y * d_radial + (double)(2.f * p2) * y + (double)(2.f * p1) * x;
        double j11 = 1.0 + radial + y * y * d_radial + (double)(2.f * p2) * x + (double)(6.f * p1) * y;
        double det = j00 * j11 - j01 * j10;
        double abs_det = det < 0.0 ? -det : det;
        if (!(abs_det > 1e-12)) break;
        double ex = fx - xd, ey = fy - yd;
        double sx = (j11 * ex - j01 * ey) / det, sy = (j00 * ey - j10 * ex) / det;
        x -= sx;
        y -= sy;
        if (sx * sx + sy * sy < 1e-24) break;
    }
    ox = x; oy = y;
}

extern "C" __global__ void kernel_nerf_training_rays(const NerfRaysArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.rays) return;
    NgpPcg32 rng;
    rng.state = a.rng_state;
    rng.inc = a.rng_inc;
    ngp_pcg32_advance(rng, (ngp_u64)i * NERF_DRAWS_PER_RAY);
    const ngp_u32 f = nerf_uniform_index(rng, a.frames);
    const ngp_i32 w = a.frame_sizes[2 * f], h = a.frame_sizes[2 * f + 1];
    const ngp_u32 x = nerf_uniform_index(rng, (ngp_u32)w), y = nerf_uniform_index(rng, (ngp_u32)h);
    const float jx = ngp_pcg32_next_float(rng), jy = ngp_pcg32_next_float(rng);
    const float px = (float)x + (a.jitter ? jx : 0.5f), py = (float)y + (a.jitter ? jy : 0.5f);

    const float* cam = a.cameras + (ngp_u64)f * NERF_CAMERA_FLOATS;
    double nx = (double)(px - cam[2]) / (double)cam[0], ny = (double)(py - cam[3]) / (double)cam[1];
    const float* k = cam + 16;
    if (k[0] != 0.f || k[1] != 0.f || k[2] != 0.f || k[3] != 0.f) nerf_undistort(k, nx, ny, nx, ny);
    const float xf = (float)nx, yf = (float)ny;
    float d[3];
    for (int c = 0; c < 3; ++c)
    {
        const float ax = cam[4 + c] * xf, ay = cam[7 + c] * yf;
        d[c] = (ax - ay) - cam[10 + c];
    }
    const float sx = d[0] * d[0], sy = d[1] * d[1], sz = d[2] * d[2];
    const float len = sqrtf((sx + sy) + sz);
    const ngp_u64 r3 = 3 * (ngp_u64)i;
    for (int c = 0; c < 3; ++c)
    {
        a.origins[r3 + c] = cam[13 + c];
        a.directions[r3 + c] = d[c] / len;
    }

    const ngp_u64 p = ((ngp_u64)a.frame_offsets[f] + (ngp_u64)y * (ngp_u64)w + x) * 4;
    float rgba[4];
    for (int c = 0; c < 4; ++c)
        rgba[c] = a.pixels8 ? (float)a.pixels8[p + c] * (1.0f / 255.0f) : ngp_half2float(a.pixels16[p + c]);
    float bg[3] = { a.bg_r, a.bg_g, a.bg_b };
    if (a.background)
        for (int c = 0; c < 3; ++c)
        {
            bg[c] = ngp_pcg32_next_float(rng);
            a.background[r3 + c] = bg[c];
        }
    const float alpha = rgba[3];
    if (a.alpha) a.alpha[i] = alpha;
    for (int c = 0; c < 3; ++c)
    {
        const float fg = rgba[c] * alpha, back = bg[c] * (1.0f - alpha);
        a.target[r3 + c] = fg + back;
    }
}
