namespace NgpSharp.Compute;

/// <summary>A contiguous view [offset, offset + length) of a <see cref="DeviceBuffer{T}"/>.</summary>
public readonly struct DeviceSpan<T> where T : unmanaged
{
    public DeviceSpan(DeviceBuffer<T> buffer, long offset, long length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || length < 0 || offset + length > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"view [{offset}, {offset + length}) is outside a buffer of {buffer.Length} elements");
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    public DeviceBuffer<T> Buffer { get; }
    public long Offset { get; }
    public long Length { get; }
    public Backend Backend => Buffer.Backend;
    public bool IsEmpty => Buffer is null || Length == 0;

    public DeviceSpan<T> Slice(long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset), $"slice [{offset}, {offset + length}) is outside a view of {Length} elements");
        return new DeviceSpan<T>(Buffer, Offset + offset, length);
    }

    public DeviceSpan<T> Slice(long offset) => Slice(offset, Length - offset);

    /// <summary>The elements as host memory; only for CPU buffers.</summary>
    public Span<T> AsSpan()
    {
        if (Buffer is CpuBuffer<T> cpu) return cpu.Array.AsSpan(checked((int)Offset), checked((int)Length));
        throw new InvalidOperationException($"AsSpan needs a CPU buffer; this one lives on {Buffer.Backend.Kind}");
    }

    public DeviceMatrix<T> AsMatrix(int rows, int cols) => new(this, rows, cols);
}
