using System.Text;
using NgpSharp.Geometry.MeshIo;
using Xunit;

namespace NgpSharp.Tests.Geometry;

/// <summary>Malformed mesh files: a MeshFormatException naming the file, the place and the problem — never a crash or hang.</summary>
public sealed class MeshIoBadInputTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ngp-meshio-bad").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    MeshFormatException Fails(string file, byte[] content, params string[] expected)
    {
        var path = Path.Combine(_dir, file);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<MeshFormatException>(() => MeshFile.Read(path));
        Assert.Contains(file, e.Message);
        foreach (var s in expected) Assert.Contains(s, e.Message);
        return e;
    }

    MeshFormatException Fails(string file, string content, params string[] expected) => Fails(file, Encoding.ASCII.GetBytes(content), expected);

    [Theory]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", "line 4", "out of range")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", "line 4", "out of range")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 0 1 2\n", "line 4", "\"0\"")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2\n", "line 4", "at least 3")]
    [InlineData("v 0 nan 0\n", "line 1", "finite")]
    [InlineData("v 0 0,5 0\n", "line 1", "not a number")]
    [InlineData("v 0 0\n", "line 1", "x y z")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1 2/1 3/1\n", "line 4", "texture coordinate index 1 out of range")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/x 2 3\n", "line 4", "not a texture coordinate index")]
    public void Obj(string content, string where, string problem) => Fails("bad.obj", content, where, problem);

    const string PlyTriangleHeader = "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uchar int vertex_indices\nend_header\n";

    static byte[] BinaryTriangle(int lastIndex = 2, float x0 = 0f)
    {
        var data = new List<byte>(Encoding.ASCII.GetBytes(PlyTriangleHeader));
        foreach (var v in new[] { x0, 0, 0, 1, 0, 0, 0, 1, 0 }) data.AddRange(BitConverter.GetBytes(v));
        data.Add(3);
        foreach (var i in new[] { 0, 1, lastIndex }) data.AddRange(BitConverter.GetBytes(i));
        return [.. data];
    }

    [Fact]
    public void Ply_TheValidFixtureReads() => Assert.Equal(1, MeshFile.Read(Write("ok.ply", BinaryTriangle())).TriangleCount);

    [Fact]
    public void Ply_Truncated() => Fails("t.ply", BinaryTriangle()[..^3], "face 0", "truncated");

    [Fact]
    public void Ply_IndexOutOfRange() => Fails("i.ply", BinaryTriangle(lastIndex: 3), "face 0", "index 3 out of range");

    [Fact]
    public void Ply_NaNCoordinate() => Fails("n.ply", BinaryTriangle(x0: float.NaN), "vertex 0", "not finite");

    [Fact]
    public void Ply_AbsurdCount_IsRefusedBeforeAllocating()
    {
        var bytes = BinaryTriangle();
        var text = Encoding.ASCII.GetString(bytes).Replace("element vertex 3", "element vertex 2000000000");
        Fails("huge.ply", Encoding.Latin1.GetBytes(text), "\"vertex\"", "2000000000");
    }

    [Fact]
    public void Ply_AbsurdListCount()
    {
        var text = "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\nelement face 1\nproperty list uint int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n4000000000 0 1 2\n";
        Fails("list.ply", text, "face 0", "4000000000");
    }

    [Theory]
    [InlineData("plx\n", "not a PLY")]
    [InlineData("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n", "end_header")]
    [InlineData("ply\nformat zip 1.0\nend_header\n", "unknown PLY format")]
    [InlineData("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\n0\n", "x, y and z")]
    [InlineData("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 0\n", "truncated")]
    [InlineData("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n0 zero 0\n", "line 8")]
    [InlineData("ply\nformat ascii 1.0\nelement vertex 1\nproperty flaot x\nend_header\n", "header line 4")]
    [InlineData("ply\nformat ascii 1.0\nelement vertex -1\nend_header\n", "header line 3")]
    public void Ply_Header(string content, string problem) => Fails("h.ply", content, problem);

    [Fact]
    public void Stl_BinaryTruncated()
    {
        var path = Path.Combine(_dir, "ok.stl");
        MeshFile.Write(path, TestMeshes.Square());
        Fails("t.stl", File.ReadAllBytes(path)[..^10], "2 triangles", "truncated");
        Fails("short.stl", new byte[40], "truncated");
    }

    [Theory]
    [InlineData("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\n", "endsolid")]
    [InlineData("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nendloop\nendfacet\nendsolid\n", "line 7")]
    [InlineData("solid x\nfacet normal 0 0 1\nouter loop\nvertex 0 0 inf\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid\n", "line 4")]
    public void Stl_Ascii(string content, string problem) => Fails("a.stl", content, problem);

    [Fact]
    public void UnknownExtension_AndMissingFile()
    {
        var e = Assert.Throws<MeshFormatException>(() => MeshFile.Read(Path.Combine(_dir, "m.off")));
        Assert.Contains(".off", e.Message);
        var missing = Assert.Throws<FileNotFoundException>(() => MeshFile.Read(Path.Combine(_dir, "none.ply")));
        Assert.Contains("none.ply", missing.Message);
    }

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
