using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Geometry;

namespace NgpSharp.Rendering;

/// <summary>Mirrors MarchArgs in RayMarcher.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MarchArgs
{
    public ulong Origins, Directions, Jitter, Bitfield, Counts, Offsets, RayIndices, TStarts, TEnds;
    public fixed float Centre[3];
    public fixed float BaseSize[3];
    public fixed float BoxMin[3];
    public fixed float BoxMax[3];
    public float StepUnit, NearDistance, Cone, MinStep, MaxStep, Log1pC, A, B, At, Bt;
    public int Resolution, Cascades, MipLevels, CellsPerCascade, MaxSamples, SkipEmpty, RayCount, Padding;
}

public static partial class RayMarcher
{
    /// <summary>
    /// <see cref="March(ReadOnlySpan{float}, ReadOnlySpan{float}, OccupancyGrid, MarchSettings, ref Rng, RaySamples)"/> on a
    /// CUDA device (RayMarcher.cu): the same samples. The per-ray jitter is drawn on the host with the same Rng calls
    /// as the CPU march; the grid's host bitfield is uploaded, rays marched on the device, the samples downloaded.
    /// </summary>
    public static void March(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, ref Rng rng, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(device);
        int rays = CheckRays(origins, directions, output);
        RunOnDevice(device, origins, directions, grid, settings, TrainingJitter(rays, ref rng), skipEmpty: true, output);
    }

    /// <summary><see cref="MarchInference(ReadOnlySpan{float}, ReadOnlySpan{float}, OccupancyGrid, MarchSettings, RaySamples)"/> on a CUDA device.</summary>
    public static void MarchInference(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(device);
        int rays = CheckRays(origins, directions, output);
        var jitter = new float[rays];
        Array.Fill(jitter, 0.5f);
        RunOnDevice(device, origins, directions, grid, settings, jitter, skipEmpty: true, output);
    }

    /// <summary>Marches with given per-ray offsets on the device (the parity checks' entry).</summary>
    internal static void MarchWithOffsets(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, float[] jitter, RaySamples output, bool skipEmpty = true)
    {
        CheckRays(origins, directions, output);
        RunOnDevice(device, origins, directions, grid, settings, jitter, skipEmpty, output);
    }

    /// <summary>Count pass, prefix sum on the host, fill pass; one thread per ray.</summary>
    static unsafe void RunOnDevice(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, float[] jitter, bool skipEmpty, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        int rays = jitter.Length;
        output.Count = 0;
        if (rays == 0) return;
        var stepping = new ConeStepping(settings.ConeAngle, settings.MinStepSize ?? grid.MinStepSize, settings.MaxStepSize ?? grid.MaxStepSize);
        var c = stepping.Constants;
        using var o = device.Upload(origins);
        using var d = device.Upload(directions);
        using var j = device.Upload<float>(jitter);
        using var bits = device.Upload<byte>(grid.Bitfield);
        using var counts = device.Allocate<int>(rays);
        using var offsets = device.Allocate<int>(rays);
        var args = new MarchArgs
        {
            Origins = o.All.Pointer(), Directions = d.All.Pointer(), Jitter = j.All.Pointer(), Bitfield = bits.All.Pointer(),
            Counts = counts.All.Pointer(), Offsets = offsets.All.Pointer(),
            StepUnit = grid.StepUnit, NearDistance = settings.NearDistance,
            Cone = c.Cone, MinStep = stepping.MinStep, MaxStep = stepping.MaxStep, Log1pC = c.Log1pC, A = c.A, B = c.B, At = c.At, Bt = c.Bt,
            Resolution = grid.Resolution, Cascades = grid.Cascades, MipLevels = grid.MipLevels, CellsPerCascade = grid.CellsPerCascade,
            MaxSamples = settings.MaxSamplesPerRay, SkipEmpty = skipEmpty ? 1 : 0, RayCount = rays,
        };
        SetVector(args.Centre, grid.Centre);
        SetVector(args.BaseSize, grid.BaseSize);
        SetVector(args.BoxMin, grid.RenderBox.Min);
        SetVector(args.BoxMax, grid.RenderBox.Max);
        var shape = LaunchShape.Linear(rays, 128);
        device.Launch(device.Modules.GetFunction("RayMarcher.cu", "kernel_march_count"), shape, args);
        device.CopyToHost(counts.All, output.RayCounts.AsSpan(0, rays));
        long total = 0;
        for (int r = 0; r < rays; r++)
        {
            output.RayOffsets[r] = (int)total;
            total += output.RayCounts[r];
        }
        if (total > int.MaxValue) throw new InvalidOperationException($"march: {total} samples do not fit one batch");
        int samples = (int)total;
        output.EnsureCapacity(samples);
        output.Count = samples;
        if (samples == 0) return;
        device.CopyFromHost<int>(output.RayOffsets, offsets.All);
        using var rayIndices = device.Allocate<int>(samples);
        using var tStarts = device.Allocate<float>(samples);
        using var tEnds = device.Allocate<float>(samples);
        args.RayIndices = rayIndices.All.Pointer();
        args.TStarts = tStarts.All.Pointer();
        args.TEnds = tEnds.All.Pointer();
        device.Launch(device.Modules.GetFunction("RayMarcher.cu", "kernel_march_fill"), shape, args);
        device.CopyToHost(rayIndices.All, output.RayIndices.AsSpan(0, samples));
        device.CopyToHost(tStarts.All, output.TStarts.AsSpan(0, samples));
        device.CopyToHost(tEnds.All, output.TEnds.AsSpan(0, samples));
    }

    static unsafe void SetVector(float* target, System.Numerics.Vector3 v)
    {
        target[0] = v.X; target[1] = v.Y; target[2] = v.Z;
    }
}
