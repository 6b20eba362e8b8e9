using System.Numerics;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class MarchingCubesTests
{
    static readonly Aabb Unit = new(Vector3.Zero, Vector3.One);

    /// <summary>One cube with corner values given in DESIGN's corner order.</summary>
    static Mesh Cube(params float[] corner)
    {
        var values = new float[8];
        for (int c = 0; c < 8; c++)
        {
            var (x, y, z) = MarchingCubesTables.Corners[c];
            values[(x * 2 + y) * 2 + z] = corner[c];
        }
        return MarchingCubes.Extract(values, 2, 2, 2, Unit);
    }

    static Vector3 Normal(Mesh m, int t)
    {
        var (a, b, c) = m.Triangle(t);
        return Vector3.Normalize(Vector3.Cross(b - a, c - a));
    }

    [Fact]
    public void OneCornerInside_OneTriangleAtTheInterpolatedPoints_FacingOut()
    {
        var mesh = Cube(3, -1, -1, -1, -1, -1, -1, -1);       // t = (0 − 3) / (−1 − 3) = 0.75 along each edge
        Assert.Equal(1, mesh.TriangleCount);
        Assert.Equal(3, mesh.VertexCount);
        var corners = new[] { mesh.Positions[mesh.Triangles[0]], mesh.Positions[mesh.Triangles[1]], mesh.Positions[mesh.Triangles[2]] };
        Assert.Equal(new[] { new Vector3(0.75f, 0, 0), new Vector3(0, 0.75f, 0), new Vector3(0, 0, 0.75f) }.ToHashSet(), corners.ToHashSet());
        Assert.True(Vector3.Dot(Normal(mesh, 0), Vector3.Normalize(Vector3.One)) > 0.999f); // away from the inside corner
    }

    [Fact]
    public void OppositeCorner_InterpolatesFromTheLowerIndex()
    {
        var mesh = Cube(-3, -3, -3, -3, -3, -3, 1, -3);       // corner 6 = (1,1,1): t = (0 + 3) / (1 + 3) = 0.75
        Assert.Equal(1, mesh.TriangleCount);
        Assert.Equal(new[] { new Vector3(0.75f, 1, 1), new Vector3(1, 0.75f, 1), new Vector3(1, 1, 0.75f) }.ToHashSet(), mesh.Positions.ToHashSet());
        Assert.True(Vector3.Dot(Normal(mesh, 0), -Vector3.Normalize(Vector3.One)) > 0.999f);
    }

    [Fact]
    public void OneCornerOutside_OneTriangleFacingTheOutsideCorner()
    {
        var mesh = Cube(-1, 1, 1, 1, 1, 1, 1, 1);
        Assert.Equal(1, mesh.TriangleCount);
        Assert.True(Vector3.Dot(Normal(mesh, 0), -Vector3.Normalize(Vector3.One)) > 0.999f);
    }

    [Fact]
    public void BottomHalfInside_AHorizontalQuadFacingUp()
    {
        var mesh = Cube(1, 1, 1, 1, -1, -1, -1, -1);
        Assert.Equal(2, mesh.TriangleCount);
        Assert.All(mesh.Positions, p => Assert.Equal(0.5f, p.Z));
        Assert.Equal(1.0, mesh.Area(), 6);
        Assert.True(Normal(mesh, 0).Z > 0.999f && Normal(mesh, 1).Z > 0.999f);
    }

    [Fact]
    public void AmbiguousFace_KeepsInsideCornersApart()
    {
        Assert.Equal(2, Cube(1, -1, 1, -1, -1, -1, -1, -1).TriangleCount);   // two separate corner triangles
        Assert.Equal(4, Cube(-1, 1, -1, 1, 1, 1, 1, 1).TriangleCount);       // complement: one hexagon joining the outside corners
    }

    [Fact]
    public void Tables_UseExactlyTheCrossedEdges()
    {
        for (int c = 0; c < 256; c++)
        {
            int used = 0;
            for (int k = MarchingCubesTables.TriangleStart[c]; k < MarchingCubesTables.TriangleStart[c + 1]; k++) used |= 1 << MarchingCubesTables.TriangleEdges[k];
            Assert.Equal(MarchingCubesTables.EdgeMask[c], used);
        }
        Assert.Equal(0, MarchingCubesTables.TriangleCount(0));
        Assert.Equal(0, MarchingCubesTables.TriangleCount(255));
        Assert.Equal(1, MarchingCubesTables.TriangleCount(1));
        Assert.Equal(4, MarchingCubesTables.TriangleCount(0b10100101)); // corners 0, 2, 5, 7: four separate corners
    }

    static float[] Sample(Func<Vector3, float> f, Aabb box, int n)
    {
        var values = new float[n * n * n];
        var step = box.Size / (n - 1);
        for (int x = 0; x < n; x++)
            for (int y = 0; y < n; y++)
                for (int z = 0; z < n; z++)
                    values[(x * n + y) * n + z] = f(box.Min + new Vector3(x, y, z) * step);
        return values;
    }

    static readonly Aabb Box = new(new Vector3(-1), new Vector3(1));
    static float Sphere(Vector3 p) => 0.7f - p.Length();   // −SDF: positive inside

    [Fact]
    public void Sphere_IsClosedGenusZeroOnTheRadiusAndFacesOut()
    {
        var mesh = MarchingCubes.Extract(Sample(Sphere, Box, 40), 40, 40, 40, Box);
        var (euler, watertight, oriented) = TestMeshes.Topology(mesh);
        Assert.True(watertight);
        Assert.True(oriented);
        Assert.Equal(2, euler);
        Assert.All(mesh.Positions, p => Assert.InRange(p.Length(), 0.7f - 5e-3f, 0.7f + 1e-5f)); // the linear interpolant of a concave field crosses inside
        double volume = TestMeshes.SignedVolume(mesh);
        Assert.InRange(volume, 0.98 * 4.0 / 3 * Math.PI * 0.343, 4.0 / 3 * Math.PI * 0.343);
        for (int t = 0; t < mesh.TriangleCount; t++)
        {
            var (a, b, c) = mesh.Triangle(t);
            var n = Vector3.Cross(b - a, c - a);
            if (n.Length() > 1e-9f) Assert.True(Vector3.Dot(n, a + b + c) > 0, $"triangle {t} faces in");
        }
    }

    [Fact]
    public void Torus_HasEulerCharacteristicZero()
    {
        static float Torus(Vector3 p) => 0.25f - new Vector2(new Vector2(p.X, p.Y).Length() - 0.6f, p.Z).Length();
        var mesh = MarchingCubes.Extract(Sample(Torus, Box, 48), 48, 48, 48, Box);
        var (euler, watertight, oriented) = TestMeshes.Topology(mesh);
        Assert.True(watertight && oriented);
        Assert.Equal(0, euler);
        Assert.True(TestMeshes.SignedVolume(mesh) > 0);
    }

    static MarchingCubes.BatchedField Field(Func<Vector3, float> f, List<int>? batches = null) => (positions, values) =>
    {
        batches?.Add(values.Length);
        for (int i = 0; i < values.Length; i++) values[i] = f(new Vector3(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]));
    };

    [Theory]
    [InlineData(100)]      // less than a plane per call
    [InlineData(3000)]     // a few planes per call
    [InlineData(1 << 20)]  // everything at once
    public void ChunkedField_GivesTheSameMeshAsTheGrid(int batch)
    {
        var box = new Aabb(new Vector3(-1, -0.9f, -0.8f), new Vector3(1, 1.1f, 0.9f));
        int nx = 23, ny = 19, nz = 17;
        var values = new float[nx * ny * nz];
        double sx = ((double)box.Max.X - box.Min.X) / (nx - 1), sy = ((double)box.Max.Y - box.Min.Y) / (ny - 1), sz = ((double)box.Max.Z - box.Min.Z) / (nz - 1);
        for (int x = 0; x < nx; x++)
            for (int y = 0; y < ny; y++)
                for (int z = 0; z < nz; z++)
                    values[(x * ny + y) * nz + z] = Sphere(new Vector3((float)(box.Min.X + x * sx), (float)(box.Min.Y + y * sy), (float)(box.Min.Z + z * sz)));
        var expected = MarchingCubes.Extract(values, nx, ny, nz, box);
        var batches = new List<int>();
        var mesh = MarchingCubes.Extract(Field(Sphere, batches), box, nx, ny, nz, batchSize: batch);
        Assert.True(batches.Max() <= batch);
        Assert.Equal(nx * ny * nz, batches.Sum());
        Assert.Equal(expected.Triangles, mesh.Triangles);
        Assert.Equal(expected.Positions, mesh.Positions);
    }

    [Fact]
    public void CoarseToFine_RefinesAroundASmallSphere()
    {
        static float Small(Vector3 p) => 0.2f - (p - new Vector3(0.3f, 0, 0)).Length();
        var mesh = MarchingCubes.ExtractCoarseToFine(Field(Small), Box, coarseResolution: 24, fineResolution: 40);
        var (euler, watertight, _) = TestMeshes.Topology(mesh);
        Assert.True(watertight);
        Assert.Equal(2, euler);
        // The fine grid spans ≈ 0.4·1.2 + padding, not 2: its cells are ~4× smaller than a 40³ grid over the box.
        Assert.InRange(mesh.Bounds.Size.X, 0.38f, 0.41f);
        Assert.All(mesh.Positions, p => Assert.InRange((p - new Vector3(0.3f, 0, 0)).Length(), 0.2f - 1e-3f, 0.2f + 1e-4f));
        Assert.True(mesh.TriangleCount > 2000);

        Assert.Equal(0, MarchingCubes.ExtractCoarseToFine(Field(_ => -1f), Box, 8, 16).TriangleCount);
    }

    [Fact]
    public void BadGrids_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => MarchingCubes.Extract(new float[8], 2, 2, 1, Unit));
        Assert.Throws<ArgumentException>(() => MarchingCubes.Extract(new float[7], 2, 2, 2, Unit));
    }
}
