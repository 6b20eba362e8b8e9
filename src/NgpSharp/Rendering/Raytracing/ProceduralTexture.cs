using System.Numerics;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// The colour of untextured faces: blue and orange blobs on a warm yellow base, from two smooth 3-D value-noise fields
/// (3 octaves, features ~0.1 world units) evaluated at the world-space surface point — view-independent, colourful
/// and band-limited, so a NeRF has detail to learn (like the shared bunny's procedural Blender texture).
/// Returns linear RGB.
/// </summary>
public static class ProceduralTexture
{
    /// <summary>Lattice cells per world unit of the first octave.</summary>
    public const float BaseFrequency = 9f;

    static readonly Vector3 Base = new(0.93f, 0.70f, 0.16f);   // yellow
    static readonly Vector3 Light = new(0.98f, 0.90f, 0.55f);  // cream
    static readonly Vector3 Blue = new(0.06f, 0.25f, 0.80f);
    static readonly Vector3 Orange = new(0.85f, 0.22f, 0.03f);

    public static Vector3 Albedo(Vector3 p)
    {
        var q = p * BaseFrequency;
        float a = Fbm(q, 0u), b = Fbm(q + new Vector3(17.3f, -4.1f, 9.7f), 1u), c = Fbm(q * 2.1f, 2u);
        var colour = Vector3.Lerp(Base, Light, SmoothStep(0.45f, 0.7f, c));
        colour = Vector3.Lerp(colour, Blue, SmoothStep(0.56f, 0.64f, a));
        colour = Vector3.Lerp(colour, Orange, SmoothStep(0.54f, 0.62f, b) * (1 - SmoothStep(0.5f, 0.6f, a)));
        return colour;
    }

    /// <summary>Fractal sum of value noise in [0, 1] (weights 1/2, 1/4, 1/8, renormalised).</summary>
    static float Fbm(Vector3 p, uint seed)
    {
        float sum = 0, weight = 0.5f;
        for (int octave = 0; octave < 3; octave++)
        {
            sum += weight * ValueNoise(p, seed + (uint)octave * 7919u);
            p *= 2.03f;
            weight *= 0.5f;
        }
        return sum / 0.875f;
    }

    /// <summary>Trilinear interpolation (with smoothstep weights) of hashed lattice values in [0, 1).</summary>
    static float ValueNoise(Vector3 p, uint seed)
    {
        float fx = MathF.Floor(p.X), fy = MathF.Floor(p.Y), fz = MathF.Floor(p.Z);
        int x = (int)fx, y = (int)fy, z = (int)fz;
        float tx = Fade(p.X - fx), ty = Fade(p.Y - fy), tz = Fade(p.Z - fz);
        float Lerp(float a, float b, float t) => a + (b - a) * t;
        float c00 = Lerp(Lattice(x, y, z, seed), Lattice(x + 1, y, z, seed), tx);
        float c10 = Lerp(Lattice(x, y + 1, z, seed), Lattice(x + 1, y + 1, z, seed), tx);
        float c01 = Lerp(Lattice(x, y, z + 1, seed), Lattice(x + 1, y, z + 1, seed), tx);
        float c11 = Lerp(Lattice(x, y + 1, z + 1, seed), Lattice(x + 1, y + 1, z + 1, seed), tx);
        return Lerp(Lerp(c00, c10, ty), Lerp(c01, c11, ty), tz);
    }

    static float Fade(float t) => t * t * (3 - 2 * t);

    static float SmoothStep(float lo, float hi, float x) => Fade(Math.Clamp((x - lo) / (hi - lo), 0, 1));

    /// <summary>A well-mixed 32-bit hash of the lattice point (lowbias32 finaliser), as a float in [0, 1).</summary>
    static float Lattice(int x, int y, int z, uint seed)
    {
        uint h = unchecked((uint)x * 0x8da6b343u ^ (uint)y * 0xd8163841u ^ (uint)z * 0xcb1ab31fu ^ seed * 0x9e3779b9u);
        h ^= h >> 16; h = unchecked(h * 0x7feb352du);
        h ^= h >> 15; h = unchecked(h * 0x846ca68bu);
        h ^= h >> 16;
        return (h >> 8) * (1f / (1 << 24));
    }
}
