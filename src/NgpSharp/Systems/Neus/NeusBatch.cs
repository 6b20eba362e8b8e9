using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

/// <summary>Mirrors NeusPositionsArgs in NeusBatch.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusPositionsArgs
{
    public ulong RayIndices, TStarts, TEnds, Origins, Directions, Positions;
    public uint Samples, Rows;
}

/// <summary>Mirrors NeusColumnArgs in NeusBatch.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusColumnArgs
{
    public ulong Matrix, Out;
    public uint N, Stride;
}

/// <summary>
/// Sample positions of a NeuS batch: positions[s] = o[r] + t·d[r] at the midpoint t = (t0 + t1)/2 of sample s on its
/// ray r; rows past the samples (batch padding) are 0. CPU (host samples) and CUDA (device samples, NeusBatch.cu)
/// do the same float operations in the same order.
/// </summary>
internal static class NeusBatch
{
    /// <summary>CPU: pos [≥S, 3] from host samples and host rays ([R, 3] each).</summary>
    public static void FillPositions(RaySamples samples, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, Span<float> pos)
    {
        pos.Clear();
        for (int i = 0; i < samples.Count; i++)
        {
            int r = samples.RayIndices[i];
            float t = 0.5f * (samples.TStarts[i] + samples.TEnds[i]);
            for (int k = 0; k < 3; k++) pos[3 * i + k] = origins[3 * r + k] + t * directions[3 * r + k];
        }
    }

    /// <summary>CUDA: positions [rows ≥ S, 3] from device samples and device rays ([R, 3] each); no host copies.</summary>
    public static void FillPositions(CudaBackend cuda, DeviceRaySamples samples, DeviceSpan<float> origins, DeviceSpan<float> directions,
        DeviceMatrix<float> positions)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (positions.Cols != 3 || positions.Rows < samples.Count)
            throw new ArgumentException($"neus batch: positions are {positions}, expected [≥{samples.Count}, 3]");
        if (origins.Length < 3L * samples.RayCount || directions.Length < 3L * samples.RayCount)
            throw new ArgumentException($"neus batch: rays hold {origins.Length} and {directions.Length} values, {samples.RayCount} rays need {3L * samples.RayCount}");
        if (positions.Rows == 0) return;
        cuda.Launch(cuda.Modules.GetFunction("NeusBatch.cu", "kernel_neus_positions"), LaunchShape.Linear(positions.Rows, 128), new NeusPositionsArgs
        {
            RayIndices = samples.RayIndices.Pointer(), TStarts = samples.TStarts.Pointer(), TEnds = samples.TEnds.Pointer(),
            Origins = origins.Pointer(), Directions = directions.Pointer(), Positions = positions.Pointer(),
            Samples = (uint)samples.Count, Rows = (uint)positions.Rows,
        });
    }

    /// <summary>CUDA: output [n] ← column 0 of <paramref name="matrix"/> [n, C] (the sdf of the geometry output).</summary>
    public static void FirstColumn(CudaBackend cuda, DeviceMatrix<float> matrix, DeviceSpan<float> output)
    {
        if (output.Length != matrix.Rows) throw new ArgumentException($"neus batch: column of {matrix} into {output.Length} values");
        if (matrix.Rows == 0) return;
        cuda.Launch(cuda.Modules.GetFunction("NeusBatch.cu", "kernel_neus_column"), LaunchShape.Linear(matrix.Rows, 128), new NeusColumnArgs
        {
            Matrix = matrix.Pointer(), Out = output.Pointer(), N = (uint)matrix.Rows, Stride = (uint)matrix.Cols,
        });
    }
}
