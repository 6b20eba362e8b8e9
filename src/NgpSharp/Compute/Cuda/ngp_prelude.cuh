// ngp_prelude.cuh — the one header every NgpSharp kernel includes (#include "ngp_prelude.cuh").
// No CUDA toolkit headers: NVRTC ships none (cuda_fp16.h / mma.h live in the toolkit), and the CI check compiles
// every kernel with `clang++-14 -x cuda --cuda-device-only -nocudainc -nocudalib`. So this file defines what
// kernels use: fixed-width integers, thread indices, barriers, shuffles, atomics, fp16 storage and conversions,
// and tensor-core mma.sync — through inline PTX wherever possible, which both compilers accept as-is.
// Under NVRTC __CUDACC_RTC__ is defined; otherwise we are in the clang syntax/type check.
#pragma once

typedef unsigned char ngp_u8;
typedef unsigned short ngp_u16;
typedef unsigned int ngp_u32;
typedef int ngp_i32;
typedef unsigned long long ngp_u64;
typedef long long ngp_i64;

#ifndef __CUDACC_RTC__
// ---- clang -nocudainc: the attribute macros the CUDA headers would define ----
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __host__ __attribute__((host))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __restrict__ __restrict
#define NGP_THREAD_X __nvvm_read_ptx_sreg_tid_x()
#define NGP_THREAD_Y __nvvm_read_ptx_sreg_tid_y()
#define NGP_BLOCK_X __nvvm_read_ptx_sreg_ctaid_x()
#define NGP_BLOCK_Y __nvvm_read_ptx_sreg_ctaid_y()
#define NGP_BLOCK_DIM_X __nvvm_read_ptx_sreg_ntid_x()
#define NGP_BLOCK_DIM_Y __nvvm_read_ptx_sreg_ntid_y()
#define NGP_GRID_DIM_X __nvvm_read_ptx_sreg_nctaid_x()
#define NGP_GRID_DIM_Y __nvvm_read_ptx_sreg_nctaid_y()
// Math: libdevice's names (resolved by NVRTC's built-ins on a real device; declarations suffice for the check).
extern "C" {
__device__ float __nv_expf(float); __device__ float __nv_logf(float); __device__ float __nv_sqrtf(float);
__device__ float __nv_rsqrtf(float); __device__ float __nv_sinf(float); __device__ float __nv_cosf(float);
__device__ float __nv_fabsf(float); __device__ float __nv_fminf(float, float); __device__ float __nv_fmaxf(float, float);
__device__ float __nv_floorf(float); __device__ float __nv_ceilf(float); __device__ float __nv_powf(float, float);
__device__ float __nv_exp2f(float); __device__ float __nv_log2f(float); __device__ float __nv_tanhf(float);
__device__ float __nv_log1pf(float); __device__ float __nv_expm1f(float); __device__ float __nv_copysignf(float, float);
__device__ float __nv_fmaf(float, float, float); __device__ void __nv_sincosf(float, float*, float*);
__device__ float __nv_truncf(float); __device__ float __nv_roundf(float); __device__ int __nv_isnanf(float);
__device__ int __nv_isinff(float); __device__ float __nv_fmodf(float, float);
}
#define expf __nv_expf
#define logf __nv_logf
#define sqrtf __nv_sqrtf
#define rsqrtf __nv_rsqrtf
#define sinf __nv_sinf
#define cosf __nv_cosf
#define fabsf __nv_fabsf
#define fminf __nv_fminf
#define fmaxf __nv_fmaxf
#define floorf __nv_floorf
#define ceilf __nv_ceilf
#define powf __nv_powf
#define exp2f __nv_exp2f
#define log2f __nv_log2f
#define tanhf __nv_tanhf
#define log1pf __nv_log1pf
#define expm1f __nv_expm1f
#define copysignf __nv_copysignf
#define fmaf __nv_fmaf
#define sincosf __nv_sincosf
#define truncf __nv_truncf
#define roundf __nv_roundf
#define fmodf __nv_fmodf
#define ngp_isnan(x) __nv_isnanf(x)
#define ngp_isinf(x) __nv_isinff(x)
#define NGP_SYNC_THREADS() __nvvm_bar_sync(0)
#else
// ---- NVRTC: built-in variables and device functions exist without headers ----
#define NGP_THREAD_X threadIdx.x
#define NGP_THREAD_Y threadIdx.y
#define NGP_BLOCK_X blockIdx.x
#define NGP_BLOCK_Y blockIdx.y
#define NGP_BLOCK_DIM_X blockDim.x
#define NGP_BLOCK_DIM_Y blockDim.y
#define NGP_GRID_DIM_X gridDim.x
#define NGP_GRID_DIM_Y gridDim.y
#define ngp_isnan(x) isnan(x)
#define ngp_isinf(x) isinf(x)
#define NGP_SYNC_THREADS() __syncthreads()
#endif

#define NGP_DEVICE __device__ __forceinline__

// The C# twin of every kernel argument struct must have the same size; check-kernels.sh compiles these asserts
// and a C# test reads the numbers from the .cu source and compares them with Unsafe.SizeOf of the C# struct.
#define NGP_ARGS_SIZE(T, bytes) static_assert(sizeof(T) == (bytes), #T " must be " #bytes " bytes, like its C# twin")

/// Index of this thread in a 1-D launch.
NGP_DEVICE ngp_u32 ngp_global_index() { return NGP_BLOCK_X * NGP_BLOCK_DIM_X + NGP_THREAD_X; }

/// Lane of this thread in its warp.
NGP_DEVICE ngp_u32 ngp_lane() { ngp_u32 l; asm volatile("mov.u32 %0, %%laneid;" : "=r"(l)); return l; }

// ---- warp shuffles (all lanes active) ----
NGP_DEVICE float ngp_shfl_xor(float v, int laneMask)
{
    float r;
    asm volatile("shfl.sync.bfly.b32 %0, %1, %2, 0x1f, 0xffffffff;" : "=f"(r) : "f"(v), "r"(laneMask));
    return r;
}

NGP_DEVICE float ngp_warp_sum(float v)
{
    for (int m = 16; m > 0; m >>= 1) v += ngp_shfl_xor(v, m);
    return v;
}

// ---- bit casts ----
NGP_DEVICE ngp_i32 ngp_float_as_int(float f) { ngp_i32 i; asm("mov.b32 %0, %1;" : "=r"(i) : "f"(f)); return i; }
NGP_DEVICE float ngp_int_as_float(ngp_i32 i) { float f; asm("mov.b32 %0, %1;" : "=f"(f) : "r"(i)); return f; }

// ---- atomics (global memory) ----
NGP_DEVICE void ngp_atomic_add(float* address, float value)
{
    asm volatile("red.global.add.f32 [%0], %1;" :: "l"(address), "f"(value) : "memory");
}

NGP_DEVICE void ngp_atomic_add(double* address, double value)
{
    asm volatile("red.global.add.f64 [%0], %1;" :: "l"(address), "d"(value) : "memory");
}

NGP_DEVICE void ngp_atomic_add(ngp_u32* address, ngp_u32 value)
{
    asm volatile("red.global.add.u32 [%0], %1;" :: "l"(address), "r"(value) : "memory");
}

/// Atomic max for non-negative floats (they order like their bit patterns as signed ints); returns the old value.
NGP_DEVICE float ngp_atomic_max_nonnegative(float* address, float value)
{
    ngp_i32 old;
    asm volatile("atom.global.max.s32 %0, [%1], %2;" : "=r"(old) : "l"(address), "r"(ngp_float_as_int(value)) : "memory");
    return ngp_int_as_float(old);
}

// ---- fp16: stored as raw 16-bit patterns, converted with cvt ----
typedef ngp_u16 ngp_half;   // IEEE binary16 bits
typedef ngp_u32 ngp_half2;  // two halves: low 16 bits = first element

NGP_DEVICE ngp_half ngp_float2half(float f) { ngp_u16 h; asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f)); return h; }
NGP_DEVICE float ngp_half2float(ngp_half h) { float f; asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h)); return f; }

/// {lo, hi} as a half2 (lo in the low 16 bits).
NGP_DEVICE ngp_half2 ngp_pack_half2(float lo, float hi)
{
    ngp_u32 r;
    asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

NGP_DEVICE float ngp_half2_lo(ngp_half2 v) { return ngp_half2float((ngp_half)(v & 0xffffu)); }
NGP_DEVICE float ngp_half2_hi(ngp_half2 v) { return ngp_half2float((ngp_half)(v >> 16)); }

/// Atomically adds two halves to a 4-byte-aligned half pair (sm_60+).
NGP_DEVICE void ngp_atomic_add_half2(ngp_half2* address, ngp_half2 value)
{
    asm volatile("red.global.add.noftz.f16x2 [%0], %1;" :: "l"(address), "r"(value) : "memory");
}

// ---- shared memory and tensor cores ----
/// A generic pointer into shared memory as the 32-bit shared-window address ldmatrix/cp.async take.
NGP_DEVICE ngp_u32 ngp_shared_address(const void* p)
{
    ngp_u32 a;
    asm("{ .reg .u64 t; cvta.to.shared.u64 t, %1; cvt.u32.u64 %0, t; }" : "=r"(a) : "l"(p));
    return a;
}

/// Four 8×8 b16 matrices from shared memory (ldmatrix.x4); lane i supplies the row address for row i%8 of matrix i/8.
NGP_DEVICE void ngp_ldmatrix_x4(ngp_u32 (&r)[4], const void* rowAddress)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(ngp_shared_address(rowAddress)));
}

/// Like ngp_ldmatrix_x4 but each 8×8 matrix transposed.
NGP_DEVICE void ngp_ldmatrix_x4_trans(ngp_u32 (&r)[4], const void* rowAddress)
{
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];"
                 : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3]) : "r"(ngp_shared_address(rowAddress)));
}

/// D = A·B + C on tensor cores: A 16×16 fp16 (row), B 16×8 fp16 (col), C/D 16×8 fp32 (sm_80+).
/// Fragment layouts are PTX's for mma.m16n8k16 (see the PTX ISA, "Matrix fragments for mma.m16n8k16").
NGP_DEVICE void ngp_mma_16816(float (&d)[4], const ngp_u32 (&a)[4], const ngp_u32 (&b)[2], const float (&c)[4])
{
    asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%10, %11, %12, %13};"
                 : "=f"(d[0]), "=f"(d[1]), "=f"(d[2]), "=f"(d[3])
                 : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]),
                   "f"(c[0]), "f"(c[1]), "f"(c[2]), "f"(c[3]));
}

// ---- rounding conversions (kept here so kernels need no inline PTX; the host emulator mirrors them) ----
/// cvt.rmi.s32.f32: floor(x) as an int, saturated to [INT_MIN, INT_MAX], NaN → 0 (C#'s int.CreateSaturating(floor(x))).
NGP_DEVICE ngp_i32 ngp_floor_to_int_saturating(float x) { ngp_i32 i; asm("cvt.rmi.s32.f32 %0, %1;" : "=r"(i) : "f"(x)); return i; }

/// sqrt.rn.f64: the IEEE square root of a double, correctly rounded (unaffected by --use_fast_math).
NGP_DEVICE double ngp_sqrt_rn(double x) { double r; asm("sqrt.rn.f64 %0, %1;" : "=d"(r) : "d"(x)); return r; }

// ---- small helpers ----
NGP_DEVICE float ngp_clamp(float x, float lo, float hi) { return fminf(fmaxf(x, lo), hi); }
NGP_DEVICE ngp_u32 ngp_div_round_up(ngp_u32 a, ngp_u32 b) { return (a + b - 1) / b; }
