// ngp_prelude_host.h — the kernel prelude (ngp_prelude.cuh) for the host: every NgpSharp kernel compiled with g++
// and run on the CPU, so kernels are testable without a GPU. The emulator copies this file next to a kernel source
// under the name ngp_prelude.cuh; it must provide everything the device prelude does, with the same semantics.
//
// Execution model (one OS thread per launch, deterministic):
//  * blocks run one after another; the threads of a block are fibers (own stacks, cooperative switches);
//  * a fiber runs until it finishes, reaches NGP_SYNC_THREADS() (a block barrier) or a warp-synchronous op;
//  * warp ops (shuffles, ldmatrix, mma) exchange operands through per-warp slots: every lane deposits, waits until
//    all 32 lanes of its warp have deposited, then computes its own result from everyone's deposits;
//  * __shared__ variables are `static thread_local`: blocks never overlap on one OS thread, so a static is shared
//    by exactly the threads of the running block (CUDA shared memory is uninitialised, so no per-block reset);
//    `extern __shared__` arrays are rewritten by the loader to a per-launch buffer of the launch's SharedBytes;
//  * atomics are plain read-modify-writes: fibers never switch inside one.
// Errors (a warp op with exited lanes, a deadlock, a bad launch) stop the launch and come back as a message.
#pragma once

#if !defined(__x86_64__) || !defined(__linux__)
#error "the CUDA emulator's fiber switch is written for x86-64 Linux"
#endif

#include <sys/mman.h>

typedef unsigned char ngp_u8;
typedef unsigned short ngp_u16;
typedef unsigned int ngp_u32;
typedef int ngp_i32;
typedef unsigned long long ngp_u64;
typedef long long ngp_i64;

// ---- attribute macros ----
#define __global__
#define __device__
#define __host__
#define __constant__
#define __shared__ static thread_local
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
// __restrict__ is a g++ keyword already.

#define NGP_DEVICE __device__ __forceinline__
#define NGP_ARGS_SIZE(T, bytes) static_assert(sizeof(T) == (bytes), #T " must be " #bytes " bytes, like its C# twin")

// ---- math: the compiler's builtins (libm behind them), no <math.h> so kernel names cannot clash with libc's ----
#define expf __builtin_expf
#define logf __builtin_logf
#define sqrtf __builtin_sqrtf
#define sinf __builtin_sinf
#define cosf __builtin_cosf
#define fabsf __builtin_fabsf
#define fminf __builtin_fminf
#define fmaxf __builtin_fmaxf
#define floorf __builtin_floorf
#define ceilf __builtin_ceilf
#define powf __builtin_powf
#define exp2f __builtin_exp2f
#define log2f __builtin_log2f
#define tanhf __builtin_tanhf
#define log1pf __builtin_log1pf
#define expm1f __builtin_expm1f
#define copysignf __builtin_copysignf
#define fmaf __builtin_fmaf
#define sincosf __builtin_sincosf
#define truncf __builtin_truncf
#define roundf __builtin_roundf
#define fmodf __builtin_fmodf
#define rsqrtf ngp_emu_rsqrtf
#define ngp_isnan(x) __builtin_isnan(x)
#define ngp_isinf(x) __builtin_isinf(x)
static inline float ngp_emu_rsqrtf(float x) { return 1.0f / __builtin_sqrtf(x); }

// ======================================================================================================
// Runtime: fibers, the per-launch scheduler, barriers and warp exchange slots.
// ======================================================================================================
struct NgpLaunch
{
    ngp_u32 grid[3];
    ngp_u32 block[3];
    ngp_u32 shared_bytes;
    ngp_u32 args_size;
    char* error;            // message buffer (UTF-8, NUL-terminated) filled when the launch fails
    ngp_u32 error_capacity;
    ngp_u32 reserved;
};

// Saves the callee-saved registers on the current stack, stores its pointer in *save, continues on `next`.
extern "C" void ngp_emu_switch(void** save, void* next);
__asm__(
    ".text\n"
    ".globl ngp_emu_switch\n"
    ".hidden ngp_emu_switch\n"
    ".type ngp_emu_switch,@function\n"
    "ngp_emu_switch:\n"
    "  pushq %rbp\n  pushq %rbx\n  pushq %r12\n  pushq %r13\n  pushq %r14\n  pushq %r15\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  popq %r15\n  popq %r14\n  popq %r13\n  popq %r12\n  popq %rbx\n  popq %rbp\n"
    "  ret\n"
    ".size ngp_emu_switch, .-ngp_emu_switch\n");

namespace ngp_emu
{
extern "C" int snprintf(char*, unsigned long, const char*, ...);
extern "C" int posix_memalign(void**, unsigned long, unsigned long);

constexpr unsigned long StackBytes = 256 * 1024; // per fiber (virtual; pages are touched on use)
constexpr unsigned long GuardBytes = 4096;       // below each stack: an overflow faults instead of corrupting
constexpr int MaxThreads = 1024;
constexpr int MaxWarps = MaxThreads / 32;
constexpr int SlotWords = 12;                    // per lane per warp op: enough for mma's a[4], b[2], c[4]

enum ThreadState : int { Ready, AtBlockBarrier, AtWarpOp, Done };
enum WarpOp : int { OpNone, OpShfl, OpLdmatrix, OpLdmatrixTrans, OpMma };

struct Fiber
{
    void* sp;
    char* base; // mapping start (guard page first)
};

struct Thread
{
    ngp_u32 x, y, z, linear;
    int state;
    ngp_u32 warp_seq; // warp ops this thread has executed (selects the double-buffered slot)
    Fiber* fiber;
};

struct Warp
{
    ngp_u64 slots[2][32][SlotWords];
    int op[2];
    ngp_u32 population; // lanes that exist in this warp (block size may not be a multiple of 32)
    ngp_u32 live;       // lanes not yet finished
    ngp_u32 waiting;    // lanes deposited at the current op
};

struct Context
{
    ngp_u32 grid[3], block[3], block_index[3];
    ngp_u32 n_threads, n_warps;
    Thread threads[MaxThreads];
    Warp warps[MaxWarps];
    int queue[MaxThreads];
    int queue_head, queue_count;
    ngp_u32 live, block_waiting;
    Thread* current;
    void* scheduler_sp;
    void (*invoke)(const void*);
    const void* kernel;
    unsigned char* dynamic_shared;
    bool failed;
    char* error;
    ngp_u32 error_capacity;
};

static thread_local Context* t_context;
static thread_local Fiber* t_free_fibers[MaxThreads];
static thread_local int t_free_count;

static void fiber_main();

static void fiber_reset(Fiber* f)
{
    void** sp = (void**)(f->base + GuardBytes + StackBytes);
    *--sp = nullptr;                 // where fiber_main's return address would be: keeps the ABI's 16-byte alignment
    *--sp = (void*)&fiber_main;      // ngp_emu_switch's `ret` lands here
    for (int i = 0; i < 6; ++i) *--sp = nullptr; // rbp rbx r12-r15
    f->sp = sp;
}

static Fiber* fiber_acquire()
{
    if (t_free_count > 0) return t_free_fibers[--t_free_count];
    void* m = mmap(nullptr, GuardBytes + StackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return nullptr;
    mprotect(m, GuardBytes, PROT_NONE);
    Fiber* f = (Fiber*)__builtin_malloc(sizeof(Fiber));
    f->base = (char*)m;
    fiber_reset(f);
    return f;
}

static void fiber_release(Fiber* f)
{
    if (t_free_count < MaxThreads) { t_free_fibers[t_free_count++] = f; return; }
    munmap(f->base, GuardBytes + StackBytes);
    __builtin_free(f);
}

static void enqueue(Context* c, Thread* t)
{
    c->queue[(c->queue_head + c->queue_count++) % MaxThreads] = (int)(t - c->threads);
}

/// Records the first error and returns to the scheduler for good (this fiber is abandoned and later reset).
[[noreturn]] static void fail(const char* message)
{
    Context* c = t_context;
    if (!c->failed)
    {
        c->failed = true;
        if (c->error && c->error_capacity)
            snprintf(c->error, c->error_capacity, "block (%u,%u,%u) thread (%u,%u,%u): %s", c->block_index[0], c->block_index[1],
                     c->block_index[2], c->current->x, c->current->y, c->current->z, message);
    }
    ngp_emu_switch(&c->current->fiber->sp, c->scheduler_sp);
    __builtin_unreachable();
}

static void yield_to_scheduler(Context* c) { ngp_emu_switch(&c->current->fiber->sp, c->scheduler_sp); }

static void release_block_barrier(Context* c)
{
    c->block_waiting = 0;
    for (ngp_u32 i = 0; i < c->n_threads; ++i)
    {
        Thread* t = &c->threads[i];
        if (t->state != AtBlockBarrier) continue;
        t->state = Ready;
        if (t != c->current) enqueue(c, t);
    }
}

static void release_warp(Context* c, ngp_u32 w)
{
    Warp& warp = c->warps[w];
    if (warp.live != 32) fail("a warp-synchronous op (shuffle, ldmatrix, mma) ran with exited or missing lanes; all 32 lanes must take part");
    warp.waiting = 0;
    for (ngp_u32 i = w * 32; i < w * 32 + warp.population; ++i)
    {
        Thread* t = &c->threads[i];
        if (t->state != AtWarpOp) continue;
        t->state = Ready;
        if (t != c->current) enqueue(c, t);
    }
}

static void thread_finished(Context* c)
{
    Thread* t = c->current;
    t->state = Done;
    --c->live;
    Warp& warp = c->warps[t->linear / 32];
    --warp.live;
    if (warp.waiting > 0 && warp.waiting == warp.live) release_warp(c, t->linear / 32);
    if (c->block_waiting > 0 && c->block_waiting == c->live) release_block_barrier(c);
}

static void fiber_main()
{
    for (;;)
    {
        Context* c = t_context;
        c->invoke(c->kernel);
        thread_finished(c);
        yield_to_scheduler(c); // resumed later for another thread of this or a later block
    }
}

/// Block barrier (bar.sync 0): waits for every thread of the block that has not exited.
static void sync_threads()
{
    Context* c = t_context;
    Thread* t = c->current;
    t->state = AtBlockBarrier;
    if (++c->block_waiting == c->live) { release_block_barrier(c); return; }
    yield_to_scheduler(c);
}

/// Deposits `words` for this lane's warp op and waits for the whole warp; returns the slot array of all 32 lanes.
static const ngp_u64 (*warp_exchange(int op, const ngp_u64* words, int count))[SlotWords]
{
    Context* c = t_context;
    Thread* t = c->current;
    ngp_u32 w = t->linear / 32, lane = t->linear % 32, s = t->warp_seq & 1;
    Warp& warp = c->warps[w];
    if (warp.waiting == 0) warp.op[s] = op;
    else if (warp.op[s] != op) fail("lanes of one warp reached different warp-synchronous ops (divergent shuffle/ldmatrix/mma)");
    for (int i = 0; i < count; ++i) warp.slots[s][lane][i] = words[i];
    t->state = AtWarpOp;
    if (++warp.waiting == warp.live) release_warp(c, w);
    else yield_to_scheduler(c);
    ++t->warp_seq;
    return warp.slots[s];
}

/// Runs the whole grid on this OS thread; 0 on success, else 1 with a message in l->error.
static int run(const NgpLaunch* l, void (*invoke)(const void*), const void* kernel)
{
    Context* c = (Context*)__builtin_malloc(sizeof(Context));
    if (!c) return 1;
    __builtin_memset(c, 0, sizeof(Context));
    c->error = l->error;
    c->error_capacity = l->error_capacity;
    c->invoke = invoke;
    c->kernel = kernel;
    for (int d = 0; d < 3; ++d) { c->grid[d] = l->grid[d]; c->block[d] = l->block[d]; }
    ngp_u64 n = (ngp_u64)l->block[0] * l->block[1] * l->block[2];
    int result = 0;
    if (n == 0 || n > MaxThreads || l->grid[0] == 0 || l->grid[1] == 0 || l->grid[2] == 0)
    {
        if (c->error && c->error_capacity) snprintf(c->error, c->error_capacity, "invalid launch shape");
        __builtin_free(c);
        return 1;
    }
    c->n_threads = (ngp_u32)n;
    c->n_warps = (c->n_threads + 31) / 32;
    if (l->shared_bytes)
    {
        void* p = nullptr;
        if (posix_memalign(&p, 256, (l->shared_bytes + 255) / 256 * 256) != 0)
        {
            if (c->error && c->error_capacity) snprintf(c->error, c->error_capacity, "out of memory for %u bytes of dynamic shared memory", l->shared_bytes);
            __builtin_free(c);
            return 1;
        }
        c->dynamic_shared = (unsigned char*)p;
        __builtin_memset(c->dynamic_shared, 0xcd, l->shared_bytes); // uninitialised on a GPU too: make reliance on zeros visible
    }
    for (ngp_u32 i = 0; i < c->n_threads; ++i)
    {
        Thread& t = c->threads[i];
        t.linear = i;
        t.x = i % c->block[0];
        t.y = (i / c->block[0]) % c->block[1];
        t.z = i / (c->block[0] * c->block[1]);
    }
    Context* outer = t_context; // a launch from inside a launch cannot happen, but keep the slot balanced
    t_context = c;
    for (ngp_u32 bz = 0; bz < c->grid[2] && !c->failed; ++bz)
        for (ngp_u32 by = 0; by < c->grid[1] && !c->failed; ++by)
            for (ngp_u32 bx = 0; bx < c->grid[0] && !c->failed; ++bx)
            {
                c->block_index[0] = bx; c->block_index[1] = by; c->block_index[2] = bz;
                c->live = c->n_threads;
                c->block_waiting = 0;
                c->queue_head = 0;
                c->queue_count = 0;
                for (ngp_u32 w = 0; w < c->n_warps; ++w)
                {
                    Warp& warp = c->warps[w];
                    warp.population = w + 1 < c->n_warps || c->n_threads % 32 == 0 ? 32 : c->n_threads % 32;
                    warp.live = warp.population;
                    warp.waiting = 0;
                }
                for (ngp_u32 i = 0; i < c->n_threads; ++i)
                {
                    Thread& t = c->threads[i];
                    t.state = Ready;
                    t.warp_seq = 0;
                    t.fiber = nullptr;
                    enqueue(c, &t);
                }
                while (c->queue_count > 0 && !c->failed)
                {
                    Thread* t = &c->threads[c->queue[c->queue_head]];
                    c->queue_head = (c->queue_head + 1) % MaxThreads;
                    --c->queue_count;
                    if (!t->fiber && !(t->fiber = fiber_acquire()))
                    {
                        c->failed = true;
                        if (c->error && c->error_capacity) snprintf(c->error, c->error_capacity, "out of memory for fiber stacks");
                        break;
                    }
                    c->current = t;
                    ngp_emu_switch(&c->scheduler_sp, t->fiber->sp);
                    if (c->failed) break; // t's fiber may have been abandoned mid-call: reset below, never reused as is
                    if (t->state == Done)
                    {
                        fiber_release(t->fiber);
                        t->fiber = nullptr;
                    }
                }
                if (!c->failed && c->live > 0)
                {
                    ngp_u32 atBarrier = 0, atWarp = 0;
                    for (ngp_u32 i = 0; i < c->n_threads; ++i)
                    {
                        atBarrier += c->threads[i].state == AtBlockBarrier;
                        atWarp += c->threads[i].state == AtWarpOp;
                    }
                    c->failed = true;
                    if (c->error && c->error_capacity)
                        snprintf(c->error, c->error_capacity,
                                 "block (%u,%u,%u) deadlocked: %u threads at NGP_SYNC_THREADS, %u at a warp op, %u exited (a barrier in divergent code?)",
                                 bx, by, bz, atBarrier, atWarp, c->n_threads - c->live);
                }
                // Threads abandoned by an error: their fibers hold stale frames, so reset before reuse.
                for (ngp_u32 i = 0; i < c->n_threads; ++i)
                    if (Fiber* f = c->threads[i].fiber)
                    {
                        fiber_reset(f);
                        fiber_release(f);
                        c->threads[i].fiber = nullptr;
                    }
            }
    t_context = outer;
    result = c->failed ? 1 : 0;
    if (c->dynamic_shared) __builtin_free(c->dynamic_shared);
    __builtin_free(c);
    return result;
}

template <typename TArgs>
struct KernelCall
{
    void (*kernel)(TArgs);
    TArgs args;
    static void invoke(const void* self)
    {
        const KernelCall* k = (const KernelCall*)self;
        k->kernel(k->args);
    }
};

template <typename TArgs>
static int launch(void (*kernel)(TArgs), const NgpLaunch* l, const void* args)
{
    if (l->args_size != sizeof(TArgs))
    {
        if (l->error && l->error_capacity)
            snprintf(l->error, l->error_capacity, "argument struct of %u bytes passed; the kernel takes %u", l->args_size, (unsigned)sizeof(TArgs));
        return 1;
    }
    KernelCall<TArgs> call;
    call.kernel = kernel;
    __builtin_memcpy((void*)&call.args, args, sizeof(TArgs));
    return run(l, &KernelCall<TArgs>::invoke, &call);
}

static inline Thread* self() { return t_context->current; }

static inline ngp_u32 f2u(float f) { ngp_u32 u; __builtin_memcpy(&u, &f, 4); return u; }
static inline float u2f(ngp_u32 u) { float f; __builtin_memcpy(&f, &u, 4); return f; }

/// IEEE binary16 from a double with round-to-nearest-even (overflow → ±∞, NaN → canonical quiet NaN 0x7fff).
static inline ngp_u16 double_to_half(double d)
{
    ngp_u64 b;
    __builtin_memcpy(&b, &d, 8);
    ngp_u16 sign = (ngp_u16)((b >> 48) & 0x8000u);
    ngp_u64 magnitude = b & 0x7fffffffffffffffull;
    if (magnitude > 0x7ff0000000000000ull) return 0x7fff;
    double a;
    __builtin_memcpy(&a, &magnitude, 8);
    if (a >= 65520.0) return sign | 0x7c00; // 65520 = halfway between 65504 (max half) and 2^16: ties go to even (∞)
    if (a < 6.103515625e-05)                // below 2^-14: subnormal, value = m · 2^-24
    {
        double m = a * 16777216.0;          // exact (power of two)
        ngp_u64 whole = (ngp_u64)m;
        double frac = m - (double)whole;
        if (frac > 0.5 || (frac == 0.5 && (whole & 1))) ++whole;
        return sign | (ngp_u16)whole;       // whole may be 1024: the smallest normal, correctly encoded
    }
    int e = (int)((magnitude >> 52) & 0x7ff) - 1023;
    ngp_u64 mantissa = magnitude & ((1ull << 52) - 1);
    ngp_u64 keep = mantissa >> 42, rest = mantissa & ((1ull << 42) - 1), half = 1ull << 41;
    if (rest > half || (rest == half && (keep & 1))) ++keep;
    return sign | (ngp_u16)((ngp_u32)(e + 15) * 1024u + (ngp_u32)keep); // a carry out of keep bumps the exponent
}

static inline float half_to_float(ngp_u16 h)
{
    ngp_u32 sign = (ngp_u32)(h & 0x8000u) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ffu;
    if (e == 31) return u2f(sign | 0x7f800000u | (m << 13));
    if (e == 0)
    {
        float v = (float)m * 5.9604644775390625e-08f; // m · 2^-24, exact
        return sign ? -v : v;
    }
    return u2f(sign | ((e + 112) << 23) | (m << 13));
}
} // namespace ngp_emu

// ======================================================================================================
// The prelude API, as kernels see it.
// ======================================================================================================
#define NGP_THREAD_X (ngp_emu::self()->x)
#define NGP_THREAD_Y (ngp_emu::self()->y)
#define NGP_THREAD_Z (ngp_emu::self()->z)
#define NGP_BLOCK_X (ngp_emu::t_context->block_index[0])
#define NGP_BLOCK_Y (ngp_emu::t_context->block_index[1])
#define NGP_BLOCK_Z (ngp_emu::t_context->block_index[2])
#define NGP_BLOCK_DIM_X (ngp_emu::t_context->block[0])
#define NGP_BLOCK_DIM_Y (ngp_emu::t_context->block[1])
#define NGP_BLOCK_DIM_Z (ngp_emu::t_context->block[2])
#define NGP_GRID_DIM_X (ngp_emu::t_context->grid[0])
#define NGP_GRID_DIM_Y (ngp_emu::t_context->grid[1])
#define NGP_GRID_DIM_Z (ngp_emu::t_context->grid[2])
#define NGP_SYNC_THREADS() ngp_emu::sync_threads()

/// The launch's dynamic shared memory (what `extern __shared__ T name[];` is rewritten to).
static inline void* ngp_emu_dynamic_shared() { return ngp_emu::t_context->dynamic_shared; }

NGP_DEVICE ngp_u32 ngp_global_index() { return NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X; }

/// Lane = linear thread index within the block mod 32 (warps are consecutive runs of 32 linear indices).
NGP_DEVICE ngp_u32 ngp_lane() { return ngp_emu::self()->linear % 32; }

// ---- warp shuffles ----
/// shfl.sync.bfly.b32 with c = 0x1f: source lane j = lane ^ laneMask; j > 31 → the lane's own value.
static inline float ngp_shfl_xor(float v, int laneMask)
{
    ngp_u64 mine = ngp_emu::f2u(v);
    auto slots = ngp_emu::warp_exchange(ngp_emu::OpShfl, &mine, 1);
    ngp_u32 lane = ngp_lane(), j = lane ^ (ngp_u32)laneMask;
    if (j > 31) j = lane;
    return ngp_emu::u2f((ngp_u32)slots[j][0]);
}

/// The device prelude's butterfly, step for step (so the summation order matches the GPU's).
static inline float ngp_warp_sum(float v)
{
    for (int m = 16; m > 0; m >>= 1) v += ngp_shfl_xor(v, m);
    return v;
}

// ---- bit casts ----
NGP_DEVICE ngp_i32 ngp_float_as_int(float f) { ngp_i32 i; __builtin_memcpy(&i, &f, 4); return i; }
NGP_DEVICE float ngp_int_as_float(ngp_i32 i) { float f; __builtin_memcpy(&f, &i, 4); return f; }

// ---- atomics: plain read-modify-write (no fiber switch can happen inside) ----
NGP_DEVICE void ngp_atomic_add(float* address, float value) { *address += value; }
NGP_DEVICE void ngp_atomic_add(double* address, double value) { *address += value; }
NGP_DEVICE void ngp_atomic_add(ngp_u32* address, ngp_u32 value) { *address += value; }

NGP_DEVICE float ngp_atomic_max_nonnegative(float* address, float value)
{
    ngp_i32* p = (ngp_i32*)address;
    ngp_i32 old = *p, v = ngp_float_as_int(value);
    if (v > old) *p = v;
    return ngp_int_as_float(old);
}

// ---- fp16 ----
typedef ngp_u16 ngp_half;
typedef ngp_u32 ngp_half2;

NGP_DEVICE ngp_half ngp_float2half(float f) { return ngp_emu::double_to_half((double)f); } // float → double is exact
NGP_DEVICE float ngp_half2float(ngp_half h) { return ngp_emu::half_to_float(h); }
NGP_DEVICE ngp_half2 ngp_pack_half2(float lo, float hi) { return (ngp_u32)ngp_float2half(lo) | ((ngp_u32)ngp_float2half(hi) << 16); }
NGP_DEVICE float ngp_half2_lo(ngp_half2 v) { return ngp_half2float((ngp_half)(v & 0xffffu)); }
NGP_DEVICE float ngp_half2_hi(ngp_half2 v) { return ngp_half2float((ngp_half)(v >> 16)); }

/// red.add.noftz.f16x2: each half gets old + value rounded once to half (the double sum of two halves is exact).
NGP_DEVICE void ngp_atomic_add_half2(ngp_half2* address, ngp_half2 value)
{
    ngp_u32 old = *address;
    ngp_u16 lo = ngp_emu::double_to_half((double)ngp_half2float((ngp_half)(old & 0xffffu)) + (double)ngp_half2float((ngp_half)(value & 0xffffu)));
    ngp_u16 hi = ngp_emu::double_to_half((double)ngp_half2float((ngp_half)(old >> 16)) + (double)ngp_half2float((ngp_half)(value >> 16)));
    *address = (ngp_u32)lo | ((ngp_u32)hi << 16);
}

// ---- new prelude items with device twins in ngp_prelude.cuh ----
/// cvt.rmi.s32.f32: floor, saturated to the int range, NaN → 0.
NGP_DEVICE ngp_i32 ngp_floor_to_int_saturating(float x)
{
    if (__builtin_isnan(x)) return 0;
    float f = __builtin_floorf(x);
    if (f >= 2147483648.0f) return 2147483647;
    if (f < -2147483648.0f) return (ngp_i32)0x80000000u;
    return (ngp_i32)f;
}

/// sqrt.rn.f64: IEEE square root, correctly rounded.
NGP_DEVICE double ngp_sqrt_rn(double x) { return __builtin_sqrt(x); }

// ---- shared memory and tensor cores ----
/// Meaningless on the host (host pointers are 64-bit); only the device prelude's ldmatrix needs a real one.
NGP_DEVICE ngp_u32 ngp_shared_address(const void* p) { return (ngp_u32)(ngp_u64)p; }

namespace ngp_emu
{
/// ldmatrix.sync.aligned.m8n8.x4(.trans).shared.b16 (PTX ISA 9.7.14.5.15):
///   lanes 8i..8i+7 give the addresses of rows 0..7 of matrix i (each row: 8 consecutive b16 = 16 bytes);
///   register r[i] of lane l holds matrix i's fragment (Figure 104): two elements of row l/4, columns
///   2·(l%4) and 2·(l%4)+1, the lower column in the low 16 bits. With .trans the matrix is read column-major:
///   lane l gets elements (row 2·(l%4), col l/4) and (row 2·(l%4)+1, col l/4) of the stored matrix.
static inline void ldmatrix_x4(ngp_u32 (&r)[4], const void* rowAddress, bool trans)
{
    ngp_u64 mine = (ngp_u64)rowAddress;
    if (mine % 16 != 0) fail("ldmatrix row address is not 16-byte aligned");
    auto slots = warp_exchange(trans ? OpLdmatrixTrans : OpLdmatrix, &mine, 1);
    ngp_u32 lane = ngp_lane(), group = lane / 4, pair = (lane % 4) * 2;
    for (int m = 0; m < 4; ++m)
    {
        ngp_u16 e[2];
        for (int j = 0; j < 2; ++j)
        {
            ngp_u32 row = trans ? pair + j : group, col = trans ? group : pair + j;
            const ngp_u16* rowPointer = (const ngp_u16*)slots[m * 8 + row][0];
            e[j] = rowPointer[col];
        }
        r[m] = (ngp_u32)e[0] | ((ngp_u32)e[1] << 16);
    }
}
} // namespace ngp_emu

static inline void ngp_ldmatrix_x4(ngp_u32 (&r)[4], const void* rowAddress) { ngp_emu::ldmatrix_x4(r, rowAddress, false); }
static inline void ngp_ldmatrix_x4_trans(ngp_u32 (&r)[4], const void* rowAddress) { ngp_emu::ldmatrix_x4(r, rowAddress, true); }

/// mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32: D = A·B + C (PTX ISA 9.7.14.5.8), with
///   groupID = lane >> 2, threadID_in_group (tig) = lane % 4, registers holding halves low-to-high:
///   A (16×16, a0..a7 in a[0..3], two per register): row = groupID for a0,a1,a4,a5, groupID + 8 for a2,a3,a6,a7;
///                                                   col = tig·2 + (i & 1) for i < 4, tig·2 + (i & 1) + 8 for i ≥ 4.
///   B (16×8, b0..b3 in b[0..1]):                    row (k) = tig·2 + (i & 1) for i < 2, + 8 for i ≥ 2; col (n) = groupID.
///   C, D (16×8 f32, c0..c3):                        row = groupID for i < 2, groupID + 8 for i ≥ 2; col = tig·2 + (i & 1).
/// Products of halves are exact in double; the 16 products and C are summed in double (k ascending) and rounded
/// once to float. The tensor core's internal order and truncation differ slightly; kernels' bounds must allow that.
static inline void ngp_mma_16816(float (&d)[4], const ngp_u32 (&a)[4], const ngp_u32 (&b)[2], const float (&c)[4])
{
    ngp_u64 mine[10];
    for (int i = 0; i < 4; ++i) mine[i] = a[i];
    for (int i = 0; i < 2; ++i) mine[4 + i] = b[i];
    for (int i = 0; i < 4; ++i) mine[6 + i] = ngp_emu::f2u(c[i]);
    auto slots = ngp_emu::warp_exchange(ngp_emu::OpMma, mine, 10);
    // Reassemble the full matrices from every lane's fragments.
    float A[16][16], B[16][8];
    for (ngp_u32 l = 0; l < 32; ++l)
    {
        ngp_u32 g = l >> 2, t = l % 4;
        for (int i = 0; i < 8; ++i)
        {
            ngp_u32 reg = (ngp_u32)slots[l][i / 2];
            ngp_half h = (ngp_half)(i & 1 ? reg >> 16 : reg & 0xffffu);
            ngp_u32 row = (i < 2 || (i >= 4 && i < 6)) ? g : g + 8;
            ngp_u32 col = t * 2 + (i & 1) + (i >= 4 ? 8 : 0);
            A[row][col] = ngp_half2float(h);
        }
        for (int i = 0; i < 4; ++i)
        {
            ngp_u32 reg = (ngp_u32)slots[l][4 + i / 2];
            ngp_half h = (ngp_half)(i & 1 ? reg >> 16 : reg & 0xffffu);
            ngp_u32 k = t * 2 + (i & 1) + (i >= 2 ? 8 : 0);
            B[k][g] = ngp_half2float(h);
        }
    }
    ngp_u32 lane = ngp_lane(), g = lane >> 2, t = lane % 4;
    for (int i = 0; i < 4; ++i)
    {
        ngp_u32 row = i < 2 ? g : g + 8, col = t * 2 + (i & 1);
        double sum = (double)ngp_emu::u2f((ngp_u32)slots[lane][6 + i]);
        for (int k = 0; k < 16; ++k) sum += (double)A[row][k] * (double)B[k][col];
        d[i] = (float)sum;
    }
}

// ---- small helpers ----
NGP_DEVICE float ngp_clamp(float x, float lo, float hi) { return fminf(fmaxf(x, lo), hi); }
NGP_DEVICE ngp_u32 ngp_div_round_up(ngp_u32 a, ngp_u32 b) { return (a + b - 1) / b; }

/// One exported entry per kernel: `ngp_launch_<kernel>(const NgpLaunch*, const void* args)` (the loader appends these).
#define NGP_EMU_EXPORT(kernel) \
    extern "C" __attribute__((visibility("default"))) int ngp_launch_##kernel(const NgpLaunch* l, const void* args) \
    { return ngp_emu::launch(&kernel, l, args); }
