using System.Numerics;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class MeshTests
{
    [Fact]
    public void Square_BoundsAreaAndNormals()
    {
        var square = TestMeshes.Square();
        Assert.Equal(new Vector3(0, 0, 0), square.Bounds.Min);
        Assert.Equal(new Vector3(1, 1, 0), square.Bounds.Max);
        Assert.Equal(1.0, square.Area(), 12);
        Assert.All(square.ComputeVertexNormals(), n => Assert.Equal(Vector3.UnitZ, n));
    }

    [Fact]
    public void Constructor_RejectsBadShapes()
    {
        Assert.Throws<ArgumentException>(() => new Mesh([Vector3.Zero], [0, 0]));
        var e = Assert.Throws<ArgumentException>(() => new Mesh([Vector3.Zero, Vector3.One, Vector3.UnitX], [0, 1, 3]));
        Assert.Contains("vertex 3", e.Message);
        Assert.Throws<ArgumentException>(() => new Mesh([Vector3.Zero], [], colors: [Vector3.One, Vector3.One]));
        Assert.Throws<InvalidOperationException>(() => Mesh.Empty.Bounds);
    }

    [Fact]
    public void Transformed_ScalesTranslatesAndKeepsOrientation()
    {
        var sphere = TestMeshes.Icosphere(2);
        sphere = sphere.WithNormals(sphere.ComputeVertexNormals());
        var m = Matrix4x4.CreateScale(2f, 2f, 2f) * Matrix4x4.CreateTranslation(1, 2, 3);
        var moved = sphere.Transformed(m);
        Assert.Equal(4 * sphere.Area(), moved.Area(), 4);
        Assert.Equal(new Vector3(1, 2, 3) + 2 * sphere.Positions[5], moved.Positions[5]);
        Assert.Equal(sphere.Normals![5].X, moved.Normals![5].X, 5);

        var mirrored = sphere.Transformed(Matrix4x4.CreateScale(-1f, 1f, 1f));
        Assert.True(TestMeshes.SignedVolume(mirrored) > 0);   // winding flipped with the mirror
        Assert.Equal(-sphere.Normals[5].X, mirrored.Normals![5].X, 5);
    }
}
