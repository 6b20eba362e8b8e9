using System.Numerics;
using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Compute.Cuda;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Nerf;

/// <summary>Mirrors NerfFillInputArgs in NerfBatch.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct NerfFillInputArgs
{
    public ulong RayIndices, TStarts, TEnds, Origins, Directions, Input;
    public uint Samples, Rows;
    public fixed float BoxMin[3];
    public fixed float Scale[3];
}

/// <summary>Mirrors NerfCompactArgs in NerfBatch.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NerfCompactArgs
{
    public ulong Offsets, Used, CompactOffsets, RayIndices, TStarts, TEnds, OutCounts, OutIndices, OutTStarts, OutTEnds;
    public uint Rays, Padding;
}

/// <summary>Mirrors NerfSquaredErrorArgs in NerfBatch.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NerfSquaredErrorArgs
{
    public ulong A, B, Out;
    public uint N, Padding;
}

/// <summary>
/// The pieces of a NeRF training batch between marcher, network and renderer, on the CPU (host samples) and on a
/// CUDA device (<see cref="DeviceRaySamples"/>, NerfBatch.cu): network input rows and compaction.
/// </summary>
public static class NerfBatch
{
    /// <summary>input: [≥S, 6] ← (normalised sample midpoint, unit direction) per sample; padding rows 0. origins, directions: [R, 3].</summary>
    public static void FillInput(NerfScene scene, RaySamples samples, float[] origins, float[] directions, DeviceMatrix<float> input)
    {
        var x = input.AsSpan();
        x.Clear();
        int s = samples.Count;
        var rayIdx = samples.RayIndices; var t0 = samples.TStarts; var t1 = samples.TEnds;
        CpuParallel.ForTiles(s, 4096, (a, b) =>
        {
            var span = input.AsSpan();
            for (int i = a; i < b; i++)
            {
                int r = rayIdx[i];
                float t = 0.5f * (t0[i] + t1[i]);
                var d = new Vector3(directions[3 * r], directions[3 * r + 1], directions[3 * r + 2]);
                var p = scene.Normalise(new Vector3(origins[3 * r], origins[3 * r + 1], origins[3 * r + 2]) + t * d);
                int o = 6 * i;
                span[o] = p.X; span[o + 1] = p.Y; span[o + 2] = p.Z;
                span[o + 3] = d.X; span[o + 4] = d.Y; span[o + 5] = d.Z;
            }
        });
    }

    /// <summary>The first usedCounts[r] samples of each ray r, packed (instant-ngp's compacted training batch).</summary>
    public static RaySamples Compact(RaySamples samples, ReadOnlySpan<int> usedCounts, ref RaySamples? into)
    {
        int rays = samples.RayCount;
        long total = 0;
        foreach (int n in usedCounts) total += n;
        if (into is null || into.RayCount != rays) into = new RaySamples(rays, (int)Math.Max(total, into?.TStarts.Length ?? 0));
        into.EnsureCapacity((int)total);
        int o = 0;
        for (int r = 0; r < rays; r++)
        {
            int n = usedCounts[r], from = samples.RayOffsets[r];
            into.RayOffsets[r] = o;
            into.RayCounts[r] = n;
            Array.Copy(samples.RayIndices, from, into.RayIndices, o, n);
            Array.Copy(samples.TStarts, from, into.TStarts, o, n);
            Array.Copy(samples.TEnds, from, into.TEnds, o, n);
            o += n;
        }
        into.Count = o;
        return into;
    }

    /// <summary>
    /// <see cref="FillInput(NerfScene, RaySamples, float[], float[], DeviceMatrix{float})"/> on the device: samples,
    /// rays ([R, 3] device rows) and input [rows ≥ S, 6] all device-resident; one launch.
    /// </summary>
    public static unsafe void FillInput(CudaBackend device, NerfScene scene, DeviceRaySamples samples,
        DeviceSpan<float> origins, DeviceSpan<float> directions, DeviceMatrix<float> input)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(samples);
        if (input.Cols != 6 || input.Rows < samples.Count) throw new ArgumentException($"nerf batch: input is {input}, expected [≥{samples.Count}, 6]");
        if (origins.Length < 3L * samples.RayCount || directions.Length < 3L * samples.RayCount)
            throw new ArgumentException($"nerf batch: origins/directions hold {origins.Length}/{directions.Length} values, the samples {samples.RayCount} rays");
        if (input.Rows == 0) return;
        var args = new NerfFillInputArgs
        {
            RayIndices = samples.RayIndices.Pointer(), TStarts = samples.TStarts.Pointer(), TEnds = samples.TEnds.Pointer(),
            Origins = origins.Pointer(), Directions = directions.Pointer(), Input = input.Pointer(),
            Samples = (uint)samples.Count, Rows = (uint)input.Rows,
        };
        var min = scene.NormaliseMin; var scale = scene.NormaliseScale;
        args.BoxMin[0] = min.X; args.BoxMin[1] = min.Y; args.BoxMin[2] = min.Z;
        args.Scale[0] = scale.X; args.Scale[1] = scale.Y; args.Scale[2] = scale.Z;
        device.Launch(device.Modules.GetFunction("NerfBatch.cu", "kernel_nerf_fill_input"), LaunchShape.Linear(input.Rows, 128), args);
    }

    /// <summary>
    /// Compaction on the device: <paramref name="into"/> ← the first usedCounts[r] samples of each ray of
    /// <paramref name="samples"/> (usedCounts: [R] on the device, the renderer's). Scan of the used counts → gather;
    /// returns the total, the one value read back.
    /// </summary>
    public static int Compact(CudaBackend device, CudaScan scan, DeviceRaySamples samples, DeviceSpan<int> usedCounts, DeviceRaySamples into)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(into);
        int rays = samples.RayCount;
        if (usedCounts.Length != rays) throw new ArgumentException($"nerf batch: {usedCounts.Length} used counts for {rays} rays");
        into.ResetRays(rays);
        if (rays == 0) return 0;
        long total = scan.ExclusiveScan(usedCounts, into.RayOffsets);
        if (total > samples.Count) throw new InvalidOperationException($"nerf batch: {total} used samples of {samples.Count}");
        into.SetCount((int)total);
        device.Launch(device.Modules.GetFunction("NerfBatch.cu", "kernel_nerf_compact"), LaunchShape.Linear(rays, 128), new NerfCompactArgs
        {
            Offsets = samples.RayOffsets.Pointer(), Used = usedCounts.Pointer(), CompactOffsets = into.RayOffsets.Pointer(),
            RayIndices = samples.RayIndices.Pointer(), TStarts = samples.TStarts.Pointer(), TEnds = samples.TEnds.Pointer(),
            OutCounts = into.RayCounts.Pointer(), OutIndices = into.RayIndices.Pointer(),
            OutTStarts = into.TStarts.Pointer(), OutTEnds = into.TEnds.Pointer(), Rays = (uint)rays,
        });
        return (int)total;
    }

    /// <summary>squared[i] = (a[i] − b[i])² on the device (a, b, squared: [n]); the PSNR's device sum reads it.</summary>
    public static void SquaredError(CudaBackend device, DeviceSpan<float> a, DeviceSpan<float> b, DeviceSpan<float> squared)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (a.Length != b.Length || a.Length != squared.Length) throw new ArgumentException($"nerf batch: squared error of [{a.Length}], [{b.Length}] into [{squared.Length}]");
        if (a.Length == 0) return;
        device.Launch(device.Modules.GetFunction("NerfBatch.cu", "kernel_nerf_squared_error"), LaunchShape.Linear(a.Length, 256),
            new NerfSquaredErrorArgs { A = a.Pointer(), B = b.Pointer(), Out = squared.Pointer(), N = (uint)a.Length });
    }
}
