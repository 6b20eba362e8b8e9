using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda.Emulation;

/// <summary>Mirrors ProbeArgs in EmulatorProbe.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ProbeArgs
{
    public ulong InF, OutF, InH, OutU, SeedState, SeedInc;
    public uint N, Mode;
}

/// <summary>
/// The emulator's prelude primitives against plain references, through the probe kernels of EmulatorProbe.cu
/// (compiled by the same machinery as the library's kernels): tensor-core mma and ldmatrix vs a matrix product,
/// shuffles, block barriers with static and dynamic shared memory, atomics, fp16 rounding, pcg32 vs Rng.
/// </summary>
public class EmulatorPrimitiveTests
{
    static readonly string ProbeText = ReadProbe();

    static string ReadProbe()
    {
        using var s = typeof(EmulatorPrimitiveTests).Assembly.GetManifestResourceStream("EmulatorProbe.cu")!;
        return new StreamReader(s).ReadToEnd();
    }

    static CudaBackend Cuda => EmulatorTestBackend.Require();

    static void Launch(string kernel, LaunchShape shape, ProbeArgs args) =>
        Cuda.Launch(Cuda.Modules.GetFunction("EmulatorProbe.cu", ProbeText, kernel, null), shape, args);

    /// <summary>Random halves in [-2, 2): A [16×16] then B [16×8], row-major; C [16×8] random floats.</summary>
    static (Half[] AB, float[] C) RandomMmaInputs(ulong seed)
    {
        var rng = new Rng(seed);
        var ab = new Half[256 + 128];
        for (int i = 0; i < ab.Length; i++) ab[i] = (Half)(rng.NextFloat() * 4f - 2f);
        var c = new float[128];
        for (int i = 0; i < c.Length; i++) c[i] = rng.NextFloat() * 2f - 1f;
        return (ab, c);
    }

    static float[] ReferenceProduct(Half[] ab, float[] c)
    {
        var d = new float[128];
        for (int m = 0; m < 16; m++)
            for (int n = 0; n < 8; n++)
            {
                double sum = c[m * 8 + n];
                for (int k = 0; k < 16; k++) sum += (double)ab[m * 16 + k] * (double)ab[256 + k * 8 + n];
                d[m * 8 + n] = (float)sum;
            }
        return d;
    }

    float[] RunMma(string kernel, uint mode, Half[] ab, float[] c)
    {
        using var h = Cuda.Upload<Half>(ab);
        using var cb = Cuda.Upload<float>(c);
        using var d = Cuda.Allocate<float>(128);
        Launch(kernel, new LaunchShape(1, 32), new ProbeArgs { InH = h.All.Pointer(), InF = cb.All.Pointer(), OutF = d.All.Pointer(), Mode = mode });
        return Cuda.ToArray(d.All);
    }

    [EmulatorTheory]
    [InlineData("kernel_probe_mma_direct", 0u)]
    [InlineData("kernel_probe_ldmatrix_mma", 0u)]
    [InlineData("kernel_probe_ldmatrix_mma", 1u)]
    public void Mma16816_MatchesAPlainMatrixProduct(string kernel, uint mode)
    {
        for (ulong seed = 1; seed <= 3; seed++)
        {
            var (ab, c) = RandomMmaInputs(seed);
            var expected = ReferenceProduct(ab, c);
            var actual = RunMma(kernel, mode, ab, c);
            for (int i = 0; i < 128; i++)
                Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6f * (1 + Math.Abs(expected[i])),
                    $"{kernel} mode {mode} seed {seed}: D[{i / 8},{i % 8}] = {actual[i]}, expected {expected[i]}");
        }
    }

    [EmulatorFact]
    public void Mma16816_ElementPlacement_UnitMatrices()
    {
        // A = I (16×16), B[k, n] = k·8 + n, C = 0: D must be B's top 16×8 exactly, which pins every fragment position.
        var ab = new Half[384];
        for (int i = 0; i < 16; i++) ab[i * 16 + i] = (Half)1f;
        for (int i = 0; i < 128; i++) ab[256 + i] = (Half)(float)i;
        foreach (var (kernel, mode) in new[] { ("kernel_probe_mma_direct", 0u), ("kernel_probe_ldmatrix_mma", 0u), ("kernel_probe_ldmatrix_mma", 1u) })
        {
            var d = RunMma(kernel, mode, ab, new float[128]);
            for (int i = 0; i < 128; i++) Assert.Equal((float)i, d[i]);
        }
    }

    [EmulatorFact]
    public void ShuffleXorAndWarpSum_FollowTheButterfly()
    {
        const int n = 96; // three warps
        var input = new float[n];
        var rng = new Rng(9);
        for (int i = 0; i < n; i++) input[i] = rng.NextFloat() * 10f - 5f;
        using var inb = Cuda.Upload<float>(input);
        using var outb = Cuda.Allocate<float>(n * 6);
        Launch("kernel_probe_shuffle", new LaunchShape(1, n), new ProbeArgs { InF = inb.All.Pointer(), OutF = outb.All.Pointer() });
        var output = Cuda.ToArray(outb.All);
        for (int i = 0; i < n; i++)
        {
            int warp = i / 32 * 32, lane = i % 32;
            for (int s = 0; s < 5; s++) Assert.Equal(input[warp + (lane ^ (1 << s))], output[i * 6 + s]);
        }
        for (int w = 0; w < n; w += 32)
        {
            var v = input.AsSpan(w, 32).ToArray();
            for (int m = 16; m > 0; m >>= 1) v = [.. Enumerable.Range(0, 32).Select(l => v[l] + v[l ^ m])];
            for (int l = 0; l < 32; l++) Assert.Equal(v[l], output[(w + l) * 6 + 5]); // bit-exact: same order of additions
        }
    }

    [EmulatorTheory]
    [InlineData(256u, 0u)]
    [InlineData(100u, 0u)]  // a partial last warp
    [InlineData(1024u, 1u)] // dynamic shared memory
    [InlineData(96u, 1u)]
    public void BlockBarrier_ReversesThroughSharedMemory(uint threads, uint mode)
    {
        const uint blocks = 5;
        int n = (int)(threads * blocks);
        var input = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        using var inb = Cuda.Upload<float>(input);
        using var outb = Cuda.Allocate<float>(n);
        Launch("kernel_probe_reverse", new LaunchShape(blocks, threads, mode == 1 ? threads * 4 : 0),
            new ProbeArgs { InF = inb.All.Pointer(), OutF = outb.All.Pointer(), Mode = mode });
        var output = Cuda.ToArray(outb.All);
        for (int b = 0; b < blocks; b++)
            for (int t = 0; t < threads; t++)
                Assert.Equal(2f * input[b * threads + threads - 1 - t], output[b * threads + t]);
    }

    [EmulatorFact]
    public void Atomics_AddAndMax()
    {
        const int n = 1000;
        using var f = Cuda.Allocate<float>(9);
        using var u = Cuda.Allocate<uint>(11);
        Launch("kernel_probe_atomics", LaunchShape.Linear(n, 128), new ProbeArgs { OutF = f.All.Pointer(), OutU = u.All.Pointer(), N = n });
        var fs = Cuda.ToArray(f.All);
        var us = Cuda.ToArray(u.All);
        for (int j = 0; j < 7; j++) Assert.Equal((uint)Enumerable.Range(0, n).Count(i => i % 7 == j), us[j]);
        for (int j = 0; j < 5; j++) Assert.Equal(0.5f * Enumerable.Range(0, n).Count(i => i % 5 == j), fs[j]);
        Assert.Equal(n - 1f, fs[8]);
        for (int j = 0; j < 3; j++)
        {
            int count = Enumerable.Range(0, n).Count(i => i % 3 == j);
            Assert.Equal((float)count, (float)BitConverter.UInt16BitsToHalf((ushort)(us[8 + j] & 0xffff)));
            Assert.Equal(0.25f * count, (float)BitConverter.UInt16BitsToHalf((ushort)(us[8 + j] >> 16)));
        }
    }

    (uint[] Bits, float[] Back, int[] Floor) RunHalf(float[] input)
    {
        using var inb = Cuda.Upload<float>(input);
        using var f = Cuda.Allocate<float>(input.Length);
        using var u = Cuda.Allocate<uint>(2 * input.Length);
        Launch("kernel_probe_half", LaunchShape.Linear(input.Length, 256),
            new ProbeArgs { InF = inb.All.Pointer(), OutF = f.All.Pointer(), OutU = u.All.Pointer(), N = (uint)input.Length });
        var us = Cuda.ToArray(u.All);
        return (us[..input.Length], Cuda.ToArray(f.All), [.. us[input.Length..].Select(x => (int)x)]);
    }

    [EmulatorFact]
    public void HalfConversion_RoundsTiesToEven()
    {
        float one = 1f, ulp = MathF.Pow(2, -10), tiny = MathF.Pow(2, -24);
        var cases = new (float Value, ushort Bits)[]
        {
            (one + ulp / 2, 0x3c00),          // tie between 1 and 1+ulp → even (1)
            (one + 3 * ulp / 2, 0x3c02),      // tie between 1+ulp and 1+2ulp → even (1+2ulp)
            (one + ulp / 2 + ulp / 64, 0x3c01), // just above the tie → up
            (65504f, 0x7bff), (65519.996f, 0x7bff), (65520f, 0x7c00), (1e9f, 0x7c00), (-1e9f, 0xfc00),
            (tiny / 2, 0x0000),               // tie between 0 and the smallest subnormal → 0
            (3 * tiny / 2, 0x0002),           // tie between 1 and 2 subnormal steps → 2
            (tiny * 0.75f, 0x0001),
            (MathF.Pow(2, -14) - tiny / 2, 0x0400), // tie at the subnormal/normal edge → even (smallest normal)
            (-0f, 0x8000), (float.PositiveInfinity, 0x7c00), (float.NegativeInfinity, 0xfc00),
        };
        var (bits, _, _) = RunHalf([.. cases.Select(c => c.Value)]);
        for (int i = 0; i < cases.Length; i++)
            Assert.True(cases[i].Bits == bits[i], $"{cases[i].Value:R} → 0x{bits[i]:x4}, expected 0x{cases[i].Bits:x4}");
        var (nanBits, nanBack, _) = RunHalf([float.NaN]);
        Assert.True((nanBits[0] & 0x7c00) == 0x7c00 && (nanBits[0] & 0x3ff) != 0 && float.IsNaN(nanBack[0]));
    }

    [EmulatorFact]
    public void HalfConversion_MatchesDotNetOnRandomFloats_AndRoundTripsEveryHalf()
    {
        var rng = new Rng(3);
        var input = new float[20000];
        for (int i = 0; i < input.Length; i++)
            input[i] = (rng.NextFloat() - 0.5f) * MathF.Pow(2, (int)(rng.NextUInt() % 44) - 28); // 2^-29 .. 2^15
        var (bits, back, _) = RunHalf(input);
        for (int i = 0; i < input.Length; i++)
        {
            ushort expected = BitConverter.HalfToUInt16Bits((Half)input[i]);
            Assert.True(expected == bits[i], $"{input[i]:R} → 0x{bits[i]:x4}, .NET says 0x{expected:x4}");
            Assert.Equal((float)BitConverter.UInt16BitsToHalf(expected), back[i]);
        }
        var all = Enumerable.Range(0, 65536).Where(b => (b & 0x7c00) != 0x7c00 || (b & 0x3ff) == 0).ToArray(); // every non-NaN half
        var (roundTrip, values, _) = RunHalf([.. all.Select(b => (float)BitConverter.UInt16BitsToHalf((ushort)b))]);
        for (int i = 0; i < all.Length; i++)
        {
            Assert.Equal((uint)all[i], roundTrip[i]);
            Assert.Equal((float)BitConverter.UInt16BitsToHalf((ushort)all[i]), values[i]);
        }
    }

    [EmulatorFact]
    public void FloorToIntSaturating_MatchesCreateSaturating()
    {
        float[] input = [0f, 0.5f, -0.5f, -1f, -1.5f, 2.999f, 1e10f, -1e10f, 2147483520f, float.NaN, float.PositiveInfinity, float.NegativeInfinity];
        var (_, _, floor) = RunHalf(input);
        for (int i = 0; i < input.Length; i++) Assert.Equal(int.CreateSaturating(MathF.Floor(input[i])), floor[i]);
    }

    [EmulatorFact]
    public void Pcg32_MatchesRng_AtTheSameStreamPositions()
    {
        const int n = 300;
        const uint stride = 7;
        var seed = new Rng(42, 5);
        using var f = Cuda.Allocate<float>(n * 4);
        using var u = Cuda.Allocate<uint>(n);
        Launch("kernel_probe_pcg32", LaunchShape.Linear(n, 128), new ProbeArgs
        {
            OutF = f.All.Pointer(), OutU = u.All.Pointer(), N = n, Mode = stride, SeedState = seed.State, SeedInc = seed.Increment,
        });
        var fs = Cuda.ToArray(f.All);
        var us = Cuda.ToArray(u.All);
        for (int i = 0; i < n; i++)
        {
            var r = Rng.FromState(seed.State, seed.Increment).Advanced(i * stride);
            for (int k = 0; k < 4; k++) Assert.Equal(r.NextFloat(), fs[i * 4 + k]);
            Assert.Equal(r.NextUInt(), us[i]);
        }
    }

    [EmulatorTheory]
    [InlineData(0u, "exited")]
    [InlineData(1u, "deadlocked")]
    public void BrokenWarpSynchrony_IsReportedNotHung(uint mode, string expected)
    {
        using var f = Cuda.Allocate<float>(32);
        var e = Assert.Throws<CudaException>(() => Launch("kernel_probe_broken", new LaunchShape(1, 32), new ProbeArgs { OutF = f.All.Pointer(), Mode = mode }));
        Assert.Contains(expected, e.Message);
        Assert.Contains("kernel_probe_broken", e.Message);
        // The backend stays usable after a failed launch.
        using var output = Cuda.Allocate<float>(192);
        Launch("kernel_probe_shuffle", new LaunchShape(1, 32), new ProbeArgs { InF = f.All.Pointer(), OutF = output.All.Pointer() });
    }
}
