namespace NgpSharp.Compute;

/// <summary>
/// A dense row-major matrix view [Rows, Cols]: one row per batch element, <c>Cols</c> values per element
/// (the memory layout of tiny-cuda-nn's column-major GPUMatrix of shape [width, batch]).
/// </summary>
public readonly struct DeviceMatrix<T> where T : unmanaged
{
    public DeviceMatrix(DeviceSpan<T> data, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"matrix shape [{rows}, {cols}] is negative");
        if ((long)rows * cols > data.Length)
            throw new ArgumentException($"matrix [{rows}, {cols}] needs {(long)rows * cols} elements, the view has {data.Length}");
        Data = data.Slice(0, (long)rows * cols);
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The elements, row-major, exactly Rows·Cols long.</summary>
    public DeviceSpan<T> Data { get; }
    /// <summary>Batch size.</summary>
    public int Rows { get; }
    /// <summary>Width of one batch element.</summary>
    public int Cols { get; }
    public Backend Backend => Data.Backend;
    public bool IsNull => Data.Buffer is null;

    /// <summary>Rows [start, start + count).</summary>
    public DeviceMatrix<T> SliceRows(int start, int count) => new(Data.Slice((long)start * Cols, (long)count * Cols), count, Cols);

    /// <summary>The elements as host memory; only for CPU buffers.</summary>
    public Span<T> AsSpan() => Data.AsSpan();

    public override string ToString() => $"[{Rows}, {Cols}]";
}
