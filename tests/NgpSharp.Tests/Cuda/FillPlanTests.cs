using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>Which memset (or kernel) CudaBackend.Fill uses for a value.</summary>
public class FillPlanTests
{
    [Fact]
    public void FloatUsesMemsetD32WithItsBits()
    {
        var p = FillPlan.For(1.5f, 10);
        Assert.Equal(FillMethod.Memset32, p.Method);
        Assert.Equal(BitConverter.SingleToUInt32Bits(1.5f), p.Value);
        Assert.Equal(10UL, p.Units);
    }

    [Fact]
    public void HalfAndShortUseMemsetD16()
    {
        var p = FillPlan.For((Half)1, 7);
        Assert.Equal(FillMethod.Memset16, p.Method);
        Assert.Equal(BitConverter.HalfToUInt16Bits((Half)1), (ushort)p.Value);
        Assert.Equal(7UL, p.Units);
    }

    [Fact]
    public void BytesUseMemsetD8() => Assert.Equal((FillMethod.Memset8, 0xABu, 5UL), (FillPlan.For((byte)0xAB, 5).Method, FillPlan.For((byte)0xAB, 5).Value, FillPlan.For((byte)0xAB, 5).Units));

    [Fact]
    public void EightByteValueWithEqualHalvesUsesD32OverTwiceTheWords()
    {
        var p = FillPlan.For(0x1234567812345678UL, 3);
        Assert.Equal(FillMethod.Memset32, p.Method);
        Assert.Equal(0x12345678u, p.Value);
        Assert.Equal(6UL, p.Units);
        Assert.Equal(FillMethod.Memset32, FillPlan.For(0.0, 3).Method); // zero is always a memset
    }

    [Fact]
    public void DoubleOneNeedsTheWordKernel()
    {
        var p = FillPlan.For(1.0, 4);
        Assert.Equal(FillMethod.WordKernel, p.Method);
        Assert.Equal(2u, p.Period);
        Assert.Equal(8UL, p.Units);
        ulong bits = BitConverter.DoubleToUInt64Bits(1.0);
        Assert.Equal((uint)bits, p.Pattern[0]);
        Assert.Equal((uint)(bits >> 32), p.Pattern[1]);
    }

    [Fact]
    public void OddSizedStructsUseTheByteKernelUnlessAllBytesMatch()
    {
        var p = FillPlan.For(new Rgb(1, 2, 3), 5);
        Assert.Equal(FillMethod.ByteKernel, p.Method);
        Assert.Equal(3u, p.Period);
        Assert.Equal(15UL, p.Units);
        Assert.Equal(0x030201u, p.Pattern[0]);
        Assert.Equal(FillMethod.Memset8, FillPlan.For(new Rgb(9, 9, 9), 5).Method);
    }

    [Fact]
    public void LargeNonRepeatingElementsAreRejected() =>
        Assert.Throws<NotSupportedException>(() => FillPlan.For(Enumerable.Range(0, 36).Select(i => (byte)i).ToArray(), 1));

    [Fact]
    public void ArgsStructMatchesTheDeviceLayout() =>
        Assert.Equal(56, System.Runtime.CompilerServices.Unsafe.SizeOf<FillPatternArgs>());

    readonly record struct Rgb(byte R, byte G, byte B);
}
