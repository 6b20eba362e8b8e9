// pcg32.cuh — the PCG32 generator on the device, identical to NgpSharp.Compute.Rng on the host, so a kernel
// that draws the same positions of the same stream produces the same numbers as the CPU.
#pragma once
#include "ngp_prelude.cuh"

struct NgpPcg32
{
    ngp_u64 state;
    ngp_u64 inc;
};

#define NGP_PCG32_MULT 0x5851f42d4c957f2dULL

NGP_DEVICE ngp_u32 ngp_pcg32_next_uint(NgpPcg32& r)
{
    ngp_u64 old = r.state;
    r.state = old * NGP_PCG32_MULT + r.inc;
    ngp_u32 xorshifted = (ngp_u32)(((old >> 18u) ^ old) >> 27u);
    ngp_u32 rot = (ngp_u32)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((~rot + 1u) & 31u));
}

/// Uniform in [0, 1) with 23 random mantissa bits (the host's Rng.NextFloat).
NGP_DEVICE float ngp_pcg32_next_float(NgpPcg32& r)
{
    ngp_u32 bits = (ngp_pcg32_next_uint(r) >> 9) | 0x3f800000u;
    return ngp_int_as_float((ngp_i32)bits) - 1.f;
}

/// Moves the stream by delta draws in O(log delta) (the host's Rng.Advance).
NGP_DEVICE void ngp_pcg32_advance(NgpPcg32& r, ngp_u64 delta)
{
    ngp_u64 curMult = NGP_PCG32_MULT, curPlus = r.inc, accMult = 1u, accPlus = 0u;
    while (delta > 0)
    {
        if (delta & 1)
        {
            accMult *= curMult;
            accPlus = accPlus * curMult + curPlus;
        }
        curPlus = (curMult + 1) * curPlus;
        curMult *= curMult;
        delta >>= 1;
    }
    r.state = accMult * r.state + accPlus;
}
