using NgpSharp.Compute;

namespace NgpSharp.Systems;

/// <summary>A device buffer that grows on demand (by half again) and hands out views of the size asked for.</summary>
public sealed class ScratchMatrix(Backend backend) : IDisposable
{
    DeviceBuffer<float>? _buffer;

    /// <summary>A view of <paramref name="n"/> elements (contents undefined).</summary>
    public DeviceSpan<float> Span(long n)
    {
        if (_buffer is null || _buffer.Length < n)
        {
            long size = Math.Max(Math.Max(n, 1), (_buffer?.Length ?? 0) * 3 / 2);
            _buffer?.Dispose();
            _buffer = backend.Allocate<float>(size);
        }
        return _buffer.All.Slice(0, n);
    }

    /// <summary>A [rows, cols] view (contents undefined).</summary>
    public DeviceMatrix<float> Matrix(int rows, int cols) => Span((long)rows * cols).AsMatrix(rows, cols);

    public void Dispose() { _buffer?.Dispose(); _buffer = null; }
}
