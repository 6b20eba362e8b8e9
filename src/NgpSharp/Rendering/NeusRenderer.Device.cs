using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Rendering;

/// <summary>
/// <see cref="NeusRenderInputs{T}"/> with the samples on a CUDA device (from the device marcher): the same fields,
/// every matrix a device view.
/// </summary>
public readonly record struct NeusDeviceRenderInputs<T>(
    DeviceRaySamples Samples,
    ColumnRange<T> Sdf,
    ColumnRange<T> Gradient,
    ColumnRange<T> Rgb,
    DeviceMatrix<T> Directions,
    T InvS,
    T CosAnnealRatio,
    RayBackground<T> Background)
    where T : unmanaged, IFloatingPointIeee754<T>;

// The renderer on device samples: the kernels of NeusRenderer.cu, no host copies. The used counts stay on the device
// (NeusRenderOutput.UsedCountsOnDevice) and so do the dL/dinv_s partials (NeusRenderOutput.InvSPartialsOnDevice).
public sealed partial class NeusRenderer<T>
{
    /// <summary>
    /// <see cref="Forward(in NeusRenderInputs{T}, NeusRenderOutput{T})"/> on device samples (CUDA, T = float): the used
    /// counts stay on the device; the host UsedCounts is not filled and TotalUsed is −1. The ray table is trusted
    /// (it comes from the device marcher).
    /// </summary>
    public void Forward(in NeusDeviceRenderInputs<T> x, NeusRenderOutput<T> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var cuda = CheckDeviceInputs(x, output.Backend);
        int rays = x.Samples.RayCount;
        output.Prepare(rays, x.Samples.Count);
        output.PrepareDevice();
        output.TotalUsed = -1;
        if (rays == 0) return;
        var (bg, bgR, bgG, bgB) = CudaBackground(x.Background);
        cuda.Launch(cuda.Modules.GetFunction("NeusRenderer.cu", "kernel_neus_render_forward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new NeusRenderForwardArgs
            {
                RayOffsets = x.Samples.RayOffsets.Pointer(), RayCounts = x.Samples.RayCounts.Pointer(),
                TStarts = x.Samples.TStarts.Pointer(), TEnds = x.Samples.TEnds.Pointer(),
                Sdf = ColumnPointer(x.Sdf), Gradient = ColumnPointer(x.Gradient), Rgb = ColumnPointer(x.Rgb),
                Directions = x.Directions.Pointer(), Background = bg,
                OutColour = output.Colour.Pointer(), Foreground = output.Foreground.Pointer(), Normal = output.Normal.Pointer(),
                Opacity = output.Opacity.Pointer(), Depth = output.Depth.Pointer(),
                Alpha = output.Alpha.Pointer(), Transmittance = output.Transmittance.Pointer(), Weights = output.Weights.Pointer(),
                Used = output.UsedCountsOnDevice.Pointer(),
                Rays = (uint)rays, SdfStride = (uint)x.Sdf.Stride, GradientStride = (uint)x.Gradient.Stride, RgbStride = (uint)x.Rgb.Stride,
                Threshold = (float)TransmittanceThreshold, InvS = float.CreateChecked(x.InvS), CosAnnealRatio = float.CreateChecked(x.CosAnnealRatio),
                BgR = bgR, BgG = bgG, BgB = bgB, NormalizeCos = NormalizeGradientForCosine ? 1u : 0u,
            });
    }

    /// <summary>
    /// <see cref="Backward(in NeusRenderInputs{T}, NeusRenderOutput{T}, DeviceMatrix{T}, ColumnRange{T}, ColumnRange{T}, ColumnRange{T}, DeviceMatrix{T}, DeviceMatrix{T}, DeviceMatrix{T}, DeviceMatrix{T})"/>
    /// on device samples: the same gradients; each ray's share of dL/dinv_s is left in
    /// <see cref="NeusRenderOutput{T}.InvSPartialsOnDevice"/> [R] (sum it on the device, e.g. <see cref="CudaReductions"/>).
    /// <paramref name="forward"/> must be the output of the device <c>Forward</c> on the same inputs.
    /// </summary>
    public void Backward(in NeusDeviceRenderInputs<T> x, NeusRenderOutput<T> forward, DeviceMatrix<T> dLdColour,
        ColumnRange<T> dLdSdf, ColumnRange<T> dLdGradient, ColumnRange<T> dLdRgb,
        DeviceMatrix<T> dLdOpacity = default, DeviceMatrix<T> dLdDepth = default, DeviceMatrix<T> dLdNormal = default,
        DeviceMatrix<T> dLdBackground = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        var backend = forward.Backend;
        var cuda = CheckDeviceInputs(x, backend);
        int rays = x.Samples.RayCount, count = x.Samples.Count;
        if (forward.RayCount != rays || forward.SampleCount != count || forward.UsedCountsOnDevice.Length != rays)
            throw new ArgumentException($"neus renderer: forward output has {forward.RayCount} rays and {forward.SampleCount} samples (device used counts: {forward.UsedCountsOnDevice.Length}), the inputs {rays} and {count}");
        CheckRayMatrix(dLdColour, "dL/dColour", rays, 3, required: true, backend);
        CheckRayMatrix(dLdOpacity, "dL/dOpacity", rays, 1, required: false, backend);
        CheckRayMatrix(dLdDepth, "dL/dDepth", rays, 1, required: false, backend);
        CheckRayMatrix(dLdNormal, "dL/dNormal", rays, 3, required: false, backend);
        CheckRayMatrix(dLdBackground, "dL/dBackground", rays, 3, required: false, backend);
        if (!dLdBackground.IsNull && !x.Background.IsPerRay)
            throw new ArgumentException("neus renderer: dL/dBackground asked for, but the background is a constant colour");
        CheckColumns(dLdSdf, "dL/dsdf", count, 1, backend);
        CheckColumns(dLdGradient, "dL/dgradient", count, 3, backend);
        CheckColumns(dLdRgb, "dL/drgb", count, 3, backend);
        if (rays == 0) return;
        var (bg, bgR, bgG, bgB) = CudaBackground(x.Background);
        cuda.Launch(cuda.Modules.GetFunction("NeusRenderer.cu", "kernel_neus_render_backward"),
            LaunchShape.Linear(rays, CudaThreadsPerBlock), new NeusRenderBackwardArgs
            {
                RayOffsets = x.Samples.RayOffsets.Pointer(), RayCounts = x.Samples.RayCounts.Pointer(),
                TStarts = x.Samples.TStarts.Pointer(), TEnds = x.Samples.TEnds.Pointer(),
                Sdf = ColumnPointer(x.Sdf), Gradient = ColumnPointer(x.Gradient), Rgb = ColumnPointer(x.Rgb),
                Directions = x.Directions.Pointer(), Background = bg,
                Opacity = forward.Opacity.Pointer(), Transmittance = forward.Transmittance.Pointer(), Used = forward.UsedCountsOnDevice.Pointer(),
                DLdColour = dLdColour.Pointer(), DLdOpacity = dLdOpacity.Pointer(), DLdDepth = dLdDepth.Pointer(),
                DLdNormal = dLdNormal.Pointer(), DLdBackground = dLdBackground.Pointer(),
                DLdSdf = ColumnPointer(dLdSdf), DLdGradient = ColumnPointer(dLdGradient), DLdRgb = ColumnPointer(dLdRgb),
                InvSPartials = forward.InvSPartialsOnDevice.Pointer(),
                Rays = (uint)rays, SdfStride = (uint)x.Sdf.Stride, GradientStride = (uint)x.Gradient.Stride, RgbStride = (uint)x.Rgb.Stride,
                GradSdfStride = (uint)dLdSdf.Stride, GradGradientStride = (uint)dLdGradient.Stride, GradRgbStride = (uint)dLdRgb.Stride,
                InvS = float.CreateChecked(x.InvS), CosAnnealRatio = float.CreateChecked(x.CosAnnealRatio),
                BgR = bgR, BgG = bgG, BgB = bgB, NormalizeCos = NormalizeGradientForCosine ? 1u : 0u,
            });
    }

    static CudaBackend CheckDeviceInputs(in NeusDeviceRenderInputs<T> x, Backend backend)
    {
        var samples = x.Samples ?? throw new ArgumentException("neus renderer: the device samples are null");
        if (backend is not CudaBackend cuda || !ReferenceEquals(samples.Backend, backend))
            throw new ArgumentException($"neus renderer: device samples live on {samples.Backend.Kind}, the output on {backend.Kind} (device samples need one CUDA backend)");
        RequireFloat();
        int count = samples.Count;
        CheckColumns(x.Sdf, "sdf", count, 1, backend);
        CheckColumns(x.Gradient, "sdf gradient", count, 3, backend);
        CheckColumns(x.Rgb, "rgb", count, 3, backend);
        CheckRayMatrix(x.Directions, "directions", samples.RayCount, 3, required: true, backend);
        if (!(x.InvS > T.Zero) || !T.IsFinite(x.InvS))
            throw new ArgumentOutOfRangeException(nameof(x), $"neus renderer: inv_s is {x.InvS}, expected a finite positive value");
        if (!(x.CosAnnealRatio >= T.Zero && x.CosAnnealRatio <= T.One))
            throw new ArgumentOutOfRangeException(nameof(x), $"neus renderer: cos anneal ratio is {x.CosAnnealRatio}, expected [0, 1]");
        if (x.Background.IsPerRay) RequireBackend(x.Background.PerRayColours, "the background", backend);
        x.Background.CheckShape(samples.RayCount);
        return cuda;
    }
}
