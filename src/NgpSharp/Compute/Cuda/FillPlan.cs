using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NgpSharp.Compute.Cuda;

/// <summary>How <see cref="CudaBackend.Fill{T}"/> writes a value: a driver memset when the element's bytes allow, else a Fill.cu kernel.</summary>
internal enum FillMethod { Memset8, Memset16, Memset32, WordKernel, ByteKernel }

/// <summary>
/// The fill of <c>count</c> elements with one value. Memsets: D32 when every 4-byte word of the element is the
/// same (4-byte T, or an 8-byte T whose halves are equal), D16 when every 2-byte half is, D8 when every byte is.
/// Otherwise a pattern kernel over words (size a multiple of 4, ≤ 32 bytes) or bytes (≤ 32 bytes).
/// </summary>
internal readonly record struct FillPlan(FillMethod Method, uint Value, ulong Units, uint[] Pattern, uint Period)
{
    public const int MaxPatternBytes = 32;

    public static FillPlan For<T>(T value, long count) where T : unmanaged =>
        For(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)), count);

    public static FillPlan For(ReadOnlySpan<byte> element, long count)
    {
        int size = element.Length;
        ulong n = (ulong)count;
        if (size % 4 == 0 && AllEqual(element, 4)) return new(FillMethod.Memset32, BinaryPrimitives.ReadUInt32LittleEndian(element), n * (ulong)(size / 4), [], 0);
        if (size % 2 == 0 && AllEqual(element, 2)) return new(FillMethod.Memset16, BinaryPrimitives.ReadUInt16LittleEndian(element), n * (ulong)(size / 2), [], 0);
        if (AllEqual(element, 1)) return new(FillMethod.Memset8, element[0], n * (ulong)size, [], 0);
        if (size > MaxPatternBytes)
            throw new NotSupportedException($"CUDA Fill of {size}-byte elements with a non-repeating byte pattern is not supported (at most {MaxPatternBytes} bytes)");
        var pattern = new uint[MaxPatternBytes / 4];
        element.CopyTo(MemoryMarshal.AsBytes(pattern.AsSpan()));
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("CUDA needs a little-endian host");
        return size % 4 == 0
            ? new(FillMethod.WordKernel, 0, n * (ulong)(size / 4), pattern, (uint)(size / 4))
            : new(FillMethod.ByteKernel, 0, n * (ulong)size, pattern, (uint)size);
    }

    static bool AllEqual(ReadOnlySpan<byte> bytes, int unit)
    {
        for (int i = unit; i < bytes.Length; i += unit)
            if (!bytes.Slice(i, unit).SequenceEqual(bytes[..unit])) return false;
        return true;
    }
}

/// <summary>C# twin of FillPatternArgs in Fill.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct FillPatternArgs
{
    public ulong Destination;
    public ulong Count;
    public fixed uint Pattern[8];
    public uint Period;
    public uint Unused;
}
