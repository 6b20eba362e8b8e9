using System.Runtime.InteropServices;
using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Encodings;

/// <summary>Mirrors MatrixColumnsArgs in MatrixColumns.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MatrixColumnsArgs
{
    public ulong Source, Destination;
    public uint Rows, SourceCols, SourceCol, DestinationCols, DestinationCol, Count;
    public float Value;
    public uint Padding;
}

internal static partial class MatrixColumns
{
    /// <summary>destination[:, dstCol .. dstCol+count) = value (padding columns). destination: [B, W].</summary>
    public static void Fill<T>(DeviceMatrix<T> destination, int dstCol, int count, T value) where T : unmanaged, INumberBase<T>
    {
        if (destination.Backend.Kind != BackendKind.Cuda)
        {
            var span = destination.AsSpan();
            for (int r = 0; r < destination.Rows; r++) span.Slice(r * destination.Cols + dstCol, count).Fill(value);
            return;
        }
        LaunchCuda("kernel_fill_columns", default, 0, destination, dstCol, count, float.CreateTruncating(value));
    }

    /// <summary>One thread per element of the [rows, count] block; float only (CUDA kernels run in float).</summary>
    static void LaunchCuda<T>(string kernel, DeviceMatrix<T> source, int srcCol, DeviceMatrix<T> destination, int dstCol, int count,
        float value = 0f) where T : unmanaged
    {
        if (typeof(T) != typeof(float)) throw new NotSupportedException($"CUDA kernels run in float; column copies of {typeof(T).Name} are not supported");
        if (srcCol < 0 || dstCol < 0 || count < 0 || dstCol + count > destination.Cols || (!source.IsNull && srcCol + count > source.Cols))
            throw new ArgumentOutOfRangeException(nameof(count), $"column block [{srcCol}, +{count}) → [{dstCol}, +{count}) does not fit [{source}] → [{destination}]");
        if (!source.IsNull && source.Rows != destination.Rows)
            throw new ArgumentException($"column copy between matrices of {source.Rows} and {destination.Rows} rows");
        long items = (long)destination.Rows * count;
        if (items == 0) return;
        var cuda = destination.Backend.Cuda();
        cuda.Launch(cuda.Modules.GetFunction("MatrixColumns.cu", kernel), LaunchShape.Linear(items, 256), new MatrixColumnsArgs
        {
            Source = source.IsNull ? 0 : source.Data.Pointer(),
            Destination = destination.Data.Pointer(),
            Rows = (uint)destination.Rows,
            SourceCols = (uint)(source.IsNull ? 0 : source.Cols),
            SourceCol = (uint)srcCol,
            DestinationCols = (uint)destination.Cols,
            DestinationCol = (uint)dstCol,
            Count = (uint)count,
            Value = value,
        });
    }
}
