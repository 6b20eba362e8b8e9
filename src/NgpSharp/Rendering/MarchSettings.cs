namespace NgpSharp.Rendering;

/// <summary>Ray-marching parameters (lengths in world units).</summary>
public sealed record MarchSettings
{
    /// <summary>Cone angle c: 0 gives uniform steps (synthetic scenes); instant-ngp uses 1/256 when aabb_scale &gt; 1.</summary>
    public float ConeAngle { get; init; }

    /// <summary>At most this many samples per ray (instant-ngp's NERF_STEPS = 1024).</summary>
    public int MaxSamplesPerRay { get; init; } = 1024;

    /// <summary>Smallest step; null: the grid's <see cref="Geometry.OccupancyGrid.MinStepSize"/> (√3/1024 of the cascade-0 box edge).</summary>
    public float? MinStepSize { get; init; }

    /// <summary>Largest cone step; null: the grid's <see cref="Geometry.OccupancyGrid.MaxStepSize"/> (√3 × coarsest cell width).</summary>
    public float? MaxStepSize { get; init; }

    /// <summary>Samples start no nearer than this to the ray origin.</summary>
    public float NearDistance { get; init; }

    internal void Validate()
    {
        if (MaxSamplesPerRay < 1) throw new ArgumentOutOfRangeException(nameof(MaxSamplesPerRay), MaxSamplesPerRay, "march: MaxSamplesPerRay must be ≥ 1");
        if (!(NearDistance >= 0f) || !float.IsFinite(NearDistance)) throw new ArgumentOutOfRangeException(nameof(NearDistance), NearDistance, "march: NearDistance must be finite and ≥ 0");
    }
}
