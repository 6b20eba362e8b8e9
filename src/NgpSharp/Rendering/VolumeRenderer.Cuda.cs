using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Rendering;

/// <summary>Mirrors VolumeRenderForwardArgs in VolumeRenderer.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VolumeRenderForwardArgs
{
    public ulong RayOffsets, RayCounts, TStarts, TEnds, Density, Colour, Background;
    public ulong OutColour, Foreground, Opacity, Depth, Weights, Used;
    public uint Rays, DensityStride, ColourStride;
    public float Threshold, BgR, BgG, BgB;
    public uint Padding;
}

/// <summary>Mirrors VolumeRenderBackwardArgs in VolumeRenderer.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VolumeRenderBackwardArgs
{
    public ulong RayOffsets, RayCounts, TStarts, TEnds, Density, Colour, Background;
    public ulong Foreground, Opacity, Depth, Used, DLdColour, DLdOpacity, DLdDepth, DLdRawDensity, DLdRawColour;
    public uint Rays, DensityStride, ColourStride, GradDensityStride, GradColourStride;
    public float BgR, BgG, BgB;
}

// CUDA path (VolumeRenderer.cu): one thread per ray. RaySamples lives on the host, so each call uploads the
// ray table and the sample intervals it needs ([R] + [R] ints, [S] + [S] floats).
public sealed partial class VolumeRenderer<T>
{
    const uint CudaThreadsPerBlock = 128;

    /// <summary>The device copy of a RaySamples' ray table and intervals, for one call.</summary>
    sealed class DeviceRaySamples : IDisposable
    {
        public readonly DeviceBuffer<int> Offsets, Counts, Used;
        public readonly DeviceBuffer<float> TStarts, TEnds;

        public DeviceRaySamples(Backend backend, RaySamples samples)
        {
            int rays = samples.RayCount, count = samples.Count;
            Offsets = Upload<int>(backend, samples.RayOffsets.AsSpan(0, rays));
            Counts = Upload<int>(backend, samples.RayCounts.AsSpan(0, rays));
            Used = backend.Allocate<int>(Math.Max(rays, 1));
            TStarts = Upload<float>(backend, samples.TStarts.AsSpan(0, count));
            TEnds = Upload<float>(backend, samples.TEnds.AsSpan(0, count));
        }

        static DeviceBuffer<TE> Upload<TE>(Backend backend, ReadOnlySpan<TE> values) where TE : unmanaged
        {
            var buffer = backend.Allocate<TE>(Math.Max(values.Length, 1));
            if (values.Length > 0) backend.CopyFromHost(values, buffer.All.Slice(0, values.Length));
            return buffer;
        }

        public void Dispose()
        {
            Offsets.Dispose(); Counts.Dispose(); Used.Dispose(); TStarts.Dispose(); TEnds.Dispose();
        }
    }

    static void RequireFloat()
    {
        if (typeof(T) != typeof(float)) throw new NotSupportedException("CUDA kernels run in float; use VolumeRenderer<float>");
    }

    /// <summary>Address of column First of row 0.</summary>
    static ulong ColumnPointer(ColumnRange<T> range) => range.Matrix.Pointer() + (ulong)range.First * sizeof(float);

    static (ulong Pointer, float R, float G, float B) CudaBackground(RayBackground<T> background)
    {
        if (background.IsPerRay) return (background.PerRayColours.Pointer(), 0f, 0f, 0f);
        var (r, g, b) = background.Colour;
        return (0, float.CreateChecked(r), float.CreateChecked(g), float.CreateChecked(b));
    }

    void ForwardCuda(RaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background,
        VolumeRenderOutput<T> output)
    {
        RequireFloat();
        int rays = samples.RayCount;
        if (rays == 0) { output.TotalUsed = 0; return; }
        var cuda = output.Backend.Cuda();
        using var device = new DeviceRaySamples(cuda, samples);
        var (bg, bgR, bgG, bgB) = CudaBackground(background);
        cuda.Launch(cuda.Modules.GetFunction("VolumeRenderer.cu", "kernel_volume_render_forward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new VolumeRenderForwardArgs
            {
                RayOffsets = device.Offsets.All.Pointer(), RayCounts = device.Counts.All.Pointer(),
                TStarts = device.TStarts.All.Pointer(), TEnds = device.TEnds.All.Pointer(),
                Density = ColumnPointer(rawDensity), Colour = ColumnPointer(rawColour), Background = bg,
                OutColour = output.Colour.Pointer(), Foreground = output.Foreground.Pointer(),
                Opacity = output.Opacity.Pointer(), Depth = output.Depth.Pointer(),
                Weights = output.Weights.Pointer(), Used = device.Used.All.Pointer(),
                Rays = (uint)rays, DensityStride = (uint)rawDensity.Stride, ColourStride = (uint)rawColour.Stride,
                Threshold = (float)TransmittanceThreshold, BgR = bgR, BgG = bgG, BgB = bgB,
            });
        // The used counts are host memory (training compacts with them): one [R] copy back.
        cuda.CopyToHost(device.Used.All.Slice(0, rays), output.UsedCountsArray.AsSpan(0, rays));
        long total = 0;
        foreach (int n in output.UsedCounts) total += n;
        output.TotalUsed = total;
    }

    void BackwardCuda(RaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background,
        VolumeRenderOutput<T> forward, DeviceMatrix<T> dLdColour, ColumnRange<T> dLdRawDensity, ColumnRange<T> dLdRawColour,
        DeviceMatrix<T> dLdOpacity, DeviceMatrix<T> dLdDepth)
    {
        RequireFloat();
        int rays = samples.RayCount;
        if (rays == 0) return;
        var cuda = forward.Backend.Cuda();
        using var device = new DeviceRaySamples(cuda, samples);
        cuda.CopyFromHost(forward.UsedCounts, device.Used.All.Slice(0, rays));
        var (bg, bgR, bgG, bgB) = CudaBackground(background);
        cuda.Launch(cuda.Modules.GetFunction("VolumeRenderer.cu", "kernel_volume_render_backward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new VolumeRenderBackwardArgs
            {
                RayOffsets = device.Offsets.All.Pointer(), RayCounts = device.Counts.All.Pointer(),
                TStarts = device.TStarts.All.Pointer(), TEnds = device.TEnds.All.Pointer(),
                Density = ColumnPointer(rawDensity), Colour = ColumnPointer(rawColour), Background = bg,
                Foreground = forward.Foreground.Pointer(), Opacity = forward.Opacity.Pointer(), Depth = forward.Depth.Pointer(),
                Used = device.Used.All.Pointer(), DLdColour = dLdColour.Pointer(),
                DLdOpacity = dLdOpacity.Pointer(), DLdDepth = dLdDepth.Pointer(),
                DLdRawDensity = ColumnPointer(dLdRawDensity), DLdRawColour = ColumnPointer(dLdRawColour),
                Rays = (uint)rays, DensityStride = (uint)rawDensity.Stride, ColourStride = (uint)rawColour.Stride,
                GradDensityStride = (uint)dLdRawDensity.Stride, GradColourStride = (uint)dLdRawColour.Stride,
                BgR = bgR, BgG = bgG, BgB = bgB,
            });
        // The uploads are freed at the end of this call; the pool reuses them only after queued work (stream order).
    }
}
