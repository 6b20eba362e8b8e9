namespace NgpSharp.Compute;

/// <summary>
/// PCG32 (O'Neill), the generator tiny-cuda-nn and instant-ngp use: 64-bit state, 32-bit output, O(log n)
/// <see cref="Advance"/> so that parallel work draws from disjoint, deterministic parts of one stream.
/// </summary>
public struct Rng
{
    const ulong Multiplier = 0x5851f42d4c957f2dUL;
    public const ulong DefaultState = 0x853c49e6748fea9bUL;
    public const ulong DefaultStream = 0xda3e39cb94b95bdbUL;

    ulong _state, _inc;

    /// <summary>A generator seeded like pcg32(initstate, initseq).</summary>
    public Rng(ulong seed, ulong stream = 1)
    {
        _state = 0;
        _inc = (stream << 1) | 1;
        NextUInt();
        _state += seed;
        NextUInt();
    }

    /// <summary>The default-seeded generator (pcg32's PCG32_DEFAULT_STATE / STREAM).</summary>
    public static Rng Default => new() { _state = DefaultState, _inc = DefaultStream };

    public readonly ulong State => _state;
    public readonly ulong Increment => _inc;

    /// <summary>Restores a generator saved from <see cref="State"/> and <see cref="Increment"/>.</summary>
    public static Rng FromState(ulong state, ulong increment) => new() { _state = state, _inc = increment };

    public uint NextUInt()
    {
        ulong old = _state;
        _state = unchecked(old * Multiplier + _inc);
        uint xorShifted = (uint)(((old >> 18) ^ old) >> 27);
        int rot = (int)(old >> 59);
        return (xorShifted >> rot) | (xorShifted << ((-rot) & 31));
    }

    /// <summary>Uniform in [0, 1) with 23 random mantissa bits (pcg32::next_float).</summary>
    public float NextFloat() => BitConverter.Int32BitsToSingle((int)((NextUInt() >> 9) | 0x3f800000u)) - 1f;

    /// <summary>Uniform in [0, 1) with 52 random mantissa bits (two draws).</summary>
    public double NextDouble()
    {
        ulong bits = ((ulong)NextUInt() << 20) ^ NextUInt();
        return BitConverter.Int64BitsToDouble((long)((bits & 0xFFFFFFFFFFFFFUL) | 0x3ff0000000000000UL)) - 1.0;
    }

    /// <summary>Uniform in [lo, hi).</summary>
    public float NextFloat(float lo, float hi) => lo + (hi - lo) * NextFloat();

    /// <summary>Uniform integer in [0, bound).</summary>
    public uint NextUInt(uint bound)
    {
        if (bound == 0) return 0;
        uint threshold = (uint)(-bound) % bound;
        while (true)
        {
            uint r = NextUInt();
            if (r >= threshold) return r % bound;
        }
    }

    /// <summary>Moves the stream by <paramref name="delta"/> draws (negative goes back) in O(log delta).</summary>
    public void Advance(long delta)
    {
        ulong curMult = Multiplier, curPlus = _inc, accMult = 1, accPlus = 0;
        ulong d = unchecked((ulong)delta);
        while (d > 0)
        {
            if ((d & 1) != 0)
            {
                accMult = unchecked(accMult * curMult);
                accPlus = unchecked(accPlus * curMult + curPlus);
            }
            curPlus = unchecked((curMult + 1) * curPlus);
            curMult = unchecked(curMult * curMult);
            d >>= 1;
        }
        _state = unchecked(accMult * _state + accPlus);
    }

    /// <summary>A copy advanced by <paramref name="delta"/> draws.</summary>
    public readonly Rng Advanced(long delta)
    {
        var copy = this;
        copy.Advance(delta);
        return copy;
    }
}
