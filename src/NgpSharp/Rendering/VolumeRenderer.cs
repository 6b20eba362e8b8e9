using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Rendering;

/// <summary>
/// Emission–absorption volume rendering of packed ray samples (<see cref="RaySamples"/>), as instant-ngp's
/// NeRF training and rendering kernels do it. Per sample i of a ray (δ_i = t1_i − t0_i, t_i = (t0_i + t1_i)/2):
/// σ_i = exp(rawσ_i), c_i = sigmoid(rawc_i), α_i = 1 − exp(−σ_i δ_i), w_i = α_i T_i with T_0 = 1,
/// T_{i+1} = T_i (1 − α_i); per ray C = Σ w_i c_i, A = Σ w_i, D = Σ w_i t_i, C_out = C + (1 − A)·bg.
/// Compositing stops before the first sample whose T_i is below <see cref="TransmittanceThreshold"/>
/// (early termination); the samples actually used are reported per ray.
/// The backward pass keeps no per-sample state: it replays the ray and uses suffix = C − C_partial.
/// </summary>
public sealed partial class VolumeRenderer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Training: stop compositing once transmittance is below 1e-4 (DESIGN §4, instant-ngp).</summary>
    public const double TrainingThreshold = 1e-4;

    /// <summary>The rendering threshold: a ray stops once less than 1 % of its light can still get through.</summary>
    public const double RenderingThreshold = 0.01;

    /// <summary>instant-ngp clamps raw density to this range inside exp when computing dσ/draw (not in the forward).</summary>
    public const double DensityDerivativeClamp = 15.0;

    /// <summary>Rays per parallel tile (fixed, so results never depend on the thread count).</summary>
    const int RaysPerTile = 128;

    public VolumeRenderer(double transmittanceThreshold = TrainingThreshold)
    {
        if (!(transmittanceThreshold >= 0 && transmittanceThreshold < 1))
            throw new ArgumentOutOfRangeException(nameof(transmittanceThreshold), transmittanceThreshold, "volume renderer: transmittance threshold must be in [0, 1)");
        TransmittanceThreshold = transmittanceThreshold;
    }

    /// <summary>Compositing stops at the first sample with T_i below this (0 composites every sample).</summary>
    public double TransmittanceThreshold { get; }

    /// <summary>
    /// Composites every ray. rawDensity: [≥S, 1] (σ = exp(raw)); rawColour: [≥S, 3] (rgb = sigmoid(raw)); rows
    /// are sample indices. Fills <paramref name="output"/> (sized to the batch) and, with
    /// <paramref name="storeWeights"/>, its per-sample weights.
    /// </summary>
    public void Forward(RaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour,
        RayBackground<T> background, VolumeRenderOutput<T> output, bool storeWeights = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckInputs(samples, rawDensity, rawColour, background, output.Backend);
        output.Prepare(samples.RayCount, samples.Count, storeWeights);
        if (output.Backend.Kind == BackendKind.Cuda)
        {
            ForwardCuda(samples, rawDensity, rawColour, background, output);
            return;
        }
        var args = new ForwardArgs(samples, rawDensity, rawColour, background, T.CreateChecked(TransmittanceThreshold), output);
        CpuParallel.ForTiles(samples.RayCount, RaysPerTile, (start, end) =>
            ForwardTile(start, end, args));
        long total = 0;
        foreach (int n in output.UsedCounts) total += n;
        output.TotalUsed = total;
    }

    /// <summary>
    /// Gradients of the loss w.r.t. the raw network outputs, given the gradients w.r.t. the rendered values:
    /// dLdColour: [R, 3] w.r.t. C_out; optional dLdOpacity, dLdDepth: [R, 1] (a default matrix means 0).
    /// Writes dLdRawDensity: [≥S, 1] and dLdRawColour: [≥S, 3] for every sample s &lt; S (0 after termination);
    /// rows ≥ S and other columns of a wider matrix are left as they are. <paramref name="forward"/> must be
    /// the output of <c>Forward</c> on the same inputs.
    /// </summary>
    public void Backward(RaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour,
        RayBackground<T> background, VolumeRenderOutput<T> forward, DeviceMatrix<T> dLdColour,
        ColumnRange<T> dLdRawDensity, ColumnRange<T> dLdRawColour,
        DeviceMatrix<T> dLdOpacity = default, DeviceMatrix<T> dLdDepth = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        CheckInputs(samples, rawDensity, rawColour, background, forward.Backend);
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
        if (backend.Kind == BackendKind.Cuda)
        {
            BackwardCuda(samples, rawDensity, rawColour, background, forward, dLdColour, dLdRawDensity, dLdRawColour, dLdOpacity, dLdDepth);
            return;
        }
        var args = new BackwardArgs(samples, rawDensity, rawColour, background, forward, dLdColour, dLdOpacity, dLdDepth,
            dLdRawDensity, dLdRawColour);
        CpuParallel.ForTiles(rays, RaysPerTile, (start, end) =>
            BackwardTile(start, end, args));
    }

    /// <summary>Every matrix must live on the output's backend (CPU or CUDA).</summary>
    static void RequireBackend(DeviceMatrix<T> m, string what, Backend backend)
    {
        if (backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda))
            throw new NotSupportedException($"volume renderer: no kernel for the {backend.Kind} backend");
        if (!m.IsNull && !ReferenceEquals(m.Backend, backend))
            throw new ArgumentException($"volume renderer: {what} lives on another backend ({m.Backend.Kind}) than the output ({backend.Kind})");
    }

    static void CheckInputs(RaySamples samples, ColumnRange<T> rawDensity, ColumnRange<T> rawColour, RayBackground<T> background, Backend backend)
    {
        ArgumentNullException.ThrowIfNull(samples);
        int count = samples.Count;
        if (count < 0 || count > samples.TStarts.Length)
            throw new ArgumentException($"volume renderer: sample count {count} is outside [0, capacity {samples.TStarts.Length}]");
        for (int r = 0; r < samples.RayCount; r++)
        {
            int o = samples.RayOffsets[r], n = samples.RayCounts[r];
            if (n < 0 || o < 0 || (long)o + n > count)
                throw new ArgumentException($"volume renderer: ray {r} has samples [{o}, {(long)o + n}), outside the {count} valid samples");
        }
        rawDensity.CheckShape("raw density", count, 1);
        rawColour.CheckShape("raw colour", count, 3);
        RequireBackend(rawDensity.Matrix, "raw density", backend);
        RequireBackend(rawColour.Matrix, "raw colour", backend);
        if (background.IsPerRay) RequireBackend(background.PerRayColours, "the background", backend);
        background.CheckShape(samples.RayCount);
    }

    static void CheckRayMatrix(DeviceMatrix<T> m, string what, int rays, int cols, bool required, Backend backend)
    {
        if (m.IsNull)
        {
            if (required) throw new ArgumentException($"volume renderer: {what} is a null matrix");
            return;
        }
        if (m.Rows != rays || m.Cols != cols) throw new ArgumentException($"volume renderer: {what} is {m}, expected [{rays}, {cols}]");
        RequireBackend(m, what, backend);
    }
}
