using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Geometry;
using NgpSharp.Imaging;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// Simple, view-independent lighting in linear RGB: colour = albedo·(Ambient + Key·max(0, n·KeyDirection)·visible +
/// Fill·max(0, n·FillDirection)). Directions point towards the lights, in world space (Z up). Only the key light
/// casts shadows (when <see cref="Shadows"/>).
/// </summary>
public sealed record SceneLighting(float Ambient, Vector3 KeyDirection, float Key, Vector3 FillDirection, float Fill, bool Shadows)
{
    /// <summary>A key light from above and one side, a weak fill from the other side, shadows on.</summary>
    public static SceneLighting Default { get; } = new(0.3f, Vector3.Normalize(new Vector3(0.4f, -0.5f, 0.8f)), 0.7f,
        Vector3.Normalize(new Vector3(-0.6f, 0.5f, 0.3f)), 0.25f, true);
}

/// <summary>
/// One rendered view. <c>Rgba</c>: [H, W, 4] sRGB colour with straight (not premultiplied) alpha = the fraction of the
/// pixel's samples that hit the mesh; transparent black where nothing was hit. <c>Depth</c>: [H, W] distance along the
/// camera's optical axis (z-depth, not ray length) averaged over the hitting samples; 0 where nothing was hit.
/// </summary>
public sealed record RenderedView(Image Rgba, float[] Depth);

/// <summary>
/// A CPU ray tracer for <see cref="TexturedMesh"/>: primary rays with stratified supersampling (jittered k×k grid when
/// the sample count is a square, Latin hypercube otherwise, the pixel centre for 1 sample), diffuse shading with
/// <see cref="SceneLighting"/>, two-sided surfaces. Each pixel draws from its own pcg32 stream, and rows are rendered
/// in fixed tiles, so images are identical for a seed whatever the thread count.
/// </summary>
public sealed class MeshRaytracer
{
    const int RowsPerTile = 4;
    readonly TexturedMesh _mesh;
    readonly Bvh _bvh;
    readonly float _epsilon;

    public MeshRaytracer(TexturedMesh mesh, SceneLighting? lighting = null)
    {
        _mesh = mesh;
        _bvh = new Bvh(mesh.Positions, mesh.Indices);
        Lighting = lighting ?? SceneLighting.Default;
        var (min, max) = _bvh.Bounds;
        _epsilon = 1e-4f * MathF.Max(Vector3.Distance(min, max), 1e-6f);
    }

    public SceneLighting Lighting { get; }
    public Bvh Bvh => _bvh;

    /// <summary>Renders <paramref name="camera"/>'s image; <paramref name="seed"/> picks the sample jitter (mix in the
    /// view index for datasets). Rows run in parallel when <paramref name="parallel"/>.</summary>
    public RenderedView Render(Camera camera, int samplesPerPixel, ulong seed, bool parallel = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerPixel, 1);
        var image = new Image(camera.Width, camera.Height, 4);
        var depth = new float[camera.Width * camera.Height];
        if (parallel) CpuParallel.ForTiles(camera.Height, RowsPerTile, (y0, y1) => RenderRows(camera, samplesPerPixel, seed, y0, y1, image.Data, depth));
        else RenderRows(camera, samplesPerPixel, seed, 0, camera.Height, image.Data, depth);
        return new RenderedView(image, depth);
    }

    void RenderRows(Camera camera, int spp, ulong seed, int y0, int y1, float[] rgba, float[] depth)
    {
        Span<float> offsets = stackalloc float[2 * spp];
        var forward = camera.Forward;
        for (int y = y0; y < y1; y++)
            for (int x = 0; x < camera.Width; x++)
            {
                int pixel = y * camera.Width + x;
                var rng = new Rng(seed, (ulong)pixel);
                SampleOffsets(spp, ref rng, offsets);
                var sum = Vector3.Zero;
                float depthSum = 0;
                int hits = 0;
                for (int s = 0; s < spp; s++)
                {
                    var (origin, direction) = PrimaryRay(camera, x + offsets[2 * s], y + offsets[2 * s + 1]);
                    if (!_bvh.Intersect(origin, direction, 0, float.PositiveInfinity, out var hit)) continue;
                    sum += Shade(origin, direction, hit);
                    depthSum += hit.T * Vector3.Dot(direction, forward);
                    hits++;
                }
                if (hits == 0) continue;
                var colour = sum / hits;
                int o = 4 * pixel;
                rgba[o] = ColorSpace.LinearToSrgb(Math.Clamp(colour.X, 0, 1));
                rgba[o + 1] = ColorSpace.LinearToSrgb(Math.Clamp(colour.Y, 0, 1));
                rgba[o + 2] = ColorSpace.LinearToSrgb(Math.Clamp(colour.Z, 0, 1));
                rgba[o + 3] = hits / (float)spp;
                depth[pixel] = depthSum / hits;
            }
    }

    /// <summary>offsets: [spp, 2] sample positions inside the pixel, in [0, 1)².</summary>
    internal static void SampleOffsets(int spp, ref Rng rng, Span<float> offsets)
    {
        if (spp == 1) { offsets[0] = offsets[1] = 0.5f; return; }
        int k = (int)Math.Round(Math.Sqrt(spp));
        if (k * k == spp)
        {
            for (int j = 0, s = 0; j < k; j++)
                for (int i = 0; i < k; i++, s++)
                    (offsets[2 * s], offsets[2 * s + 1]) = ((i + rng.NextFloat()) / k, (j + rng.NextFloat()) / k);
            return;
        }
        // Latin hypercube: one sample per column stratum and per row stratum.
        for (int s = 0; s < spp; s++) (offsets[2 * s], offsets[2 * s + 1]) = ((s + rng.NextFloat()) / spp, (s + rng.NextFloat()) / spp);
        for (int s = spp - 1; s > 0; s--)
        {
            int r = (int)rng.NextUInt((uint)(s + 1));
            (offsets[2 * s + 1], offsets[2 * r + 1]) = (offsets[2 * r + 1], offsets[2 * s + 1]);
        }
    }

    static (Vector3 Origin, Vector3 Direction) PrimaryRay(Camera camera, float px, float py)
    {
        if (!camera.Distortion.IsNone) return camera.Ray(px, py);
        float x = (px - camera.Cx) / camera.Fx, y = (py - camera.Cy) / camera.Fy;
        return (camera.Position, Vector3.Normalize(camera.XAxis * x - camera.YAxis * y - camera.ZAxis));
    }

    /// <summary>Linear RGB leaving the hit point towards the camera.</summary>
    public Vector3 Shade(Vector3 origin, Vector3 direction, in RayHit hit)
    {
        int t = hit.Triangle;
        var (a, b, c) = _mesh.Triangle(t);
        float w = 1 - hit.U - hit.V;
        var point = origin + direction * hit.T;
        var geometric = Vector3.Cross(b - a, c - a);
        if (Vector3.Dot(geometric, direction) > 0) geometric = -geometric;
        geometric = Vector3.Normalize(geometric);
        var normals = _mesh.CornerNormals;
        var shading = normals[3 * t] * w + normals[3 * t + 1] * hit.U + normals[3 * t + 2] * hit.V;
        float length = shading.Length();
        shading = length > 0 ? shading / length : geometric;
        if (Vector3.Dot(shading, geometric) < 0) shading = -shading;

        var albedo = Albedo(t, w, hit.U, hit.V, point);
        var l = Lighting;
        float light = l.Ambient + l.Fill * MathF.Max(0, Vector3.Dot(shading, l.FillDirection));
        float key = MathF.Max(0, Vector3.Dot(shading, l.KeyDirection));
        if (key > 0 && l.Shadows &&
            (Vector3.Dot(geometric, l.KeyDirection) <= 0 || _bvh.Occluded(point + geometric * _epsilon, l.KeyDirection, 0, float.PositiveInfinity)))
            key = 0;
        return albedo * (light + l.Key * key);
    }

    Vector3 Albedo(int t, float w, float u, float v, Vector3 point)
    {
        var material = _mesh.Materials[_mesh.TriangleMaterials[t]];
        if (material.IsProcedural) return ProceduralTexture.Albedo(point);
        if (material.Texture is { } texture)
        {
            var uvs = _mesh.CornerUvs;
            var uv = uvs[3 * t] * w + uvs[3 * t + 1] * u + uvs[3 * t + 2] * v;
            if (float.IsFinite(uv.X) && float.IsFinite(uv.Y)) return texture.Sample(uv.X, uv.Y);
        }
        return material.Diffuse;
    }
}
