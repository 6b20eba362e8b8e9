using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Geometry;
using NgpSharp.Rendering.Raytracing;
using Xunit;

namespace NgpSharp.Tests.Rendering.Raytracing;

public sealed class RaytracerTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    TexturedMesh Load(string name, string text) => ObjSceneReader.Read(_dir.Write(name, text));

    [Fact]
    public void Bvh_FindsTheSameNearestHitsAsBruteForce()
    {
        var rng = new Rng(7);
        int n = 300;
        var positions = new Vector3[3 * n];
        var indices = new int[3 * n];
        for (int t = 0; t < n; t++)
        {
            var centre = new Vector3(rng.NextFloat(-1, 1), rng.NextFloat(-1, 1), rng.NextFloat(-1, 1));
            for (int k = 0; k < 3; k++)
            {
                positions[3 * t + k] = centre + new Vector3(rng.NextFloat(-0.2f, 0.2f), rng.NextFloat(-0.2f, 0.2f), rng.NextFloat(-0.2f, 0.2f));
                indices[3 * t + k] = 3 * t + k;
            }
        }
        var bvh = new Bvh(positions, indices);
        Assert.True(bvh.NodeCount < 2 * n);
        int hits = 0;
        for (int r = 0; r < 2000; r++)
        {
            var origin = new Vector3(rng.NextFloat(-3, 3), rng.NextFloat(-3, 3), rng.NextFloat(-3, 3));
            var direction = Vector3.Normalize(new Vector3(rng.NextFloat(-1, 1), rng.NextFloat(-1, 1), rng.NextFloat(-1, 1)) - origin * 0.3f);
            float best = float.PositiveInfinity;
            int bestTriangle = -1;
            for (int t = 0; t < n; t++)
                if (BruteForce(positions[3 * t], positions[3 * t + 1], positions[3 * t + 2], origin, direction) is { } d && d < best)
                    (best, bestTriangle) = (d, t);
            bool hit = bvh.Intersect(origin, direction, 0, float.PositiveInfinity, out var h);
            Assert.Equal(bestTriangle >= 0, hit);
            Assert.Equal(bestTriangle >= 0, bvh.Occluded(origin, direction, 0, float.PositiveInfinity));
            if (!hit) continue;
            hits++;
            Assert.True(Math.Abs(best - h.T) < 1e-4f, $"{best} vs {h.T}");
            Assert.Equal(bestTriangle, h.Triangle);
            var (a, b, c) = (positions[3 * h.Triangle], positions[3 * h.Triangle + 1], positions[3 * h.Triangle + 2]);
            Assert.True(Vector3.Distance(origin + direction * h.T, a * (1 - h.U - h.V) + b * h.U + c * h.V) < 1e-4f);
            Assert.False(bvh.Occluded(origin, direction, 0, h.T * 0.999f));
        }
        Assert.InRange(hits, 200, 1900);
    }

    /// <summary>Ray–triangle by plane intersection and inside-test with edge functions (double precision).</summary>
    static float? BruteForce(Vector3 a, Vector3 b, Vector3 c, Vector3 o, Vector3 d)
    {
        var n = Vector3.Cross(b - a, c - a);
        double denom = Vector3.Dot(n, d);
        if (denom == 0) return null;
        double t = Vector3.Dot(n, a - o) / denom;
        if (t <= 0) return null;
        var p = o + d * (float)t;
        double s0 = Vector3.Dot(Vector3.Cross(b - a, p - a), n), s1 = Vector3.Dot(Vector3.Cross(c - b, p - b), n), s2 = Vector3.Dot(Vector3.Cross(a - c, p - c), n);
        return s0 >= 0 && s1 >= 0 && s2 >= 0 ? (float)t : null;
    }

    [Fact]
    public void Cube_SilhouetteIsTheHandComputedSquare_AndFrontFaceDepthIsExact()
    {
        // Camera on +Z at distance 2.5, f = 64 px on a 64×64 image: the front face z = 0.5 is 2 away and spans
        // ±f·0.5/2 = ±16 px around the centre: exactly the pixels 16..47 in both directions.
        var mesh = Load("cube.obj", TestMeshes.Cube());
        var camera = DatasetCameras.LookAt(new Vector3(0, 0, 2.5f), Vector3.Zero, 64, 64, 2 * Math.Atan(0.5));
        Assert.Equal(64f, camera.Fx, 4);
        var view = new MeshRaytracer(mesh).Render(camera, samplesPerPixel: 9, seed: 3);
        for (int y = 0; y < 64; y++)
            for (int x = 0; x < 64; x++)
            {
                bool inside = x is >= 16 and < 48 && y is >= 16 and < 48;
                Assert.Equal(inside ? 1f : 0f, view.Rgba[x, y, 3]);
                Assert.Equal(inside ? 2f : 0f, view.Depth[y * 64 + x], 5);
                if (!inside) Assert.Equal(0f, view.Rgba[x, y, 0]);
            }
    }

    [Fact]
    public void Sphere_CoverageMatchesTheProjectedDisc()
    {
        // A sphere of radius 1 seen from distance 4 is a disc of radius f·tan(asin(1/4)) = f/√15 on the image.
        var mesh = Load("sphere.obj", TestMeshes.Sphere(1, 128));
        var camera = DatasetCameras.LookAt(new Vector3(4, 0, 0), Vector3.Zero, 100, 100, 2 * Math.Atan(0.5));
        var view = new MeshRaytracer(mesh).Render(camera, samplesPerPixel: 16, seed: 1);
        double radius = 100 / Math.Sqrt(15);
        double area = 0;
        for (int y = 0; y < 100; y++)
            for (int x = 0; x < 100; x++)
            {
                float alpha = view.Rgba[x, y, 3];
                area += alpha;
                double r = Math.Sqrt(Math.Pow(x + 0.5 - 50, 2) + Math.Pow(y + 0.5 - 50, 2));
                if (r < radius - 1) Assert.Equal(1f, alpha);
                if (r > radius + 1) Assert.Equal(0f, alpha);
                // Depth on the optical axis: the nearest point is 3 away.
                if (r < 1) Assert.Equal(3f, view.Depth[y * 100 + x], 2);
            }
        Assert.Equal(1, area / (Math.PI * radius * radius), 0.005);
    }

    [Fact]
    public void Lighting_IsViewIndependent_AndShadowsDarken()
    {
        // The same surface point seen from two cameras has the same colour (diffuse only).
        var mesh = Load("cube.obj", TestMeshes.Cube());
        var tracer = new MeshRaytracer(mesh);
        var point = new Vector3(0.5f, 0.1f, 0.2f); // on the +x face
        Vector3 ColourFrom(Vector3 eye)
        {
            var d = Vector3.Normalize(point - eye);
            Assert.True(tracer.Bvh.Intersect(eye, d, 0, float.PositiveInfinity, out var hit));
            return tracer.Shade(eye, d, hit);
        }
        var a = ColourFrom(new Vector3(3, 0, 0));
        var b = ColourFrom(new Vector3(2, 2, 1.5f));
        Assert.True(Vector3.Distance(a, b) < 1e-4f, $"{a} vs {b}");

        // A floor 0.1 below a box: the floor point whose ray to the key light passes through the box centre is in shadow.
        var floor = Load("floor.obj", TestMeshes.Cube() + "v -5 -5 -0.6\nv 5 -5 -0.6\nv 5 5 -0.6\nv -5 5 -0.6\nf 9 10 11 12\n");
        var lit = new MeshRaytracer(floor, SceneLighting.Default with { Shadows = true });
        var unlit = new MeshRaytracer(floor, SceneLighting.Default with { Shadows = false });
        var key = SceneLighting.Default.KeyDirection;
        var shadowed = -key * (0.6f / key.Z);
        Vector3 FloorColour(MeshRaytracer tracer)
        {
            var from = new Vector3(shadowed.X, shadowed.Y, -0.55f);
            Assert.True(tracer.Bvh.Intersect(from, -Vector3.UnitZ, 0, 1, out var hit));
            Assert.Equal(0.05f, hit.T, 4);
            return tracer.Shade(from, -Vector3.UnitZ, hit);
        }
        var l = SceneLighting.Default;
        // Unshadowed floor (normal +z): ambient + key·key.z + fill·fill.z; shadowed: the key term drops out.
        float albedo = FloorColour(unlit).X / (l.Ambient + l.Key * key.Z + l.Fill * l.FillDirection.Z);
        Assert.Equal(albedo * (l.Ambient + l.Fill * l.FillDirection.Z), FloorColour(lit).X, 4);
    }

    [Fact]
    public void TexturesAndKd_ShowInTheImage()
    {
        // Quads in the z = 0 plane facing a camera on +Z: the upper left one samples the red texel of a 2×1 map_Kd,
        // the upper right one the blue texel; the lower one has Kd pure green.
        NgpSharp.Imaging.Png.Write(Path.Combine(_dir.Path, "rb.png"), new NgpSharp.Imaging.Image(2, 1, 3, [1, 0, 0, 0, 0, 1]));
        _dir.Write("q.mtl", "newmtl tex\nmap_Kd rb.png\nnewmtl green\nKd 0 1 0\n");
        var mesh = Load("q.obj", """
            mtllib q.mtl
            v -1 0 0
            v 0 0 0
            v 1 0 0
            v -1 1 0
            v 0 1 0
            v 1 1 0
            v -1 -1 0
            v 1 -1 0
            vt 0.25 0.5
            vt 0.75 0.5
            usemtl tex
            f 1/1 2/1 5/1 4/1
            f 2/2 3/2 6/2 5/2
            usemtl green
            f 7 8 3 1
            """);
        var camera = DatasetCameras.LookAt(new Vector3(0, 0, 3), Vector3.Zero, 40, 40, 1.2);
        var view = new MeshRaytracer(mesh).Render(camera, 1, 0);
        var (red, blue, green) = ((x: 12, y: 10), (x: 28, y: 10), (x: 20, y: 26)); // image y grows downwards; ±2.05 world units across
        Assert.True(view.Rgba[red.x, red.y, 0] > 0.5f && view.Rgba[red.x, red.y, 1] == 0 && view.Rgba[red.x, red.y, 2] == 0);
        Assert.True(view.Rgba[blue.x, blue.y, 2] > 0.5f && view.Rgba[blue.x, blue.y, 0] == 0 && view.Rgba[blue.x, blue.y, 1] == 0);
        Assert.True(view.Rgba[green.x, green.y, 1] > 0.5f && view.Rgba[green.x, green.y, 0] == 0 && view.Rgba[green.x, green.y, 2] == 0);
    }

    [Fact]
    public void Render_IsDeterministic_AndTheSameSerialOrParallel()
    {
        var mesh = Load("sphere.obj", TestMeshes.Sphere(1, 32));
        var tracer = new MeshRaytracer(mesh);
        var camera = DatasetCameras.LookAt(new Vector3(2, -3, 1.5f), Vector3.Zero, 40, 30, 0.7);
        var a = tracer.Render(camera, 5, seed: 11, parallel: true);
        var b = tracer.Render(camera, 5, seed: 11, parallel: false);
        var c = tracer.Render(camera, 5, seed: 12);
        Assert.Equal(a.Rgba.Data, b.Rgba.Data);
        Assert.Equal(a.Depth, b.Depth);
        Assert.NotEqual(a.Rgba.Data, c.Rgba.Data); // the jitter differs on edge pixels
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    public void SampleOffsets_AreStratified(int spp)
    {
        var rng = new Rng(3);
        var offsets = new float[2 * spp];
        MeshRaytracer.SampleOffsets(spp, ref rng, offsets);
        Assert.All(offsets, o => Assert.InRange(o, 0f, 1f));
        int k = spp == 4 ? 2 : spp;
        // Every column stratum and every row stratum holds the same number of samples.
        var columns = Enumerable.Range(0, spp).Select(s => (int)(offsets[2 * s] * k)).GroupBy(c => c).Select(g => g.Count()).ToList();
        var rows = Enumerable.Range(0, spp).Select(s => (int)(offsets[2 * s + 1] * k)).GroupBy(c => c).Select(g => g.Count()).ToList();
        Assert.Equal(k, columns.Count);
        Assert.Equal(k, rows.Count);
        if (spp == 1) Assert.Equal([0.5f, 0.5f], offsets);
    }
}
