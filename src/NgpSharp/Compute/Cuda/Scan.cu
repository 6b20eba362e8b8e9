// Scan.cu — exclusive prefix sum of non-negative int32 counts on the device (the CUDA twin of the host loops that
// turn per-ray sample counts into offsets). One block of SCAN_THREADS threads does the whole array: thread t owns
// the contiguous chunk [t·per, (t+1)·per), sums it, the block scans the SCAN_THREADS chunk sums in shared memory
// (Hillis–Steele, fixed order), and each thread writes its chunk's offsets. Integer sums: exact and deterministic.
// The grand total goes to total[0] — the only value the host reads back (to size the next buffers).
// Arrays of up to a few million entries (rays per batch) take one launch; no atomics.
#include "ngp_prelude.cuh"

#define SCAN_THREADS 512

struct ScanArgs
{
    const ngp_i32* counts;   // [n], each ≥ 0
    ngp_i32* offsets;        // [n]: offsets[i] = Σ_{j<i} counts[j] (may alias counts)
    ngp_i64* total;          // [1]: Σ counts (64-bit: the host checks it fits an int batch)
    ngp_u32 n;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(ScanArgs, 32);

/// Launch exactly one block of SCAN_THREADS threads.
extern "C" __global__ void kernel_exclusive_scan(const ScanArgs args)
{
    __shared__ ngp_i64 sums[SCAN_THREADS];
    const ngp_u32 t = NGP_THREAD_X;
    const ngp_u32 per = (args.n + SCAN_THREADS - 1) / SCAN_THREADS;
    const ngp_u64 begin = (ngp_u64)t * per;
    const ngp_u64 end = begin + per < args.n ? begin + per : args.n;
    ngp_i64 own = 0;
    for (ngp_u64 i = begin; i < end; ++i) own += args.counts[i];
    sums[t] = own;
    NGP_SYNC_THREADS();
    for (ngp_u32 stride = 1; stride < SCAN_THREADS; stride <<= 1)
    {
        ngp_i64 add = t >= stride ? sums[t - stride] : 0;
        NGP_SYNC_THREADS();
        sums[t] += add;
        NGP_SYNC_THREADS();
    }
    ngp_i64 running = sums[t] - own; // exclusive offset of this chunk
    for (ngp_u64 i = begin; i < end; ++i)
    {
        ngp_i32 c = args.counts[i];
        args.offsets[i] = (ngp_i32)running;
        running += c;
    }
    if (t == SCAN_THREADS - 1) args.total[0] = sums[t];
}
