using System.Buffers.Binary;
using System.Numerics;
using System.Text;
using NgpSharp.Geometry;
using NgpSharp.Geometry.MeshIo;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public sealed class MeshIoTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ngp-meshio").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    static Mesh ColouredSphere()
    {
        var sphere = TestMeshes.Icosphere(1, 0.75f, new Vector3(0.1f, -0.2f, 0.3f));
        var colors = sphere.Positions.Select((p, i) => new Vector3(i % 256 / 255f, (i * 7 % 256) / 255f, 128 / 255f)).ToArray();
        return new Mesh(sphere.Positions, sphere.Triangles, colors, sphere.ComputeVertexNormals());
    }


    [Theory]
    [InlineData("m.ply")]
    [InlineData("m.obj")]
    public void RoundTrip_KeepsPositionsTrianglesColoursNormals(string file)
    {
        var mesh = ColouredSphere();
        var path = Path.Combine(_dir, file);
        MeshFile.Write(path, mesh);
        var back = MeshFile.Read(path);
        Assert.Equal(mesh.Positions, back.Positions);
        Assert.Equal(mesh.Triangles, back.Triangles);
        Assert.NotNull(back.Colors);
        for (int i = 0; i < mesh.VertexCount; i++)
        {
            Assert.True(Vector3.Distance(mesh.Colors![i], back.Colors![i]) < 1e-6f, $"colour {i}: {mesh.Colors[i]} vs {back.Colors[i]}");
            Assert.True(Vector3.Distance(mesh.Normals![i], back.Normals![i]) < 1e-6f, $"normal {i}");
        }
    }

    [Theory]
    [InlineData("m.ply")]
    [InlineData("m.obj")]
    [InlineData("m.STL")]
    public void RoundTrip_PlainMesh(string file)
    {
        var mesh = TestMeshes.Icosphere(2);
        var path = Path.Combine(_dir, file);
        MeshFile.Write(path, mesh);
        var back = MeshFile.Read(path);
        Assert.Null(back.Colors);
        Assert.Null(back.Normals);
        Assert.Equal(mesh.TriangleCount, back.TriangleCount);
        Assert.Equal(mesh.VertexCount, back.VertexCount);
        for (int t = 0; t < mesh.TriangleCount; t++) Assert.Equal(mesh.Triangle(t), back.Triangle(t));
    }

    [Fact]
    public void PlyColours_AreQuantisedToBytes()
    {
        var mesh = TestMeshes.Square().WithColors([new(0.1f, 0.5f, 1.2f), new(0, 0, 0), new(1, 1, 1), new(0.25f, 0.75f, -1)]);
        var path = Path.Combine(_dir, "c.ply");
        MeshFile.Write(path, mesh);
        var back = MeshFile.Read(path).Colors!;
        Assert.Equal(new Vector3(26 / 255f, 128 / 255f, 1f), back[0]);   // 25.5 → 26, 127.5 → 128, clamped
        Assert.Equal(new Vector3(64 / 255f, 191 / 255f, 0f), back[3]);
    }

    [Fact]
    public void SharedBunnyMeshes_Read()
    {
        foreach (var path in new[] { TestData.Path("meshes", "bunny.obj"), TestData.Path("bunny", "gt_mesh.obj") })
        {
            var mesh = MeshFile.Read(path);
            Assert.Equal(1839, mesh.VertexCount);
            Assert.Equal(3674, mesh.TriangleCount);
            Assert.True(mesh.Area() > 0);
        }
        var gt = MeshFile.Read(TestData.Path("bunny", "gt_mesh.obj"));
        Assert.True(gt.Bounds.Size.Length() is > 0.5f and < 3f, gt.Bounds.ToString()); // fits the radius-1.2 sphere
    }

    [Fact]
    public void Obj_SlashesNegativeIndicesPolygonsColoursContinuations()
    {
        var path = Path.Combine(_dir, "a.obj");
        File.WriteAllText(path, """
            # comment
            mtllib x.mtl
            o thing
            v 0 0 0 1 0 0
            v 1 0 0 0 1 0   # trailing comment
            v 1 1 0 \
              0 0 1
            v 0 1 0 1 1 1
            v 0.5 1.5 0 0.5 0.5 0.5
            vt 0 0
            vt 1 0
            vn 0 0 1
            vn 0 0 2
            g group
            usemtl m
            s off
            f 1/1/1 2/2/1 3/1/1 4/2/2
            f -5//-2 -1//-2 -2//-1
            l 1 2
            """);
        var mesh = MeshFile.Read(path);
        Assert.Equal(5, mesh.VertexCount);
        Assert.Equal([0, 1, 2, 0, 2, 3, 0, 4, 3], mesh.Triangles);
        Assert.Equal(new Vector3(1, 1, 0), mesh.Positions[2]);
        Assert.Equal(new Vector3(0, 0, 1), mesh.Colors![2]);
        Assert.Equal(Vector3.UnitZ, mesh.Normals![0]);
    }

    [Fact]
    public void AsciiPly_AnyOrderTypesExtraElementsAndQuads()
    {
        var path = Path.Combine(_dir, "a.ply");
        File.WriteAllText(path, """
            ply
            format ascii 1.0
            comment made by hand
            element vertex 4
            property double z
            property float confidence
            property double x
            property uchar red
            property uchar green
            property uchar blue
            property float y
            element face 1
            property int flags
            property list uchar ushort vertex_indices
            element edge 1
            property int vertex1
            property int vertex2
            end_header
            0 9 0 255 0 0 0
            0 9 1 0 255 0 0
            0 9 1 0 0 255 1
            0.5 9 0 51 51 51 1
            7 4 0 1 2 3
            0 1
            """);
        var mesh = MeshFile.Read(path);
        Assert.Equal([0, 1, 2, 0, 2, 3], mesh.Triangles);
        Assert.Equal(new Vector3(0, 1, 0.5f), mesh.Positions[3]);
        Assert.Equal(new Vector3(0.2f, 0.2f, 0.2f), mesh.Colors![3]);
        Assert.Null(mesh.Normals);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BinaryPly_EitherEndian_FloatColoursAndIntCounts(bool bigEndian)
    {
        var header = $"""
            ply
            format {(bigEndian ? "binary_big_endian" : "binary_little_endian")} 1.0
            element vertex 3
            property float x
            property float y
            property float z
            property float red
            property float green
            property float blue
            element face 1
            property list int uint vertex_indices
            end_header

            """.Replace("\r\n", "\n");
        var data = new List<byte>(Encoding.ASCII.GetBytes(header));
        void F(float v) { var b = new byte[4]; if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(b, v); else BinaryPrimitives.WriteSingleLittleEndian(b, v); data.AddRange(b); }
        void I(int v) { var b = new byte[4]; if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(b, v); else BinaryPrimitives.WriteInt32LittleEndian(b, v); data.AddRange(b); }
        float[][] v = [[0, 0, 0, 1, 0, 0], [2, 0, 0, 0, 0.5f, 0], [0, 3, 0, 0, 0, 0.25f]];
        foreach (var row in v) foreach (var x in row) F(x);
        I(3); I(0); I(1); I(2);
        var path = Path.Combine(_dir, "b.ply");
        File.WriteAllBytes(path, [.. data]);
        var mesh = MeshFile.Read(path);
        Assert.Equal([0, 1, 2], mesh.Triangles);
        Assert.Equal(new Vector3(0, 3, 0), mesh.Positions[2]);
        Assert.Equal(new Vector3(0, 0.5f, 0), mesh.Colors![1]);
        Assert.Equal(3.0, mesh.Area(), 6);
    }

    [Fact]
    public void AsciiStl_IsWelded()
    {
        var path = Path.Combine(_dir, "a.stl");
        File.WriteAllText(path, """
            solid square
              facet normal 0 0 1
                outer loop
                  vertex 0 0 0
                  vertex 1 0 0
                  vertex 1 1 0
                endloop
              endfacet
              facet normal 0 0 1
                outer loop
                  vertex -0 0 0
                  vertex 1 1 0
                  vertex 0 1 0
                endloop
              endfacet
            endsolid square
            """);
        var mesh = MeshFile.Read(path);
        Assert.Equal(4, mesh.VertexCount);
        Assert.Equal([0, 1, 2, 0, 2, 3], mesh.Triangles);
    }

    [Fact]
    public void BinaryStl_StartingWithSolid_IsStillBinary()
    {
        var path = Path.Combine(_dir, "b.stl");
        MeshFile.Write(path, TestMeshes.Square());
        var bytes = File.ReadAllBytes(path);
        Encoding.ASCII.GetBytes("solid but binary").CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        Assert.Equal(2, MeshFile.Read(path).TriangleCount);
    }
}
