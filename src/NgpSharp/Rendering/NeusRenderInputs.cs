using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Rendering;

/// <summary>
/// What <see cref="NeusRenderer{T}"/> composites: per sample s of <see cref="Samples"/> (rows are sample indices)
/// the SDF value, its spatial gradient ∇f and the (already activated) colour; per ray its direction; and the two
/// scalars of the step (inv_s from <see cref="VarianceNetwork"/>, the cosine anneal ratio).
/// </summary>
/// <param name="Samples">The packed samples (S = Samples.Count, R = Samples.RayCount).</param>
/// <param name="Sdf">[≥S, 1]: f at the sample midpoints.</param>
/// <param name="Gradient">[≥S, 3]: ∇f at the sample midpoints (not necessarily unit length).</param>
/// <param name="Rgb">[≥S, 3]: colours in [0, 1] (after the colour network's sigmoid).</param>
/// <param name="Directions">[R, 3]: ray directions (instant-nsr-pl normalises them; the renderer uses them as given).</param>
/// <param name="InvS">s of the logistic CDF, already clipped to [1e-6, 1e6] (<see cref="VarianceNetwork.InvS"/>).</param>
/// <param name="CosAnnealRatio">r in [0, 1]: min(1, step / cos_anneal_end); 0 blends in the "never dead" cosine, 1 is NeuS's own.</param>
/// <param name="Background">The colour behind each ray: a constant or per-ray colours (e.g. a background NeRF's).</param>
public readonly record struct NeusRenderInputs<T>(
    RaySamples Samples,
    ColumnRange<T> Sdf,
    ColumnRange<T> Gradient,
    ColumnRange<T> Rgb,
    DeviceMatrix<T> Directions,
    T InvS,
    T CosAnnealRatio,
    RayBackground<T> Background)
    where T : unmanaged, IFloatingPointIeee754<T>;
