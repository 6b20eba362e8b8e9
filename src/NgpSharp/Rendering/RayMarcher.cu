// Ray marching through the occupancy grid on the device (the CUDA twin of RayMarcher.cs; read that first — every
// function here mirrors one there, operation for operation, so that the float results agree bit for bit when the
// compiler does not contract a·b + c into an FMA). One thread per ray, two passes:
//  * kernel_march_count: counts[r] = the ray's sample count;
//  * (host or device) exclusive prefix sum → offsets;
//  * kernel_march_fill: writes ray index, t start, t end of each sample from offsets[r].
// The per-ray jitter u (in steps) comes from `jitter_mode`: an array (jitter[r]), the pcg32 stream (rng_state,
// rng_inc) advanced by r draws — exactly the CPU's TrainingJitter — or the constant ½ of the inference march.
// The offsets of the fill pass come from a device exclusive scan of the counts (Scan.cu).
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"
#include "pcg32.cuh"

#define MARCH_JITTER_ARRAY 0
#define MARCH_JITTER_RNG 1
#define MARCH_JITTER_HALF 2

struct MarchArgs
{
    const float* origins;      // [R, 3]
    const float* directions;   // [R, 3], unit length
    const float* jitter;       // [R]: lattice offset u of each ray (jitter_mode ARRAY), else null
    const ngp_u8* bitfield;    // [mip_levels × n / 8]
    ngp_i32* counts;           // [R]
    const ngp_i32* offsets;    // [R] (fill pass)
    ngp_i32* ray_indices;      // [samples] (fill pass)
    float* t_starts;           // [samples]
    float* t_ends;             // [samples]
    ngp_u64 rng_state;         // jitter_mode RNG: ray r draws next_float of this stream advanced by r
    ngp_u64 rng_inc;
    float centre[3];
    float base_size[3];
    float box_min[3];          // render box
    float box_max[3];
    float step_unit;
    float near_distance;
    float cone;                // cone stepping (ConeStepping's fields)
    float min_step;
    float max_step;
    float log1p_c;
    float a;
    float b;
    float at;
    float bt;
    ngp_i32 resolution;
    ngp_i32 cascades;
    ngp_i32 mip_levels;
    ngp_i32 cells_per_cascade;
    ngp_i32 max_samples;
    ngp_i32 skip_empty;
    ngp_i32 ray_count;
    ngp_i32 jitter_mode;       // MARCH_JITTER_*
};
NGP_ARGS_SIZE(MarchArgs, 208);

struct MarchVec { float x, y, z; };

NGP_DEVICE MarchVec march_vec(float x, float y, float z) { MarchVec v; v.x = x; v.y = y; v.z = z; return v; }

/// 2^e for |e| < 127 (MathF.ScaleB(1, e)).
NGP_DEVICE float march_pow2(int e) { return ngp_int_as_float((127 + e) << 23); }

/// MathF.ILogB for finite x > 0 (subnormals report −127: only compared against small cascade numbers).
NGP_DEVICE int march_ilogb(float x)
{
    int e = (ngp_float_as_int(x) >> 23) & 0xff;
    return e == 0 ? -127 : e - 127;
}

NGP_DEVICE ngp_u32 march_expand_bits(ngp_u32 v)
{
    v = (v * 0x00010001u) & 0xFF0000FFu;
    v = (v * 0x00000101u) & 0x0F00F00Fu;
    v = (v * 0x00000011u) & 0xC30C30C3u;
    v = (v * 0x00000005u) & 0x49249249u;
    return v;
}

// ---- ConeStepping ----
NGP_DEVICE float march_to_stepping(const MarchArgs& s, float t)
{
    if (s.cone <= 1e-5f) return t / s.min_step;
    if (t <= s.at) return (t - s.at) / s.min_step + s.a;
    if (t <= s.bt) return logf(t) / s.log1p_c;
    return (t - s.bt) / s.max_step + s.b;
}

NGP_DEVICE float march_from_stepping(const MarchArgs& s, float n)
{
    if (s.cone <= 1e-5f) return n * s.min_step;
    if (n <= s.a) return (n - s.a) * s.min_step + s.at;
    if (n <= s.b) return expf(n * s.log1p_c);
    return (n - s.b) * s.max_step + s.bt;
}

// ---- OccupancyGrid ----
NGP_DEVICE MarchVec march_to_grid(const MarchArgs& s, MarchVec p)
{
    return march_vec((p.x - s.centre[0]) / s.base_size[0], (p.y - s.centre[1]) / s.base_size[1], (p.z - s.centre[2]) / s.base_size[2]);
}

/// OccupancyGrid.CellIndex: Morton index at level mip, −1 outside.
NGP_DEVICE int march_cell_index(const MarchArgs& s, MarchVec u, int mip)
{
    float scale = (float)s.resolution * march_pow2(-mip), half = 0.5f * (float)s.resolution;
    float fx = floorf(u.x * scale + half), fy = floorf(u.y * scale + half), fz = floorf(u.z * scale + half);
    float r = (float)s.resolution;
    if (!(fx >= 0.f && fx < r && fy >= 0.f && fy < r && fz >= 0.f && fz < r)) return -1;
    return (int)(march_expand_bits((ngp_u32)fx) | (march_expand_bits((ngp_u32)fy) << 1) | (march_expand_bits((ngp_u32)fz) << 2));
}

NGP_DEVICE int march_cascade_at(const MarchArgs& s, MarchVec u)
{
    float r = fmaxf(fabsf(u.x), fmaxf(fabsf(u.y), fabsf(u.z)));
    int e = r > 0.f ? march_ilogb(r) : -(1 << 30);
    int c = e + 1;
    c = c < 0 ? 0 : (c > s.cascades - 1 ? s.cascades - 1 : c);
    while (c < s.cascades - 1 && march_cell_index(s, u, c) < 0) c++;
    return c;
}

NGP_DEVICE int march_sample_level(const MarchArgs& s, MarchVec u, float dt)
{
    int mip = march_cascade_at(s, u);
    float x = dt / s.step_unit * (2.f * (float)s.resolution);
    if (!(x >= 1.f)) return mip;
    if (ngp_isinf(x)) return mip; // ILogB(∞) + 1 overflows to int.MinValue on the CPU: the max keeps mip
    int exponent = march_ilogb(x) + 1;
    int level = mip > exponent ? mip : exponent;
    return level < s.cascades - 1 ? level : s.cascades - 1;
}

NGP_DEVICE float march_axis_distance(float q, float dq)
{
    if (dq == 0.f) return __builtin_huge_valf();
    float sign = dq > 0.f ? 1.f : -1.f;
    float boundary = floorf(q + 0.5f + 0.5f * sign);
    return (boundary - q) / dq;
}

NGP_DEVICE float march_distance_to_next_voxel(const MarchArgs& s, MarchVec u, MarchVec du, int mip)
{
    float res = (float)s.resolution * march_pow2(-mip);
    float tx = march_axis_distance(u.x * res, du.x * res), ty = march_axis_distance(u.y * res, du.y * res);
    float tz = march_axis_distance(u.z * res, du.z * res);
    float t = fminf(tx, fminf(ty, tz));
    return fmaxf(t, 0.f);
}

NGP_DEVICE bool march_occupied(const MarchArgs& s, MarchVec u, int mip)
{
    int idx = march_cell_index(s, u, mip);
    if (idx < 0) return false;
    ngp_i64 i = (ngp_i64)mip * s.cells_per_cascade + idx;
    return (s.bitfield[i >> 3] & (1 << (int)(i & 7))) != 0;
}

NGP_DEVICE bool march_box_contains(const MarchArgs& s, MarchVec p)
{
    return p.x >= s.box_min[0] && p.x <= s.box_max[0] && p.y >= s.box_min[1] && p.y <= s.box_max[1]
        && p.z >= s.box_min[2] && p.z <= s.box_max[2];
}

NGP_DEVICE bool march_slab(float o, float d, float lo, float hi, float& t_near, float& t_far)
{
    if (d == 0.f) return o >= lo && o <= hi;
    float inv = 1.f / d;
    float t1 = (lo - o) * inv, t2 = (hi - o) * inv;
    if (t1 > t2) { float tmp = t1; t1 = t2; t2 = tmp; }
    if (t1 > t_near) t_near = t1;
    if (t2 < t_far) t_far = t2;
    return true;
}

/// Aabb.Intersect of the render box.
NGP_DEVICE bool march_intersect(const MarchArgs& s, MarchVec o, MarchVec d, float& t_near)
{
    t_near = -__builtin_huge_valf();
    float t_far = __builtin_huge_valf();
    if (!march_slab(o.x, d.x, s.box_min[0], s.box_max[0], t_near, t_far)) return false;
    if (!march_slab(o.y, d.y, s.box_min[1], s.box_max[1], t_near, t_far)) return false;
    if (!march_slab(o.z, d.z, s.box_min[2], s.box_max[2], t_near, t_far)) return false;
    return t_near <= t_far && t_far >= 0.f;
}

NGP_DEVICE MarchVec march_point(MarchVec o, float t, MarchVec d)
{
    return march_vec(o.x + t * d.x, o.y + t * d.y, o.z + t * d.z);
}

/// RayMarcher.NextCandidate.
NGP_DEVICE ngp_i64 march_next_candidate(const MarchArgs& s, MarchVec o, MarchVec d, MarchVec du, float n0, ngp_i64 k, float t, MarchVec u, int level)
{
    int mip = level;
    while (mip < s.mip_levels - 1 && !march_occupied(s, u, mip + 1)) mip++;
    float t_target = t + march_distance_to_next_voxel(s, u, du, mip);
    float n = n0 + (float)k;
    float diff = march_to_stepping(s, t_target) - n;
    float advance = ceilf(diff != diff ? diff : fmaxf(diff, 0.5f)); // MathF.Max propagates NaN
    if (!(advance <= 16777216.f)) advance = 16777216.f;
    ngp_i64 next = k + (ngp_i64)advance;
    if (next > k + 1)
    {
        float t_last = march_from_stepping(s, n0 + (float)(next - 1));
        MarchVec u_last = march_to_grid(s, march_point(o, t_last, d));
        float dt_last = march_from_stepping(s, n0 + (float)next) - t_last;
        if (march_cell_index(s, u_last, mip) != march_cell_index(s, u, mip) || march_sample_level(s, u_last, dt_last) > mip) next = k + 1;
    }
    return next;
}

/// The lattice offset u of a ray (RayMarcher.TrainingJitter for the RNG mode).
NGP_DEVICE float march_jitter(const MarchArgs& s, int ray)
{
    if (s.jitter_mode == MARCH_JITTER_ARRAY) return s.jitter[ray];
    if (s.jitter_mode == MARCH_JITTER_HALF) return 0.5f;
    NgpPcg32 rng;
    rng.state = s.rng_state;
    rng.inc = s.rng_inc;
    ngp_pcg32_advance(rng, (ngp_u64)ray);
    return ngp_pcg32_next_float(rng);
}

/// RayMarcher.MarchRay: returns the sample count; writes the samples from `first` when write is set.
NGP_DEVICE int march_ray(const MarchArgs& s, int ray, bool write, int first)
{
    MarchVec o = march_vec(s.origins[3 * ray], s.origins[3 * ray + 1], s.origins[3 * ray + 2]);
    MarchVec d = march_vec(s.directions[3 * ray], s.directions[3 * ray + 1], s.directions[3 * ray + 2]);
    float t_near;
    if (!march_intersect(s, o, d, t_near)) return 0;
    t_near = fmaxf(t_near, s.near_distance);
    MarchVec du = march_vec(d.x / s.base_size[0], d.y / s.base_size[1], d.z / s.base_size[2]);
    float n0 = march_to_stepping(s, t_near) + march_jitter(s, ray);

    int count = 0;
    ngp_i64 k = 0;
    while (count < s.max_samples)
    {
        float n = n0 + (float)k;
        float t = march_from_stepping(s, n);
        MarchVec p = march_point(o, t, d);
        if (!march_box_contains(s, p)) break;
        float t_next = march_from_stepping(s, n + 1.f);
        MarchVec u = march_to_grid(s, p);
        int level = march_sample_level(s, u, t_next - t);
        if (march_occupied(s, u, level))
        {
            if (write)
            {
                int idx = first + count;
                s.ray_indices[idx] = ray;
                s.t_starts[idx] = t;
                s.t_ends[idx] = t_next;
            }
            count++;
            k++;
        }
        else k = s.skip_empty ? march_next_candidate(s, o, d, du, n0, k, t, u, level) : k + 1;
    }
    return count;
}

/// Pass 1: one thread per ray.
extern "C" __global__ void kernel_march_count(const MarchArgs args)
{
    ngp_u32 r = ngp_global_index();
    if (r >= (ngp_u32)args.ray_count) return;
    args.counts[r] = march_ray(args, (int)r, false, 0);
}

/// Pass 2: one thread per ray, after offsets = exclusive prefix sum of counts.
extern "C" __global__ void kernel_march_fill(const MarchArgs args)
{
    ngp_u32 r = ngp_global_index();
    if (r >= (ngp_u32)args.ray_count) return;
    march_ray(args, (int)r, true, args.offsets[r]);
}
