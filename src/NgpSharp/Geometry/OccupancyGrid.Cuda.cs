using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Geometry;

/// <summary>Mirrors OccupancyArgs in OccupancyGrid.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OccupancyArgs
{
    public ulong Densities, Splat, Clamped, Bitfield, Cells, Sigma;
    public uint Count, CellsPerCascade, Cascades, Resolution, Mip;
    public float Decay, Threshold, MinStep;
}

public sealed partial class OccupancyGrid
{
    /// <summary>
    /// <see cref="Update(int, DensityFunction, ref Rng)"/> with the splat, decay, threshold and bitfield on a CUDA device
    /// (OccupancyGrid.cu). The cell choice, jitter and σ evaluation stay on the host (same Rng use as the CPU), so the
    /// result equals the CPU's: densities bit for bit, the threshold up to the order of a double sum. The host arrays
    /// stay the source of truth: they are uploaded, updated on the device and downloaded. With
    /// <paramref name="deviceBitfield"/> (Bitfield.Length bytes on the device) the new bitfield is built there and
    /// left there for a device marcher (and still downloaded to the host copy).
    /// </summary>
    public bool Update(CudaBackend device, int step, DensityFunction density, ref Rng rng, DeviceSpan<byte> deviceBitfield = default)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(density);
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "training step must be ≥ 0");
        if (!IsUpdateStep(step)) return false;

        var plan = step < WarmupSteps ? PlanAllSeenCells() : PlanUniformAndOccupied();
        using var densities = device.Upload<float>(Densities);
        using var splat = device.Allocate<float>(Densities.Length);
        device.Fill(splat.All, 0f);
        int batch = Math.Max(1, Math.Min(EvaluationBatchSize, Math.Max(plan.SampleCount, 1)));
        using var cellsOnDevice = device.Allocate<int>(batch);
        using var sigmaOnDevice = device.Allocate<float>(batch);
        EvaluateSamples(plan, density, rng, (cells, sigma, count) =>
        {
            device.CopyFromHost<int>(cells.AsSpan(0, count), cellsOnDevice.All.Slice(0, count));
            device.CopyFromHost<float>(sigma.AsSpan(0, count), sigmaOnDevice.All.Slice(0, count));
            Launch(device, "kernel_occupancy_splat", count, new OccupancyArgs
            {
                Splat = splat.All.Pointer(), Cells = cellsOnDevice.All.Pointer(), Sigma = sigmaOnDevice.All.Pointer(),
                Count = (uint)count, MinStep = MinStepSize,
            });
        });
        rng.Advance((long)plan.SampleCount * DrawsPerSample);

        using var scratch = deviceBitfield.IsEmpty ? device.Allocate<byte>(Bitfield.Length) : null;
        var bitfield = scratch is null ? deviceBitfield : scratch.All;
        Threshold = DecayAndRebuild(device, densities.All, splat.All, Decay, bitfield);
        device.CopyToHost(densities.All, Densities);
        device.CopyToHost(bitfield, Bitfield);
        UpdateCount++;
        LastSampleCount = plan.SampleCount;
        return true;
    }

    /// <summary><see cref="RebuildBitfield()"/> on a CUDA device: threshold and every bitfield level from the host densities.</summary>
    public void RebuildBitfield(CudaBackend device)
    {
        ArgumentNullException.ThrowIfNull(device);
        using var densities = device.Upload<float>(Densities);
        using var bitfield = device.Allocate<byte>(Bitfield.Length);
        // Decay 1 against itself: every density stays, and the pass still gathers cascade 0's clamped values.
        Threshold = DecayAndRebuild(device, densities.All, densities.All, 1f, bitfield.All);
        device.CopyToHost(bitfield.All, Bitfield);
    }

    /// <summary>
    /// On device buffers: densities [Cascades × N] ← max(densities·decay, splat) where seen; then the threshold
    /// min(0.01, mean of max(density, 0) over cascade 0) and bitfield [MipLevels × N/8] (own bits, then the max-pool
    /// levels in order). Returns the threshold.
    /// </summary>
    internal float DecayAndRebuild(CudaBackend device, DeviceSpan<float> densities, DeviceSpan<float> splat, float decay, DeviceSpan<byte> bitfield)
    {
        if (densities.Length != Densities.Length || splat.Length != Densities.Length || bitfield.Length != Bitfield.Length)
            throw new ArgumentException($"occupancy grid: device buffers must hold {Densities.Length} densities and {Bitfield.Length} bitfield bytes");
        int n = CellsPerCascade;
        using var clamped = device.Allocate<float>(n);
        var args = new OccupancyArgs
        {
            Densities = densities.Pointer(), Splat = splat.Pointer(), Clamped = clamped.All.Pointer(), Bitfield = bitfield.Pointer(),
            Count = (uint)densities.Length, CellsPerCascade = (uint)n, Cascades = (uint)Cascades, Resolution = (uint)Resolution,
            Decay = decay,
        };
        Launch(device, "kernel_occupancy_decay", densities.Length, args);
        double sum;
        using (var reductions = new CudaReductions(device)) sum = reductions.Sum(clamped.All);
        float threshold = MathF.Min(MinOpticalThickness, (float)(sum / n));

        args.Threshold = threshold;
        args.Count = (uint)bitfield.Length;
        Launch(device, "kernel_occupancy_bitfield", bitfield.Length, args);
        args.Count = (uint)(n / 8);
        for (int m = 1; m < MipLevels; m++)
        {
            args.Mip = (uint)m;
            Launch(device, "kernel_occupancy_max_pool", n / 8, args);
        }
        return threshold;
    }

    static void Launch(CudaBackend device, string kernel, long threads, in OccupancyArgs args)
    {
        if (threads == 0) return;
        device.Launch(device.Modules.GetFunction("OccupancyGrid.cu", kernel), LaunchShape.Linear(threads, 128), args);
    }
}
