using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Rendering;

/// <summary>Mirrors NeusRenderForwardArgs in NeusRenderer.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusRenderForwardArgs
{
    public ulong RayOffsets, RayCounts, TStarts, TEnds, Sdf, Gradient, Rgb, Directions, Background;
    public ulong OutColour, Foreground, Normal, Opacity, Depth, Alpha, Transmittance, Weights, Used;
    public uint Rays, SdfStride, GradientStride, RgbStride;
    public float Threshold, InvS, CosAnnealRatio, BgR, BgG, BgB;
    public uint NormalizeCos, Padding;
}

/// <summary>Mirrors NeusRenderBackwardArgs in NeusRenderer.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusRenderBackwardArgs
{
    public ulong RayOffsets, RayCounts, TStarts, TEnds, Sdf, Gradient, Rgb, Directions, Background;
    public ulong Opacity, Transmittance, Used, DLdColour, DLdOpacity, DLdDepth, DLdNormal, DLdBackground;
    public ulong DLdSdf, DLdGradient, DLdRgb, InvSPartials;
    public uint Rays, SdfStride, GradientStride, RgbStride, GradSdfStride, GradGradientStride, GradRgbStride;
    public float InvS, CosAnnealRatio, BgR, BgG, BgB;
    public uint NormalizeCos, Padding;
}

// CUDA path (NeusRenderer.cu): one thread per ray. With host RaySamples each call uploads the ray table and the
// sample intervals ([R] + [R] ints, [S] + [S] floats); used counts and dL/dinv_s partials come back ([R] each).
// With DeviceRaySamples (NeusRenderer.Device.cs) nothing crosses to the host.
public sealed partial class NeusRenderer<T>
{
    const uint CudaThreadsPerBlock = 128;

    sealed class UploadedSamples : IDisposable
    {
        public readonly DeviceBuffer<int> Offsets, Counts, Used;
        public readonly DeviceBuffer<float> TStarts, TEnds;

        public UploadedSamples(Backend backend, RaySamples samples)
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
        if (typeof(T) != typeof(float)) throw new NotSupportedException("CUDA kernels run in float; use NeusRenderer<float>");
    }

    /// <summary>Address of column First of row 0.</summary>
    static ulong ColumnPointer(ColumnRange<T> range) => range.Matrix.Pointer() + (ulong)range.First * sizeof(float);

    static (ulong Pointer, float R, float G, float B) CudaBackground(RayBackground<T> background)
    {
        if (background.IsPerRay) return (background.PerRayColours.Pointer(), 0f, 0f, 0f);
        var (r, g, b) = background.Colour;
        return (0, float.CreateChecked(r), float.CreateChecked(g), float.CreateChecked(b));
    }

    void ForwardCuda(in NeusRenderInputs<T> x, NeusRenderOutput<T> output)
    {
        RequireFloat();
        int rays = x.Samples.RayCount;
        if (rays == 0) { output.TotalUsed = 0; return; }
        var cuda = output.Backend.Cuda();
        using var device = new UploadedSamples(cuda, x.Samples);
        var (bg, bgR, bgG, bgB) = CudaBackground(x.Background);
        cuda.Launch(cuda.Modules.GetFunction("NeusRenderer.cu", "kernel_neus_render_forward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new NeusRenderForwardArgs
            {
                RayOffsets = device.Offsets.All.Pointer(), RayCounts = device.Counts.All.Pointer(),
                TStarts = device.TStarts.All.Pointer(), TEnds = device.TEnds.All.Pointer(),
                Sdf = ColumnPointer(x.Sdf), Gradient = ColumnPointer(x.Gradient), Rgb = ColumnPointer(x.Rgb),
                Directions = x.Directions.Pointer(), Background = bg,
                OutColour = output.Colour.Pointer(), Foreground = output.Foreground.Pointer(), Normal = output.Normal.Pointer(),
                Opacity = output.Opacity.Pointer(), Depth = output.Depth.Pointer(),
                Alpha = output.Alpha.Pointer(), Transmittance = output.Transmittance.Pointer(), Weights = output.Weights.Pointer(),
                Used = device.Used.All.Pointer(),
                Rays = (uint)rays, SdfStride = (uint)x.Sdf.Stride, GradientStride = (uint)x.Gradient.Stride, RgbStride = (uint)x.Rgb.Stride,
                Threshold = (float)TransmittanceThreshold, InvS = float.CreateChecked(x.InvS), CosAnnealRatio = float.CreateChecked(x.CosAnnealRatio),
                BgR = bgR, BgG = bgG, BgB = bgB, NormalizeCos = NormalizeGradientForCosine ? 1u : 0u,
            });
        cuda.CopyToHost(device.Used.All.Slice(0, rays), output.UsedCountsArray.AsSpan(0, rays));
        long total = 0;
        foreach (int n in output.UsedCounts) total += n;
        output.TotalUsed = total;
    }

    void BackwardCuda(in NeusRenderInputs<T> x, NeusRenderOutput<T> forward, DeviceMatrix<T> dLdColour,
        ColumnRange<T> dLdSdf, ColumnRange<T> dLdGradient, ColumnRange<T> dLdRgb,
        DeviceMatrix<T> dLdOpacity, DeviceMatrix<T> dLdDepth, DeviceMatrix<T> dLdNormal, DeviceMatrix<T> dLdBackground)
    {
        RequireFloat();
        int rays = x.Samples.RayCount;
        if (rays == 0) return;
        var cuda = forward.Backend.Cuda();
        using var device = new UploadedSamples(cuda, x.Samples);
        using var partials = cuda.Allocate<float>(rays);
        cuda.CopyFromHost(forward.UsedCounts, device.Used.All.Slice(0, rays));
        var (bg, bgR, bgG, bgB) = CudaBackground(x.Background);
        cuda.Launch(cuda.Modules.GetFunction("NeusRenderer.cu", "kernel_neus_render_backward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new NeusRenderBackwardArgs
            {
                RayOffsets = device.Offsets.All.Pointer(), RayCounts = device.Counts.All.Pointer(),
                TStarts = device.TStarts.All.Pointer(), TEnds = device.TEnds.All.Pointer(),
                Sdf = ColumnPointer(x.Sdf), Gradient = ColumnPointer(x.Gradient), Rgb = ColumnPointer(x.Rgb),
                Directions = x.Directions.Pointer(), Background = bg,
                Opacity = forward.Opacity.Pointer(), Transmittance = forward.Transmittance.Pointer(), Used = device.Used.All.Pointer(),
                DLdColour = dLdColour.Pointer(), DLdOpacity = dLdOpacity.Pointer(), DLdDepth = dLdDepth.Pointer(),
                DLdNormal = dLdNormal.Pointer(), DLdBackground = dLdBackground.Pointer(),
                DLdSdf = ColumnPointer(dLdSdf), DLdGradient = ColumnPointer(dLdGradient), DLdRgb = ColumnPointer(dLdRgb),
                InvSPartials = partials.All.Pointer(),
                Rays = (uint)rays, SdfStride = (uint)x.Sdf.Stride, GradientStride = (uint)x.Gradient.Stride, RgbStride = (uint)x.Rgb.Stride,
                GradSdfStride = (uint)dLdSdf.Stride, GradGradientStride = (uint)dLdGradient.Stride, GradRgbStride = (uint)dLdRgb.Stride,
                InvS = float.CreateChecked(x.InvS), CosAnnealRatio = float.CreateChecked(x.CosAnnealRatio),
                BgR = bgR, BgG = bgG, BgB = bgB, NormalizeCos = NormalizeGradientForCosine ? 1u : 0u,
            });
        // [R] partials to the host, summed there in ray order like the CPU path.
        var host = (float[])(object)forward.InvSPartials;
        cuda.CopyToHost(partials.All.Slice(0, rays), host.AsSpan(0, rays));
    }
}
