// NeusColourNetwork.cu — the colour network's input rows and the geometry's share of its gradient on the device
// (the CUDA twins of NeusColourNetwork.BuildInput and AccumulateGeometryGradients; read those first):
//  * kernel_neus_colour_dirs: per sample the SH encoding's input (d + 1)/2 of its ray's direction (rows ≥ S zeroed);
//    the SphericalHarmonics encoding's own kernel then encodes it, as on the CPU.
//  * kernel_neus_colour_input: input rows [rows, F + 3 + SH] = [features | n̂ = ∇f/max(‖∇f‖, 1e-12) | SH];
//    rows ≥ S zeroed.
//  * kernel_neus_geometry_backward: dL/dfeatures += dL/dinput[:, 0..F) and dL/d∇f += (dL/dn̂ − n̂⟨n̂, dL/dn̂⟩)/‖∇f‖
//    (dL/dn̂·1e12 where ‖∇f‖ ≤ 1e-12).
// One thread per row; each thread owns its row, so no atomics. Same float operations in the CPU's order.
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"

struct NeusColourDirsArgs
{
    const ngp_i32* ray_indices;   // [S]
    const float* directions;      // [R, 3]
    float* dirs01;                // [rows, 3]
    ngp_u32 samples, rows;
};
NGP_ARGS_SIZE(NeusColourDirsArgs, 32);

struct NeusColourInputArgs
{
    const float* features;        // [S, feature_cols] (first feature_dim columns used)
    const float* gradient;        // [S, 3]
    const float* sh;              // [rows, sh_width]
    float* input;                 // [rows, input_width]
    ngp_u32 samples, rows, feature_cols, feature_dim, sh_width, input_width;
};
NGP_ARGS_SIZE(NeusColourInputArgs, 56);

struct NeusGeometryBackwardArgs
{
    const float* dl_dinput;       // [S, input_width]
    const float* gradient;        // [S, 3]
    float* dl_dfeatures;          // [S, feature_cols] (+= on the first feature_dim columns)
    float* dl_dgradient;          // [S, 3] (+=)
    ngp_u32 samples, input_width, feature_dim, feature_cols;
};
NGP_ARGS_SIZE(NeusGeometryBackwardArgs, 48);

extern "C" __global__ void kernel_neus_colour_dirs(const NeusColourDirsArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.rows) return;
    float* d = a.dirs01 + 3 * (ngp_u64)i;
    if (i >= a.samples)
    {
        d[0] = 0.0f; d[1] = 0.0f; d[2] = 0.0f;
        return;
    }
    const float* src = a.directions + 3 * (ngp_u64)a.ray_indices[i];
    for (int k = 0; k < 3; ++k) d[k] = (src[k] + 1.0f) * 0.5f;
}

extern "C" __global__ void kernel_neus_colour_input(const NeusColourInputArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.rows) return;
    float* x = a.input + (ngp_u64)i * a.input_width;
    if (i >= a.samples)
    {
        for (ngp_u32 c = 0; c < a.input_width; ++c) x[c] = 0.0f;
        return;
    }
    const float* f = a.features + (ngp_u64)i * a.feature_cols;
    for (ngp_u32 c = 0; c < a.feature_dim; ++c) x[c] = f[c];
    const float* g = a.gradient + 3 * (ngp_u64)i;
    const float gx = g[0], gy = g[1], gz = g[2];
    const float inv = 1.0f / fmaxf(sqrtf(gx * gx + gy * gy + gz * gz), 1e-12f);
    x[a.feature_dim] = gx * inv;
    x[a.feature_dim + 1] = gy * inv;
    x[a.feature_dim + 2] = gz * inv;
    const float* sh = a.sh + (ngp_u64)i * a.sh_width;
    const ngp_u32 at = a.feature_dim + 3;
    for (ngp_u32 c = 0; c < a.sh_width; ++c) x[at + c] = sh[c];
    for (ngp_u32 c = at + a.sh_width; c < a.input_width; ++c) x[c] = 0.0f;
}

extern "C" __global__ void kernel_neus_geometry_backward(const NeusGeometryBackwardArgs a)
{
    const ngp_u32 i = ngp_global_index();
    if (i >= a.samples) return;
    const float* di = a.dl_dinput + (ngp_u64)i * a.input_width;
    float* df = a.dl_dfeatures + (ngp_u64)i * a.feature_cols;
    for (ngp_u32 k = 0; k < a.feature_dim; ++k) df[k] += di[k];
    const float* g = a.gradient + 3 * (ngp_u64)i;
    const float* dn = di + a.feature_dim;
    float* dg = a.dl_dgradient + 3 * (ngp_u64)i;
    const float len = sqrtf(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
    if (len <= 1e-12f)
    {
        for (int k = 0; k < 3; ++k) dg[k] += dn[k] * 1e12f;
        return;
    }
    const float inv = 1.0f / len;
    const float nx = g[0] * inv, ny = g[1] * inv, nz = g[2] * inv;
    const float dot = nx * dn[0] + ny * dn[1] + nz * dn[2];
    dg[0] += (dn[0] - nx * dot) * inv;
    dg[1] += (dn[1] - ny * dot) * inv;
    dg[2] += (dn[2] - nz * dot) * inv;
}
