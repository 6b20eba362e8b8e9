using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Nn.Encodings;

/// <summary>Copies blocks of columns between row-major matrices with the same row count (CPU; CUDA in MatrixColumns.Cuda.cs).</summary>
internal static partial class MatrixColumns
{
    const int RowsPerTile = 1024;

    /// <summary>destination[:, dstCol .. dstCol+count) = source[:, srcCol .. srcCol+count).</summary>
    public static void Copy<T>(DeviceMatrix<T> source, int srcCol, DeviceMatrix<T> destination, int dstCol, int count) where T : unmanaged
    {
        if (source.Backend.Kind == BackendKind.Cuda) { LaunchCuda("kernel_copy_columns", source, srcCol, destination, dstCol, count); return; }
        CpuParallel.ForTiles(source.Rows, RowsPerTile, (start, end) =>
        {
            var s = source.AsSpan();
            var d = destination.AsSpan();
            for (int r = start; r < end; r++) s.Slice(r * source.Cols + srcCol, count).CopyTo(d.Slice(r * destination.Cols + dstCol, count));
        });
    }

    /// <summary>destination[:, dstCol .. dstCol+count) += source[:, 0 .. count).</summary>
    public static void Add<T>(DeviceMatrix<T> source, DeviceMatrix<T> destination, int dstCol) where T : unmanaged, INumberBase<T>
    {
        int count = source.Cols;
        if (source.Backend.Kind == BackendKind.Cuda) { LaunchCuda("kernel_add_columns", source, 0, destination, dstCol, count); return; }
        CpuParallel.ForTiles(source.Rows, RowsPerTile, (start, end) =>
        {
            var s = source.AsSpan();
            var d = destination.AsSpan();
            for (int r = start; r < end; r++)
            {
                var src = s.Slice(r * count, count);
                var dst = d.Slice(r * destination.Cols + dstCol, count);
                for (int j = 0; j < count; j++) dst[j] += src[j];
            }
        });
    }
}
