using System.Numerics;
using NgpSharp.Geometry;

namespace NgpSharp.Rendering;

/// <summary>
/// The split of each ray between NeuS's foreground SDF and the background NeRF that instant-nsr-pl adds for
/// unmasked scenes (model.learned_background; models/neus.py forward_bg_). The foreground is marched inside the
/// scene box [−radius, radius]³ with step <see cref="NeusAlpha.RenderStepSize"/>; the background from where the ray
/// leaves that box (<see cref="NearPlane"/> when it misses it) to <see cref="FarPlane"/>, with cone stepping
/// (base step <see cref="StepSize"/>, <see cref="ConeAngle"/>) in the box's unbounded-sphere contraction
/// (<see cref="Contract"/>), skipping cells of its own occupancy grid (resolution 256, occupancy σ·<see cref="StepSize"/>,
/// threshold 0.01). Its colour, C_bg + (1 − A_bg)·background colour, is the per-ray background of
/// <see cref="NeusRenderer{T}"/>, which then returns dL/dC_bg for the NeRF's own backward pass.
/// </summary>
public static class NeusBackground
{
    /// <summary>Where background rays that miss the scene box start (near_plane_bg).</summary>
    public const float NearPlane = 0.1f;
    /// <summary>far_plane_bg.</summary>
    public const float FarPlane = 1e3f;
    /// <summary>render_step_size_bg.</summary>
    public const float StepSize = 0.01f;
    /// <summary>Resolution of the background occupancy grid (over the contracted cube).</summary>
    public const int GridResolution = 256;

    /// <summary>cone_angle_bg = 10^(log10(far) / num_samples_per_ray_bg) − 1: steps grow geometrically so that about n reach the far plane.</summary>
    public static float ConeAngle(int samplesPerRay)
    {
        if (samplesPerRay < 1) throw new ArgumentOutOfRangeException(nameof(samplesPerRay), samplesPerRay, "neus background: samples per ray must be ≥ 1");
        return MathF.Pow(10f, MathF.Log10(FarPlane) / samplesPerRay) - 1f;
    }

    /// <summary>
    /// The foreground interval of the ray o + t·d inside the scene box (clamped to t ≥ 0; empty when it misses) and
    /// the background interval [tFar of the box, or <see cref="NearPlane"/> on a miss, <see cref="FarPlane"/>].
    /// Returns whether the ray meets the box.
    /// </summary>
    public static bool SplitRay(Vector3 origin, Vector3 direction, float radius, out float foregroundNear, out float foregroundFar,
        out float backgroundNear, out float backgroundFar)
    {
        if (!(radius > 0)) throw new ArgumentOutOfRangeException(nameof(radius), radius, "neus background: radius must be > 0");
        var box = new Aabb(new Vector3(-radius), new Vector3(radius));
        backgroundFar = FarPlane;
        if (box.Intersect(origin, direction, out float near, out float far))
        {
            foregroundNear = MathF.Max(near, 0f);
            foregroundFar = far;
            backgroundNear = far;
            return true;
        }
        foregroundNear = foregroundFar = 0f;
        backgroundNear = NearPlane;
        return false;
    }

    /// <summary>
    /// nerfacc's UN_BOUNDED_SPHERE contraction of world point p w.r.t. the box: x = 2·(p − min)/(max − min) − 1;
    /// outside the unit ball x ← (2 − 1/‖x‖)·x/‖x‖; result x/4 + 1/2 ∈ [0, 1]³ (the box's inscribed ball fills
    /// [0.25, 0.75]³, infinity reaches the sphere of radius 0.5 around the centre).
    /// </summary>
    public static Vector3 Contract(Vector3 p, Aabb box)
    {
        var x = (p - box.Min) / box.Size * 2f - Vector3.One;
        float norm = x.Length();
        if (norm > 1f) x = (2f - 1f / norm) * (x / norm);
        return x * 0.25f + new Vector3(0.5f);
    }
}
