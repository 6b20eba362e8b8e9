// Deterministic reductions over float arrays (the CUDA twin of Cpu/CpuReductions.cs, used by the Trainer):
//  * sum: pass 1 gives each block a fixed chunk of REDUCE_CHUNK elements and sums it in double, in a fixed
//    order (per-thread strided sums, then a shared-memory tree) into partials[block]; pass 2 (one block) sums the
//    partials the same way into result[0]. No atomics, so the result is bit-identical run to run.
//  * all-finite: every thread that sees a NaN or ±∞ stores 1.0 into result[1] (kernel_reduction_reset zeroes it
//    first; all writers store the same value, so the race is benign).
#include "ngp_prelude.cuh"

#define REDUCE_THREADS 256
#define REDUCE_ITEMS_PER_THREAD 16
#define REDUCE_CHUNK (REDUCE_THREADS * REDUCE_ITEMS_PER_THREAD)

struct ReductionArgs
{
    const float* values;       // [count]
    double* partials;          // [partial_count]: one per REDUCE_CHUNK elements
    double* result;            // [2]: sum, non-finite flag
    ngp_u64 count;
    ngp_u32 partial_count;
    ngp_u32 padding;
};
NGP_ARGS_SIZE(ReductionArgs, 40);

/// Sums the block's per-thread values in a fixed tree order; thread 0 gets the total.
NGP_DEVICE double reduce_block(double value)
{
    __shared__ double shared[REDUCE_THREADS];
    ngp_u32 t = NGP_THREAD_X;
    shared[t] = value;
    NGP_SYNC_THREADS();
    for (ngp_u32 stride = REDUCE_THREADS / 2; stride > 0; stride >>= 1)
    {
        if (t < stride) shared[t] += shared[t + stride];
        NGP_SYNC_THREADS();
    }
    return shared[0];
}

/// One thread: result = {0, 0} (a kernel rather than a memset: stream-ordered, and no 8-byte fill needed).
extern "C" __global__ void kernel_reduction_reset(const ReductionArgs args)
{
    if (ngp_global_index() == 0) { args.result[0] = 0.0; args.result[1] = 0.0; }
}

/// Pass 1: launch ceil(count / REDUCE_CHUNK) blocks of REDUCE_THREADS threads.
extern "C" __global__ void kernel_sum_partials(const ReductionArgs args)
{
    ngp_u64 begin = (ngp_u64)NGP_BLOCK_X * REDUCE_CHUNK + NGP_THREAD_X;
    double sum = 0.0;
    for (ngp_u32 k = 0; k < REDUCE_ITEMS_PER_THREAD; ++k)
    {
        ngp_u64 i = begin + (ngp_u64)k * REDUCE_THREADS;
        if (i < args.count) sum += (double)args.values[i];
    }
    double total = reduce_block(sum);
    if (NGP_THREAD_X == 0) args.partials[NGP_BLOCK_X] = total;
}

/// Pass 2: one block of REDUCE_THREADS threads.
extern "C" __global__ void kernel_sum_final(const ReductionArgs args)
{
    double sum = 0.0;
    for (ngp_u32 i = NGP_THREAD_X; i < args.partial_count; i += REDUCE_THREADS) sum += args.partials[i];
    double total = reduce_block(sum);
    if (NGP_THREAD_X == 0) args.result[0] = total;
}

/// One thread per element: result[1] = 1 when any value is NaN or ±∞ (exponent bits all ones).
extern "C" __global__ void kernel_flag_nonfinite(const ReductionArgs args)
{
    ngp_u64 i = (ngp_u64)NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X;
    if (i >= args.count) return;
    if ((ngp_float_as_int(args.values[i]) & 0x7f800000) == 0x7f800000) args.result[1] = 1.0;
}
