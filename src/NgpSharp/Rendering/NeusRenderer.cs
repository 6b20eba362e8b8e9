using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Rendering;

/// <summary>
/// NeuS volume rendering of packed ray samples (instant-nsr-pl models/neus.py): per sample α from the SDF, its
/// gradient and the ray direction (<see cref="NeusAlpha"/>), with cos = ⟨dir, ∇f/‖∇f‖⟩; weights w_i = α_i T_i,
/// T_0 = 1, T_{i+1} = T_i(1 − α_i); per ray C = Σ w_i rgb_i, A = Σ w_i, D = Σ w_i t_i (midpoints),
/// N = Σ w_i ∇f_i/‖∇f_i‖ and C_out = C + (1 − A)·bg. Optional early termination like <see cref="VolumeRenderer{T}"/>
/// (instant-nsr-pl composites every sample: threshold 0, the default).
/// The backward pass walks each ray from its end: with y_i = ∂L/∂(w_i) (the upstream gradients dotted with the
/// sample's rgb, 1, t and n̂) and Y_i = α_i y_i + (1 − α_i) Y_{i+1}, ∂L/∂α_i = T_i (y_i − Y_{i+1}) — no division
/// by 1 − α, so α = 1 is harmless.
/// </summary>
public sealed partial class NeusRenderer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Rays per parallel tile (fixed, so results never depend on the thread count).</summary>
    const int RaysPerTile = 128;

    /// <summary>F.normalize's eps: n̂ = ∇f / max(‖∇f‖, 1e-12).</summary>
    internal const double NormalizeEpsilon = 1e-12;

    /// <param name="transmittanceThreshold">Compositing stops at the first sample with T_i below this; 0 composites all (instant-nsr-pl).</param>
    /// <param name="normalizeGradientForCosine">
    /// true (instant-nsr-pl): cos = ⟨dir, ∇f/‖∇f‖⟩; false (NeuS's renderer.py): cos = ⟨dir, ∇f⟩ with the raw gradient.
    /// </param>
    public NeusRenderer(double transmittanceThreshold = 0, bool normalizeGradientForCosine = true)
    {
        if (!(transmittanceThreshold >= 0 && transmittanceThreshold < 1))
            throw new ArgumentOutOfRangeException(nameof(transmittanceThreshold), transmittanceThreshold, "neus renderer: transmittance threshold must be in [0, 1)");
        TransmittanceThreshold = transmittanceThreshold;
        NormalizeGradientForCosine = normalizeGradientForCosine;
    }

    public double TransmittanceThreshold { get; }
    public bool NormalizeGradientForCosine { get; }

    /// <summary>Composites every ray of <paramref name="inputs"/> into <paramref name="output"/> (sized to the batch).</summary>
    public void Forward(in NeusRenderInputs<T> inputs, NeusRenderOutput<T> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        CheckInputs(inputs, output.Backend);
        output.Prepare(inputs.Samples.RayCount, inputs.Samples.Count);
        if (output.Backend.Kind == BackendKind.Cuda)
        {
            ForwardCuda(inputs, output);
            return;
        }
        var args = new ForwardArgs(inputs, output, T.CreateChecked(TransmittanceThreshold), NormalizeGradientForCosine);
        CpuParallel.ForTiles(inputs.Samples.RayCount, RaysPerTile, (start, end) => ForwardTile(start, end, args));
        long total = 0;
        foreach (int n in output.UsedCounts) total += n;
        output.TotalUsed = total;
    }

    /// <summary>
    /// Gradients of the loss w.r.t. the inputs, given those w.r.t. the rendered values: dLdColour [R, 3] (w.r.t.
    /// C_out); optional dLdOpacity, dLdDepth [R, 1] and dLdNormal [R, 3] (a default matrix means 0).
    /// Overwrites dLdSdf [≥S, 1], dLdGradient [≥S, 3] and dLdRgb [≥S, 3] for every sample s &lt; S (0 after
    /// termination; other rows and columns are left as they are) and, when given, dLdBackground [R, 3] (per-ray
    /// backgrounds only). Returns dL/dinv_s (summed in ray order). <paramref name="forward"/> must be the output of
    /// <see cref="Forward(in NeusRenderInputs{T}, NeusRenderOutput{T})"/> on the same inputs. Add the eikonal gradient to dLdGradient afterwards (<see cref="NeusLoss{T}.Eikonal"/>).
    /// </summary>
    public double Backward(in NeusRenderInputs<T> inputs, NeusRenderOutput<T> forward, DeviceMatrix<T> dLdColour,
        ColumnRange<T> dLdSdf, ColumnRange<T> dLdGradient, ColumnRange<T> dLdRgb,
        DeviceMatrix<T> dLdOpacity = default, DeviceMatrix<T> dLdDepth = default, DeviceMatrix<T> dLdNormal = default,
        DeviceMatrix<T> dLdBackground = default)
    {
        ArgumentNullException.ThrowIfNull(forward);
        var backend = forward.Backend;
        CheckInputs(inputs, backend);
        int rays = inputs.Samples.RayCount, count = inputs.Samples.Count;
        if (forward.RayCount != rays || forward.SampleCount != count)
            throw new ArgumentException($"neus renderer: forward output has {forward.RayCount} rays and {forward.SampleCount} samples, the inputs {rays} and {count}");
        CheckRayMatrix(dLdColour, "dL/dColour", rays, 3, required: true, backend);
        CheckRayMatrix(dLdOpacity, "dL/dOpacity", rays, 1, required: false, backend);
        CheckRayMatrix(dLdDepth, "dL/dDepth", rays, 1, required: false, backend);
        CheckRayMatrix(dLdNormal, "dL/dNormal", rays, 3, required: false, backend);
        CheckRayMatrix(dLdBackground, "dL/dBackground", rays, 3, required: false, backend);
        if (!dLdBackground.IsNull && !inputs.Background.IsPerRay)
            throw new ArgumentException("neus renderer: dL/dBackground asked for, but the background is a constant colour");
        CheckColumns(dLdSdf, "dL/dsdf", count, 1, backend);
        CheckColumns(dLdGradient, "dL/dgradient", count, 3, backend);
        CheckColumns(dLdRgb, "dL/drgb", count, 3, backend);
        if (backend.Kind == BackendKind.Cuda)
            BackwardCuda(inputs, forward, dLdColour, dLdSdf, dLdGradient, dLdRgb, dLdOpacity, dLdDepth, dLdNormal, dLdBackground);
        else
        {
            var args = new BackwardArgs(inputs, forward, NormalizeGradientForCosine, dLdColour, dLdOpacity, dLdDepth, dLdNormal,
                dLdBackground, dLdSdf, dLdGradient, dLdRgb);
            CpuParallel.ForTiles(rays, RaysPerTile, (start, end) => BackwardTile(start, end, args));
        }
        double dInvS = 0;
        foreach (T partial in forward.InvSPartials.AsSpan(0, rays)) dInvS += double.CreateChecked(partial);
        return dInvS;
    }

    static void RequireBackend(DeviceMatrix<T> m, string what, Backend backend)
    {
        if (backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda))
            throw new NotSupportedException($"neus renderer: no kernel for the {backend.Kind} backend");
        if (!m.IsNull && !ReferenceEquals(m.Backend, backend))
            throw new ArgumentException($"neus renderer: {what} lives on another backend ({m.Backend.Kind}) than the output ({backend.Kind})");
    }

    static void CheckColumns(ColumnRange<T> m, string what, int minRows, int columns, Backend backend)
    {
        if (m.IsNull) throw new ArgumentException($"neus renderer: {what} is a null matrix");
        if (m.Count != columns) throw new ArgumentException($"neus renderer: {what} has {m.Count} columns, expected {columns}");
        if (m.Rows < minRows) throw new ArgumentException($"neus renderer: {what} has {m.Rows} rows, needs at least {minRows}");
        RequireBackend(m.Matrix, what, backend);
    }

    static void CheckInputs(in NeusRenderInputs<T> inputs, Backend backend)
    {
        var samples = inputs.Samples ?? throw new ArgumentException("neus renderer: the samples are null");
        int count = samples.Count;
        if (count < 0 || count > samples.TStarts.Length)
            throw new ArgumentException($"neus renderer: sample count {count} is outside [0, capacity {samples.TStarts.Length}]");
        for (int r = 0; r < samples.RayCount; r++)
        {
            int o = samples.RayOffsets[r], n = samples.RayCounts[r];
            if (n < 0 || o < 0 || (long)o + n > count)
                throw new ArgumentException($"neus renderer: ray {r} has samples [{o}, {(long)o + n}), outside the {count} valid samples");
        }
        CheckColumns(inputs.Sdf, "sdf", count, 1, backend);
        CheckColumns(inputs.Gradient, "sdf gradient", count, 3, backend);
        CheckColumns(inputs.Rgb, "rgb", count, 3, backend);
        CheckRayMatrix(inputs.Directions, "directions", samples.RayCount, 3, required: true, backend);
        if (!(inputs.InvS > T.Zero) || !T.IsFinite(inputs.InvS))
            throw new ArgumentOutOfRangeException(nameof(inputs), $"neus renderer: inv_s is {inputs.InvS}, expected a finite positive value");
        if (!(inputs.CosAnnealRatio >= T.Zero && inputs.CosAnnealRatio <= T.One))
            throw new ArgumentOutOfRangeException(nameof(inputs), $"neus renderer: cos anneal ratio is {inputs.CosAnnealRatio}, expected [0, 1]");
        if (inputs.Background.IsPerRay) RequireBackend(inputs.Background.PerRayColours, "the background", backend);
        inputs.Background.CheckShape(samples.RayCount);
    }

    static void CheckRayMatrix(DeviceMatrix<T> m, string what, int rays, int cols, bool required, Backend backend)
    {
        if (m.IsNull)
        {
            if (required) throw new ArgumentException($"neus renderer: {what} is a null matrix");
            return;
        }
        if (m.Rows != rays || m.Cols != cols) throw new ArgumentException($"neus renderer: {what} is {m}, expected [{rays}, {cols}]");
        RequireBackend(m, what, backend);
    }
}
