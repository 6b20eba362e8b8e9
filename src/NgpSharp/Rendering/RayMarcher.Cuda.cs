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
    public ulong RngState, RngIncrement;
    public fixed float Centre[3];
    public fixed float BaseSize[3];
    public fixed float BoxMin[3];
    public fixed float BoxMax[3];
    public float StepUnit, NearDistance, Cone, MinStep, MaxStep, Log1pC, A, B, At, Bt;
    public int Resolution, Cascades, MipLevels, CellsPerCascade, MaxSamples, SkipEmpty, RayCount, JitterMode;
}

public static partial class RayMarcher
{
    const int JitterArray = 0, JitterRng = 1, JitterHalf = 2;

    /// <summary>
    /// The training march on the device, device in and out: origins, directions: [R, 3] device rows (unit
    /// directions, not checked here: they come from the device ray generator); <paramref name="bitfield"/>: the grid's
    /// bitfield on the device (<see cref="OccupancyGrid.Bitfield"/>'s layout). Ray r's jitter is draw r of
    /// <paramref name="rng"/> (drawn in the kernel, as the CPU's); rng moves past R draws. Count pass → device
    /// exclusive scan → fill pass: only the sample total crosses to the host.
    /// </summary>
    public static void March(CudaBackend device, DeviceSpan<float> origins, DeviceSpan<float> directions, OccupancyGrid grid,
        DeviceSpan<byte> bitfield, MarchSettings settings, ref Rng rng, CudaScan scan, DeviceRaySamples output)
    {
        int rays = CheckDeviceRays(origins, directions);
        RunDevice(device, origins, directions, rays, grid, bitfield, settings, JitterRng, rng, default, skipEmpty: true, scan, output);
        rng.Advance(rays);
    }

    /// <summary>The inference march (jitter ½) on the device, device in and out; see the training overload.</summary>
    public static void MarchInference(CudaBackend device, DeviceSpan<float> origins, DeviceSpan<float> directions, OccupancyGrid grid,
        DeviceSpan<byte> bitfield, MarchSettings settings, CudaScan scan, DeviceRaySamples output)
    {
        int rays = CheckDeviceRays(origins, directions);
        RunDevice(device, origins, directions, rays, grid, bitfield, settings, JitterHalf, default, default, skipEmpty: true, scan, output);
    }

    static int CheckDeviceRays(DeviceSpan<float> origins, DeviceSpan<float> directions)
    {
        if (origins.Length % 3 != 0 || origins.Length != directions.Length)
            throw new ArgumentException($"march: origins ({origins.Length}) and directions ({directions.Length}) must both be [R, 3]");
        return (int)(origins.Length / 3);
    }

    /// <summary>
    /// <see cref="March(ReadOnlySpan{float}, ReadOnlySpan{float}, OccupancyGrid, MarchSettings, ref Rng, RaySamples)"/> on a
    /// CUDA device (RayMarcher.cu): the same samples. Host in and out: rays and the grid's host bitfield are uploaded,
    /// the jitter is drawn in the kernel from the same pcg32 positions as the CPU march, the samples downloaded.
    /// </summary>
    public static void March(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, ref Rng rng, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(device);
        int rays = CheckRays(origins, directions, output);
        RunHostToDevice(device, origins, directions, grid, settings, JitterRng, rng, null, skipEmpty: true, output);
        rng.Advance(rays);
    }

    /// <summary><see cref="MarchInference(ReadOnlySpan{float}, ReadOnlySpan{float}, OccupancyGrid, MarchSettings, RaySamples)"/> on a CUDA device (host in and out).</summary>
    public static void MarchInference(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(device);
        CheckRays(origins, directions, output);
        RunHostToDevice(device, origins, directions, grid, settings, JitterHalf, default, null, skipEmpty: true, output);
    }

    /// <summary>Marches with given per-ray offsets on the device (the parity checks' entry).</summary>
    internal static void MarchWithOffsets(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, float[] jitter, RaySamples output, bool skipEmpty = true)
    {
        CheckRays(origins, directions, output);
        RunHostToDevice(device, origins, directions, grid, settings, JitterArray, default, jitter, skipEmpty, output);
    }

    static void RunHostToDevice(CudaBackend device, ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, OccupancyGrid grid,
        MarchSettings settings, int jitterMode, Rng rng, float[]? jitter, bool skipEmpty, RaySamples output)
    {
        ArgumentNullException.ThrowIfNull(grid);
        output.Count = 0;
        if (origins.Length == 0) return;
        using var o = device.Upload(origins);
        using var d = device.Upload(directions);
        using var j = jitter is null ? null : device.Upload<float>(jitter);
        using var bits = device.Upload<byte>(grid.Bitfield);
        using var scan = new CudaScan(device);
        using var samples = new DeviceRaySamples(device);
        RunDevice(device, o.All, d.All, origins.Length / 3, grid, bits.All, settings, jitterMode, rng, j is null ? default : j.All, skipEmpty, scan, samples);
        samples.CopyTo(output);
    }

    /// <summary>Count pass, device exclusive scan (only the total comes back), fill pass; one thread per ray.</summary>
    static unsafe void RunDevice(CudaBackend device, DeviceSpan<float> origins, DeviceSpan<float> directions, int rays, OccupancyGrid grid,
        DeviceSpan<byte> bitfield, MarchSettings settings, int jitterMode, Rng rng, DeviceSpan<float> jitter, bool skipEmpty,
        CudaScan scan, DeviceRaySamples output)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(grid);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(scan);
        ArgumentNullException.ThrowIfNull(output);
        settings.Validate();
        if (bitfield.Length != grid.Bitfield.Length)
            throw new ArgumentException($"march: the device bitfield holds {bitfield.Length} bytes, the grid's {grid.Bitfield.Length}");
        if (jitterMode == JitterArray && jitter.Length != rays) throw new ArgumentException($"march: {jitter.Length} jitter values for {rays} rays");
        output.ResetRays(rays);
        if (rays == 0) return;
        var stepping = new ConeStepping(settings.ConeAngle, settings.MinStepSize ?? grid.MinStepSize, settings.MaxStepSize ?? grid.MaxStepSize);
        var c = stepping.Constants;
        var args = new MarchArgs
        {
            Origins = origins.Pointer(), Directions = directions.Pointer(), Jitter = jitter.Pointer(), Bitfield = bitfield.Pointer(),
            Counts = output.RayCounts.Pointer(), Offsets = output.RayOffsets.Pointer(),
            RngState = rng.State, RngIncrement = rng.Increment,
            StepUnit = grid.StepUnit, NearDistance = settings.NearDistance,
            Cone = c.Cone, MinStep = stepping.MinStep, MaxStep = stepping.MaxStep, Log1pC = c.Log1pC, A = c.A, B = c.B, At = c.At, Bt = c.Bt,
            Resolution = grid.Resolution, Cascades = grid.Cascades, MipLevels = grid.MipLevels, CellsPerCascade = grid.CellsPerCascade,
            MaxSamples = settings.MaxSamplesPerRay, SkipEmpty = skipEmpty ? 1 : 0, RayCount = rays, JitterMode = jitterMode,
        };
        SetVector(args.Centre, grid.Centre);
        SetVector(args.BaseSize, grid.BaseSize);
        SetVector(args.BoxMin, grid.RenderBox.Min);
        SetVector(args.BoxMax, grid.RenderBox.Max);
        var shape = LaunchShape.Linear(rays, 128);
        device.Launch(device.Modules.GetFunction("RayMarcher.cu", "kernel_march_count"), shape, args);
        long total = scan.ExclusiveScan(output.RayCounts, output.RayOffsets);
        if (total > int.MaxValue) throw new InvalidOperationException($"march: {total} samples do not fit one batch");
        output.SetCount((int)total);
        if (total == 0) return;
        args.RayIndices = output.RayIndices.Pointer();
        args.TStarts = output.TStarts.Pointer();
        args.TEnds = output.TEnds.Pointer();
        device.Launch(device.Modules.GetFunction("RayMarcher.cu", "kernel_march_fill"), shape, args);
    }

    static unsafe void SetVector(float* target, System.Numerics.Vector3 v)
    {
        target[0] = v.X; target[1] = v.Y; target[2] = v.Z;
    }
}
