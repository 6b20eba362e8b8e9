using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using NgpSharp.Compute;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// Shared pieces of the optimizers' checkpoint format: a tagged header per optimizer (so that a state written
/// by one kind or element type is never read into another) and raw little-endian arrays.
/// </summary>
internal static class OptimizerState
{
    const int Version = 1;

    /// <summary>Writes "tag, version, sizeof(T), paramCount".</summary>
    public static void WriteHeader<T>(BinaryWriter writer, string tag, long paramCount) where T : unmanaged
    {
        writer.Write(tag);
        writer.Write(Version);
        writer.Write(Unsafe.SizeOf<T>());
        writer.Write(paramCount);
    }

    /// <summary>Reads and checks what <see cref="WriteHeader{T}"/> wrote.</summary>
    public static void ReadHeader<T>(BinaryReader reader, string tag, long paramCount) where T : unmanaged
    {
        string found;
        try { found = reader.ReadString(); }
        catch (Exception e) when (e is EndOfStreamException or IOException) { throw new InvalidDataException($"{tag} state: stream ended before the header", e); }
        if (found != tag) throw new InvalidDataException($"optimizer state: expected a {tag} state, found \"{found}\"");
        int version = reader.ReadInt32();
        if (version != Version) throw new InvalidDataException($"{tag} state: unsupported version {version} (expected {Version})");
        int size = reader.ReadInt32();
        if (size != Unsafe.SizeOf<T>())
            throw new InvalidDataException($"{tag} state: written with {size}-byte parameters, this optimizer uses {Unsafe.SizeOf<T>()}-byte ones");
        long count = reader.ReadInt64();
        if (count != paramCount)
            throw new InvalidDataException($"{tag} state: written for {count} parameters, this optimizer was allocated for {paramCount}");
    }

    public static void WriteSpan<TElem>(BinaryWriter writer, ReadOnlySpan<TElem> values) where TElem : unmanaged
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("optimizer state needs a little-endian machine");
        writer.Write(MemoryMarshal.AsBytes(values));
    }

    public static void ReadSpan<TElem>(BinaryReader reader, Span<TElem> values, string what) where TElem : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        int read = reader.Read(bytes);
        while (read < bytes.Length)
        {
            int n = reader.Read(bytes[read..]);
            if (n == 0) throw new InvalidDataException($"{what}: stream ended after {read} of {bytes.Length} bytes");
            read += n;
        }
    }

    /// <summary>Writes a buffer's elements (device buffers through a host copy: the same bytes on every backend).</summary>
    public static void WriteBuffer<TElem>(BinaryWriter writer, DeviceBuffer<TElem> buffer) where TElem : unmanaged
    {
        if (buffer is CpuBuffer<TElem>) WriteSpan<TElem>(writer, buffer.All.AsSpan());
        else WriteSpan<TElem>(writer, buffer.Backend.ToArray(buffer.All));
    }

    /// <summary>Reads what <see cref="WriteBuffer{TElem}"/> wrote into a buffer of the same length.</summary>
    public static void ReadBuffer<TElem>(BinaryReader reader, DeviceBuffer<TElem> buffer, string what) where TElem : unmanaged
    {
        if (buffer is CpuBuffer<TElem>) { ReadSpan(reader, buffer.All.AsSpan(), what); return; }
        var host = new TElem[checked((int)buffer.Length)];
        ReadSpan<TElem>(reader, host, what);
        buffer.Backend.CopyFromHost<TElem>(host, buffer.All);
    }

    /// <summary>
    /// Throws unless the backend has kernels for this optimizer and element type: the CPU for any T, CUDA for float.
    /// </summary>
    public static void RequireSupported<T>(Backend backend, string optimizer)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda))
            throw new NotSupportedException($"{optimizer}: the {backend.Kind} backend is not implemented");
        Compute.Cuda.CudaElementType.RequireFloatOnCuda<T>(backend, optimizer);
    }

    /// <summary>Checks that weights and gradients both have <paramref name="paramCount"/> elements.</summary>
    public static void CheckStepArgs<T>(string optimizer, long paramCount, bool allocated, DeviceSpan<T> weights, DeviceSpan<T> gradients) where T : unmanaged
    {
        if (!allocated) throw new InvalidOperationException($"{optimizer}: Allocate must be called before Step");
        if (weights.Length != paramCount) throw new ArgumentException($"{optimizer}: weights have {weights.Length} elements, expected {paramCount}", nameof(weights));
        if (gradients.Length != paramCount) throw new ArgumentException($"{optimizer}: gradients have {gradients.Length} elements, expected {paramCount}", nameof(gradients));
    }

    public static void CheckAllocateArgs(string optimizer, long paramCount, long matrixParamCount)
    {
        if (paramCount < 0 || paramCount > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(paramCount), paramCount, $"{optimizer}: parameter count must be in [0, {Array.MaxLength}]");
        if (matrixParamCount < 0 || matrixParamCount > paramCount)
            throw new ArgumentOutOfRangeException(nameof(matrixParamCount), matrixParamCount, $"{optimizer}: matrix parameter count must be in [0, {paramCount}]");
    }
}
