using System.Numerics;

namespace NgpSharp.Geometry;

/// <summary>An axis-aligned box [Min, Max] (closed: points on a face are inside, as instant-ngp's BoundingBox::contains).</summary>
public readonly record struct Aabb
{
    public Aabb(Vector3 min, Vector3 max)
    {
        if (!(min.X <= max.X && min.Y <= max.Y && min.Z <= max.Z))
            throw new ArgumentException($"Aabb: min {min} must be ≤ max {max} on every axis (and not NaN)");
        Min = min;
        Max = max;
    }

    public Vector3 Min { get; }
    public Vector3 Max { get; }

    /// <summary>The box centre ± halfSize.</summary>
    public static Aabb FromCentre(Vector3 centre, Vector3 halfSize) => new(centre - halfSize, centre + halfSize);

    public Vector3 Centre => (Min + Max) * 0.5f;
    public Vector3 HalfSize => (Max - Min) * 0.5f;
    public Vector3 Size => Max - Min;

    /// <summary>The box scaled by <paramref name="factor"/> about its centre.</summary>
    public Aabb Scaled(float factor) => FromCentre(Centre, HalfSize * factor);

    public bool Contains(Vector3 p) =>
        p.X >= Min.X && p.X <= Max.X && p.Y >= Min.Y && p.Y <= Max.Y && p.Z >= Min.Z && p.Z <= Max.Z;

    /// <summary>
    /// Slab test for the ray o + t·d. Returns false when the line misses the box or the box lies wholly behind
    /// the origin (tFar &lt; 0); otherwise [tNear, tFar] is where the line is inside (tNear &lt; 0 when o is inside).
    /// Axes with d = 0 constrain only through o lying between the slabs.
    /// </summary>
    public bool Intersect(Vector3 origin, Vector3 direction, out float tNear, out float tFar)
    {
        tNear = float.NegativeInfinity;
        tFar = float.PositiveInfinity;
        if (!Slab(origin.X, direction.X, Min.X, Max.X, ref tNear, ref tFar)) return false;
        if (!Slab(origin.Y, direction.Y, Min.Y, Max.Y, ref tNear, ref tFar)) return false;
        if (!Slab(origin.Z, direction.Z, Min.Z, Max.Z, ref tNear, ref tFar)) return false;
        return tNear <= tFar && tFar >= 0f;
    }

    static bool Slab(float o, float d, float lo, float hi, ref float tNear, ref float tFar)
    {
        if (d == 0f) return o >= lo && o <= hi;
        float inv = 1f / d;
        float t1 = (lo - o) * inv, t2 = (hi - o) * inv;
        if (t1 > t2) (t1, t2) = (t2, t1);
        if (t1 > tNear) tNear = t1;
        if (t2 < tFar) tFar = t2;
        return true;
    }

    public override string ToString() => $"[{Min} – {Max}]";
}
