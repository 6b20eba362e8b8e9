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

// CUDA path (VolumeRenderer.cu): one thread per ray. With DeviceRaySamples nothing crosses to the host; the
// host-RaySamples entries upload the ray table and sample intervals ([R] + [R] ints, [S] + [S] floats) per call
// and download the used counts [R].
public sealed partial class VolumeRenderer<T>
{
    const uint CudaThreadsPerBlock = 128;

    /// <summary>
    /// <c>Forward</c> on samples already on the device (CUDA, T = float): the used counts stay on the device
    /// (<see cref="VolumeRenderOutput{T}.UsedCountsOnDevice"/>); the host <see cref="VolumeRenderOutput{T}.UsedCounts"/>
    /// is not filled and <see cref="VolumeRenderOutput{T}.TotalUsed"/> is −1 (compaction's scan gives the total).
    /// The ray table is trusted (it comes from the device marcher or compaction).
    /// </summary>
    public void Forward(DeviceRaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour,
        RayBackground<T> background, VolumeRenderOutput<T> output, bool storeWeights = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckDeviceInputs(samples, rawDensity, rawColour, background, output.Backend);
        output.Prepare(samples.RayCount, samples.Count, storeWeights);
        LaunchForward(samples, rawDensity, rawColour, background, output);
        output.TotalUsed = -1;
    }

    /// <summary><c>Backward</c> on device samples; reads the forward's device used counts.</summary>
    public void Backward(DeviceRaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour,
        RayBackground<T> background, VolumeRenderOutput<T> forward, DeviceMatrix<T> dLdColour,
        ColumnRange<T> dLdRawDensity, ColumnRange<T> dLdRawColour,
        DeviceMatrix<T> dLdOpacity = default, DeviceMatrix<T> dLdDepth = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        CheckDeviceInputs(samples, rawDensity, rawColour, background, forward.Backend);
        int rays = samples.RayCount;
        if (forward.RayCount != rays) throw new ArgumentException($"volume renderer: forward output has {forward.RayCount} rays, the samples {rays}");
        var backend = forward.Backend;
        CheckRayMatrix(dLdColour, "dL/dColour", rays, 3, required: true, backend);
        CheckRayMatrix(dLdOpacity, "dL/dOpacity", rays, 1, required: false, backend);
        CheckRayMatrix(dLdDepth, "dL/dDepth", rays, 1, required: false, backend);
        dLdRawDensity.CheckShape("dL/draw_density", samples.Count, 1);
        dLdRawColour.CheckShape("dL/draw_colour", samples.Count, 3);
        RequireBackend(dLdRawDensity.Matrix, "dL/draw_density", backend);
        RequireBackend(dLdRawColour.Matrix, "dL/draw_colour", backend);
        LaunchBackward(samples, rawDensity, rawColour, background, forward, dLdColour, dLdRawDensity, dLdRawColour, dLdOpacity, dLdDepth);
    }

    static void CheckDeviceInputs(DeviceRaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background, Backend backend)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (backend.Kind != BackendKind.Cuda || !ReferenceEquals(samples.Backend, backend))
            throw new ArgumentException($"volume renderer: device samples live on {samples.Backend.Kind}, the output on {backend.Kind} (device samples need one CUDA backend)");
        RequireFloat();
        rawDensity.CheckShape("raw density", samples.Count, 1);
        rawColour.CheckShape("raw colour", samples.Count, 3);
        RequireBackend(rawDensity.Matrix, "raw density", backend);
        RequireBackend(rawColour.Matrix, "raw colour", backend);
        if (background.IsPerRay) RequireBackend(background.PerRayColours, "the background", backend);
        background.CheckShape(samples.RayCount);
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
        using var device = new DeviceRaySamples(cuda);
        device.CopyFrom(samples);
        LaunchForward(device, rawDensity, rawColour, background, output);
        // The used counts are host memory here (training on host samples compacts with them): one [R] copy back.
        cuda.CopyToHost(output.UsedCountsOnDevice, output.UsedCountsArray.AsSpan(0, rays));
        long total = 0;
        foreach (int n in output.UsedCounts) total += n;
        output.TotalUsed = total;
    }

    void LaunchForward(DeviceRaySamples device, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background,
        VolumeRenderOutput<T> output)
    {
        int rays = device.RayCount;
        if (rays == 0) return;
        var cuda = output.Backend.Cuda();
        var (bg, bgR, bgG, bgB) = CudaBackground(background);
        cuda.Launch(cuda.Modules.GetFunction("VolumeRenderer.cu", "kernel_volume_render_forward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new VolumeRenderForwardArgs
            {
                RayOffsets = device.RayOffsets.Pointer(), RayCounts = device.RayCounts.Pointer(),
                TStarts = device.TStarts.Pointer(), TEnds = device.TEnds.Pointer(),
                Density = ColumnPointer(rawDensity), Colour = ColumnPointer(rawColour), Background = bg,
                OutColour = output.Colour.Pointer(), Foreground = output.Foreground.Pointer(),
                Opacity = output.Opacity.Pointer(), Depth = output.Depth.Pointer(),
                Weights = output.Weights.Pointer(), Used = output.UsedCountsOnDevice.Pointer(),
                Rays = (uint)rays, DensityStride = (uint)rawDensity.Stride, ColourStride = (uint)rawColour.Stride,
                Threshold = (float)TransmittanceThreshold, BgR = bgR, BgG = bgG, BgB = bgB,
            });
    }

    void BackwardCuda(RaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background,
        VolumeRenderOutput<T> forward, DeviceMatrix<T> dLdColour, ColumnRange<T> dLdRawDensity, ColumnRange<T> dLdRawColour,
        DeviceMatrix<T> dLdOpacity, DeviceMatrix<T> dLdDepth)
    {
        RequireFloat();
        int rays = samples.RayCount;
        if (rays == 0) return;
        var cuda = forward.Backend.Cuda();
        using var device = new DeviceRaySamples(cuda);
        device.CopyFrom(samples);
        cuda.CopyFromHost(forward.UsedCounts, forward.UsedCountsOnDevice); // the host counts are the contract here
        LaunchBackward(device, rawDensity, rawColour, background, forward, dLdColour, dLdRawDensity, dLdRawColour, dLdOpacity, dLdDepth);
        // The uploads are freed at the end of this call; the pool reuses them only after queued work (stream order).
    }

    void LaunchBackward(DeviceRaySamples device, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background,
        VolumeRenderOutput<T> forward, DeviceMatrix<T> dLdColour, ColumnRange<T> dLdRawDensity, ColumnRange<T> dLdRawColour,
        DeviceMatrix<T> dLdOpacity, DeviceMatrix<T> dLdDepth)
    {
        int rays = device.RayCount;
        if (rays == 0) return;
        var cuda = forward.Backend.Cuda();
        var (bg, bgR, bgG, bgB) = CudaBackground(background);
        cuda.Launch(cuda.Modules.GetFunction("VolumeRenderer.cu", "kernel_volume_render_backward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new VolumeRenderBackwardArgs
            {
                RayOffsets = device.RayOffsets.Pointer(), RayCounts = device.RayCounts.Pointer(),
                TStarts = device.TStarts.Pointer(), TEnds = device.TEnds.Pointer(),
                Density = ColumnPointer(rawDensity), Colour = ColumnPointer(rawColour), Background = bg,
                Foreground = forward.Foreground.Pointer(), Opacity = forward.Opacity.Pointer(), Depth = forward.Depth.Pointer(),
                Used = forward.UsedCountsOnDevice.Pointer(), DLdColour = dLdColour.Pointer(),
                DLdOpacity = dLdOpacity.Pointer(), DLdDepth = dLdDepth.Pointer(),
                DLdRawDensity = ColumnPointer(dLdRawDensity), DLdRawColour = ColumnPointer(dLdRawColour),
                Rays = (uint)rays, DensityStride = (uint)rawDensity.Stride, ColourStride = (uint)rawColour.Stride,
                GradDensityStride = (uint)dLdRawDensity.Stride, GradColourStride = (uint)dLdRawColour.Stride,
                BgR = bgR, BgG = bgG, BgB = bgB,
            });
    }
}
