using NgpSharp.Compute;

namespace NgpSharp.Rendering;

/// <summary>
/// Columns [First, First + Count) of a row-major matrix [rows, cols]: lets the renderer read the radiance
/// field's raw outputs straight from a padded network output (instant-ngp: [S, 16] with rgb in 0..2, density in 3)
/// and write its gradients back into the same layout. A plain matrix converts to "all its columns".
/// </summary>
public readonly struct ColumnRange<T> where T : unmanaged
{
    public ColumnRange(DeviceMatrix<T> matrix, int first, int count)
    {
        if (first < 0 || count < 1 || first + count > matrix.Cols)
            throw new ArgumentOutOfRangeException(nameof(first), $"columns [{first}, {first + count}) do not fit a matrix {matrix}");
        Matrix = matrix;
        First = first;
        Count = count;
    }

    public DeviceMatrix<T> Matrix { get; }
    public int First { get; }
    public int Count { get; }
    public int Rows => Matrix.Rows;
    /// <summary>Distance between rows in elements.</summary>
    public int Stride => Matrix.Cols;
    public bool IsNull => Matrix.IsNull;

    public static implicit operator ColumnRange<T>(DeviceMatrix<T> matrix) => new(matrix, 0, matrix.Cols);

    /// <summary>The underlying elements starting at column <see cref="First"/> of row 0; only for CPU buffers.</summary>
    internal Span<T> HostSpan() => Matrix.AsSpan()[First..];

    internal void CheckShape(string what, int minRows, int columns)
    {
        if (IsNull) throw new ArgumentException($"volume renderer: {what} is a null matrix");
        if (Count != columns) throw new ArgumentException($"volume renderer: {what} has {Count} columns, expected {columns}");
        if (Rows < minRows) throw new ArgumentException($"volume renderer: {what} has {Rows} rows, needs at least {minRows}");
    }

    public override string ToString() => $"{Matrix}[:, {First}..{First + Count})";
}
