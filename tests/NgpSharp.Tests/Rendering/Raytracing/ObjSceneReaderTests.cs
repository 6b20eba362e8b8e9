using System.Numerics;
using NgpSharp.Imaging;
using NgpSharp.Rendering.Raytracing;
using Xunit;

namespace NgpSharp.Tests.Rendering.Raytracing;

public sealed class ObjSceneReaderTests : IDisposable
{
    readonly TempFolder _dir = new();

    public void Dispose() => _dir.Dispose();

    static ObjData Parse(string text) => ObjParser.Parse(new StringReader(text), "test.obj");

    [Fact]
    public void ParsesAllFaceVertexForms_NegativeIndices_AndFanTriangulates()
    {
        var obj = Parse("""
            # comment
            v 0 0 0
            v 1 0 0
            v 1 1 0   # trailing comment
            v 0 1 0 1.0
            vt 0 0
            vt 1 0
            vt 1 1
            vn 0 0 1
            o quad
            g group
            s off
            f 1/1/1 2/2/1 3/3/1 4//1
            f -4 -3 -2
            f 1/1 2/2 3/3
            """);
        Assert.Equal(4, obj.Positions.Count);
        Assert.Equal(new Vector3(1, 1, 0), obj.Positions[2]);
        Assert.Equal(3, obj.TexCoords.Count);
        Assert.Single(obj.Normals);
        Assert.Equal(4, obj.TriangleCount); // quad → 2 triangles, then 2 triangles
        // Fan: (0,1,2), (0,2,3).
        Assert.Equal([0, 1, 2, 0, 2, 3], obj.Corners.Take(6).Select(c => c.Position));
        Assert.Equal(new ObjCorner(3, -1, 0), obj.Corners[5]);
        Assert.Equal(new ObjCorner(0, 0, 0), obj.Corners[0]);
        // Negative indices count back from the last vertex defined: -4 → 0, -2 → 2.
        Assert.Equal([0, 1, 2], obj.Corners.Skip(6).Take(3).Select(c => c.Position));
        Assert.Equal(new ObjCorner(2, 2, -1), obj.Corners[11]);
        Assert.All(obj.TriangleMaterials, m => Assert.Equal(-1, m));
    }

    [Fact]
    public void RecordsMaterialsPerTriangle()
    {
        var obj = Parse("mtllib a.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\nusemtl red\nf 1 2 3\nusemtl blue paint\nf 1 2 3\nusemtl red\nf 3 2 1\n");
        Assert.Equal(["a.mtl"], obj.MaterialLibraries);
        Assert.Equal(["red", "blue paint"], obj.MaterialNames);
        Assert.Equal([-1, 0, 1, 0], obj.TriangleMaterials);
    }

    [Theory]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\n", "test.obj:4", "vertex 4, but only 3 vertices")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n", "test.obj:4", "vertex -4")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n", "test.obj:4", "'0' is not a valid vertex index")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/2 2 3\n", "test.obj:4", "texture coordinate 2, but only 0")]
    [InlineData("v 0 0 0\nv 1 0 0\nf 1 2\n", "test.obj:3", "at least 3 vertices")]
    [InlineData("v 0 zero 0\n", "test.obj:1", "'zero' is not a number")]
    [InlineData("v 0 0\n", "test.obj:1", "needs 3 coordinates")]
    [InlineData("v 1e999 0 0\n", "test.obj:1", "not a finite number")]
    [InlineData("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/1/1/1 2 3\n", "test.obj:4", "more than 3")]
    public void BadObjInput_NamesFileLineAndProblem(string text, string where, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse(text));
        Assert.Contains(where, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void ObjWithoutFaces_IsAnError()
    {
        var path = _dir.Write("points.obj", "v 0 0 0\n");
        var e = Assert.Throws<InvalidDataException>(() => ObjSceneReader.Read(path));
        Assert.Contains("points.obj", e.Message);
        Assert.Contains("no faces", e.Message);
    }

    [Fact]
    public void MissingObj_NamesTheFile()
    {
        var path = Path.Combine(_dir.Path, "nope.obj");
        var e = Assert.Throws<FileNotFoundException>(() => ObjSceneReader.Read(path));
        Assert.Contains(path, e.Message);
    }

    const string Triangles = "v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 0 1\n";

    [Fact]
    public void Materials_KdTexturesAndProceduralFaces()
    {
        // A 2×1 texture: left texel red, right texel blue (sRGB 1 → linear 1).
        var texture = new Image(2, 1, 3, [1, 0, 0, 0, 0, 1]);
        Directory.CreateDirectory(Path.Combine(_dir.Path, "tex"));
        Png.Write(Path.Combine(_dir.Path, "tex", "rb.png"), texture);
        _dir.Write("m.mtl", "newmtl plain\nKd 0.2 0.4 0.6\nKa 1 1 1\nnewmtl textured\nKd 1 1 1\nmap_Kd -s 1 1 1 -bm 0.5 tex\\rb.png\n");
        var path = _dir.Write("m.obj", "mtllib m.mtl\n" + Triangles + "f 1 2 3\nusemtl plain\nf 1 2 3\nusemtl textured\nf 1/1 2/2 3/3\n");
        var mesh = ObjSceneReader.Read(path);
        Assert.Equal(3, mesh.TriangleCount);
        var none = mesh.Materials[mesh.TriangleMaterials[0]];
        var plain = mesh.Materials[mesh.TriangleMaterials[1]];
        var textured = mesh.Materials[mesh.TriangleMaterials[2]];
        Assert.True(none.IsProcedural);
        Assert.Equal(new Vector3(0.2f, 0.4f, 0.6f), plain.Diffuse);
        Assert.Null(plain.Texture);
        Assert.NotNull(textured.Texture);
        // Texel centres at u = 0.25 and 0.75; v = 0.5 is the middle of the only row.
        Assert.Equal(new Vector3(1, 0, 0), textured.Texture!.Sample(0.25f, 0.5f));
        Assert.Equal(new Vector3(0, 0, 1), textured.Texture.Sample(0.75f, 0.5f));
        Assert.Equal(new Vector3(0.5f, 0, 0.5f), textured.Texture.Sample(0.5f, 0.5f));
        Assert.Equal(new Vector3(0.5f, 0, 0.5f), textured.Texture.Sample(1.0f, 0.5f)); // wraps: halfway between blue and red
        Assert.True(float.IsNaN(mesh.CornerUvs[0].X));
        Assert.Equal(new Vector2(1, 0), mesh.CornerUvs[7]);
    }

    [Fact]
    public void SmoothNormals_KeepHardEdges_AndFileNormalsWin()
    {
        var cube = ObjSceneReader.Read(_dir.Write("cube.obj", TestMeshes.Cube()));
        for (int t = 0; t < cube.TriangleCount; t++)
        {
            var (a, b, c) = cube.Triangle(t);
            var face = Vector3.Normalize(Vector3.Cross(b - a, c - a));
            for (int k = 0; k < 3; k++) Assert.True(Vector3.Distance(face, cube.CornerNormals[3 * t + k]) < 1e-6f, $"corner {3 * t + k}");
        }
        var withNormals = ObjSceneReader.Read(_dir.Write("n.obj", "v 0 0 0\nv 1 0 0\nv 0 1 0\nvn 0 0 2\nvn 0 1 1\nf 1//1 2//2 3//1\n"));
        Assert.Equal(Vector3.UnitZ, withNormals.CornerNormals[0]);
        Assert.True(Vector3.Distance(Vector3.Normalize(new Vector3(0, 1, 1)), withNormals.CornerNormals[1]) < 1e-6f);
    }

    [Fact]
    public void MissingLibrary_Material_OrTexture_AreErrorsNamingTheFile()
    {
        var noLib = _dir.Write("a.obj", "mtllib gone.mtl\n" + Triangles + "usemtl x\nf 1 2 3\n");
        var e1 = Assert.Throws<FileNotFoundException>(() => ObjSceneReader.Read(noLib));
        Assert.Contains("gone.mtl", e1.Message);
        Assert.Contains("a.obj", e1.Message);

        _dir.Write("b.mtl", "newmtl x\nKd 1 0 0\n");
        var undefined = _dir.Write("b.obj", "mtllib b.mtl\n" + Triangles + "usemtl y\nf 1 2 3\n");
        var e2 = Assert.Throws<InvalidDataException>(() => ObjSceneReader.Read(undefined));
        Assert.Contains("'y' is not defined in b.mtl", e2.Message);

        _dir.Write("c.mtl", "newmtl x\nmap_Kd missing.jpg\n");
        var noTexture = _dir.Write("c.obj", "mtllib c.mtl\n" + Triangles + "usemtl x\nf 1/1 2/2 3/3\n");
        var e3 = Assert.Throws<FileNotFoundException>(() => ObjSceneReader.Read(noTexture));
        Assert.Contains("missing.jpg", e3.Message);

        _dir.Write("d.mtl", "newmtl x\nmap_Kd bad.png\n");
        _dir.Write("bad.png", "not an image");
        var badTexture = _dir.Write("d.obj", "mtllib d.mtl\n" + Triangles + "usemtl x\nf 1/1 2/2 3/3\n");
        var e4 = Assert.Throws<ImageFormatException>(() => ObjSceneReader.Read(badTexture));
        Assert.Contains("bad.png", e4.Message);
    }

    [Fact]
    public void AllowMissing_RendersGreyWithWarnings()
    {
        _dir.Write("c.mtl", "newmtl x\nmap_Kd missing.jpg\n");
        var path = _dir.Write("c.obj", "mtllib c.mtl\nmtllib gone.mtl\n" + Triangles + "usemtl x\nf 1/1 2/2 3/3\nusemtl y\nf 1 2 3\n");
        var mesh = ObjSceneReader.Read(path, allowMissing: true, out var warnings);
        Assert.Equal(3, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("gone.mtl"));
        Assert.Contains(warnings, w => w.Contains("missing.jpg"));
        Assert.Contains(warnings, w => w.Contains("'y'"));
        Assert.All(mesh.TriangleMaterials, m => Assert.Equal(new Vector3(0.8f), mesh.Materials[m].Diffuse));
        Assert.All(mesh.TriangleMaterials, m => Assert.Null(mesh.Materials[m].Texture));
    }

    [Theory]
    [InlineData("Kd 1 0 0\n", "'Kd' before any 'newmtl'")]
    [InlineData("newmtl a\nKd red\n", "'red' is not a number")]
    [InlineData("newmtl a\nmap_Kd\n", "'map_Kd' needs a file name")]
    [InlineData("newmtl a\nKd spectral x.rfl\n", "not supported")]
    public void BadMtlInput_NamesFileLineAndProblem(string text, string problem)
    {
        var e = Assert.Throws<InvalidDataException>(() => MtlReader.Parse(new StringReader(text), "x.mtl", "."));
        Assert.Contains("x.mtl:", e.Message);
        Assert.Contains(problem, e.Message);
    }
}
