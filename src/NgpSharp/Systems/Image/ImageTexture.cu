// Image learning on the GPU: draws a batch of random positions from the run's pcg32 stream (the same numbers
// the CPU path draws) and looks up their colours bilinearly, exactly as ImageTexture.Sample does.
// check: -DNGP_CHECK=1
#include "ngp_prelude.cuh"
#include "pcg32.cuh"

struct ImageBatchArgs
{
    const float* texture;  // [H, W, 3]
    float* positions;      // [B, 2] out
    float* targets;        // [B, 3] out
    ngp_u64 rngState;      // the stream's state at the batch's first draw
    ngp_u64 rngInc;
    ngp_u32 batch;
    ngp_u32 width;
    ngp_u32 height;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(ImageBatchArgs, 56);

NGP_DEVICE int clamp_index(int v, int hi) { return v < 0 ? 0 : (v > hi ? hi : v); }

extern "C" __global__ void kernel_image_training_batch(const ImageBatchArgs args)
{
    ngp_u32 i = ngp_global_index();
    if (i >= args.batch) return;
    NgpPcg32 rng = { args.rngState, args.rngInc };
    ngp_pcg32_advance(rng, 2ull * i);
    float u = ngp_pcg32_next_float(rng), v = ngp_pcg32_next_float(rng);
    args.positions[2 * i] = u;
    args.positions[2 * i + 1] = v;

    int w = (int)args.width, h = (int)args.height;
    float x = u * w - 0.5f, y = v * h - 0.5f;
    float fx = floorf(x), fy = floorf(y);
    float wx = x - fx, wy = y - fy;
    int ix = (int)fx, iy = (int)fy;
    int x0 = clamp_index(ix, w - 1), x1 = clamp_index(ix + 1, w - 1);
    int y0 = clamp_index(iy, h - 1), y1 = clamp_index(iy + 1, h - 1);
    const float* t = args.texture;
    int i00 = (y0 * w + x0) * 3, i10 = (y0 * w + x1) * 3, i01 = (y1 * w + x0) * 3, i11 = (y1 * w + x1) * 3;
    for (int k = 0; k < 3; k++)
    {
        float top = t[i00 + k] + (t[i10 + k] - t[i00 + k]) * wx;
        float bottom = t[i01 + k] + (t[i11 + k] - t[i01 + k]) * wx;
        args.targets[3 * i + k] = top + (bottom - top) * wy;
    }
}
