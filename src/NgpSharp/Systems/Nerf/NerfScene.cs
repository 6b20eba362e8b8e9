using System.Numerics;
using NgpSharp.Data;
using NgpSharp.Geometry;

namespace NgpSharp.Systems.Nerf;

/// <summary>
/// The scene box of a NeRF run and the maps the networks need: world → [0, 1]³ of the box (the network's input),
/// and the occupancy grid's cascade-0 (unit) box.
/// </summary>
public sealed class NerfScene
{
    public NerfScene(Aabb box, int aabbScale)
    {
        if (aabbScale < 1) throw new ArgumentOutOfRangeException(nameof(aabbScale), aabbScale, "aabb_scale must be ≥ 1");
        Box = box;
        AabbScale = aabbScale;
        _min = box.Min;
        _invSize = Vector3.One / box.Size;
    }

    readonly Vector3 _min, _invSize;

    /// <summary>The map's offset and scale: normalised = clamp((p − NormaliseMin)·NormaliseScale, 0, 1) (for kernels).</summary>
    internal Vector3 NormaliseMin => _min;
    internal Vector3 NormaliseScale => _invSize;

    /// <summary>The dataset's box, or one rescaled about its centre when the config overrides aabb_scale.</summary>
    public static NerfScene For(NerfDataset dataset, int? aabbScaleOverride)
    {
        if (aabbScaleOverride is not { } s || s == dataset.AabbScale) return new NerfScene(dataset.Aabb, dataset.AabbScale);
        var half = new Vector3(dataset.UnitBoxSize * s * 0.5f);
        return new NerfScene(Aabb.FromCentre(dataset.Aabb.Centre, half), s);
    }

    /// <summary>The whole scene box (the network's [0, 1]³).</summary>
    public Aabb Box { get; }

    public int AabbScale { get; }

    /// <summary>Cascade 0 of the occupancy grid: the box shrunk by aabb_scale about its centre.</summary>
    public Aabb UnitBox => Aabb.FromCentre(Box.Centre, Box.Size * (0.5f / AabbScale));

    /// <summary>Writes (p − min)/size, clamped to [0, 1], for positions: [N, 3] into normalised: [N, 3].</summary>
    public void Normalise(ReadOnlySpan<float> positions, Span<float> normalised)
    {
        for (int i = 0; i + 2 < positions.Length; i += 3)
        {
            normalised[i] = Math.Clamp((positions[i] - _min.X) * _invSize.X, 0f, 1f);
            normalised[i + 1] = Math.Clamp((positions[i + 1] - _min.Y) * _invSize.Y, 0f, 1f);
            normalised[i + 2] = Math.Clamp((positions[i + 2] - _min.Z) * _invSize.Z, 0f, 1f);
        }
    }

    /// <summary>Normalised position of one world point.</summary>
    public Vector3 Normalise(Vector3 p) => Vector3.Clamp((p - _min) * _invSize, Vector3.Zero, Vector3.One);
}
