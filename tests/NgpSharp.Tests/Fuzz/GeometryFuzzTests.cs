using System.Globalization;
using System.Text;
using NgpSharp.Data;
using NgpSharp.Data.Npy;
using NgpSharp.Geometry;
using NgpSharp.Geometry.MeshIo;
using NgpSharp.Imaging;
using NgpSharp.Rendering.Raytracing;
using NgpSharp.Tests.Data;
using NgpSharp.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Fuzz;

/// <summary>
/// The newer parsers under mutated input, one FuzzDriver line each: .npy and .npz (the shared numpy files), OBJ,
/// PLY (ASCII and binary) and STL (ASCII and binary) meshes from a cut of the bunny, the OBJ+MTL scene reader, and a
/// DTU scan's cameras_sphere.npz through DtuDataset. A result, or our exception, nothing else.
/// </summary>
public sealed class GeometryFuzzTests(ITestOutputHelper output)
{
    static IEnumerable<string> NpyFiles(string ext) => Directory.GetFiles(TestData.Path("npy"), "*" + ext).Order();

    [Fact]
    public void Npy_Fuzz()
    {
        var seeds = NpyFiles(".npy").Select(p => new FuzzSeed(Path.GetFileName(p), File.ReadAllBytes(p), Heavy: new FileInfo(p).Length > 4096)).ToList();
        FuzzDriver.Run(output, new FuzzTarget("npy", seeds, b => Npy.Read(new MemoryStream(b), "x.npy"), typeof(NpyFormatException)) { Cases = 5000 });
    }

    [Fact]
    public void Npz_Fuzz()
    {
        var seeds = NpyFiles(".npz").Select(p => new FuzzSeed(Path.GetFileName(p), File.ReadAllBytes(p))).ToList();
        FuzzDriver.Run(output, new FuzzTarget("npz", seeds, b => Npz.Read(new MemoryStream(b), "x.npz"), typeof(NpyFormatException)) { Cases = 4000 });
    }

    /// <summary>The bunny's first vertices and the faces among them (a few hundred).</summary>
    internal static Mesh BunnyCut()
    {
        var bunny = MeshFile.Read(TestData.Path("meshes", "bunny.obj"));
        const int vertices = 400;
        var triangles = new List<int>();
        for (int t = 0; t < bunny.TriangleCount; t++)
        {
            var idx = bunny.Triangles.AsSpan(3 * t, 3);
            if (idx[0] < vertices && idx[1] < vertices && idx[2] < vertices) triangles.AddRange(idx.ToArray());
        }
        return new Mesh(bunny.Positions[..vertices], [.. triangles]);
    }

    static byte[] Write(Action<Stream, Mesh> writer, Mesh mesh)
    {
        var s = new MemoryStream();
        writer(s, mesh);
        return s.ToArray();
    }

    static string AsciiPly(Mesh m, bool colours)
    {
        var sb = new StringBuilder($"ply\nformat ascii 1.0\ncomment cut\nelement vertex {m.VertexCount}\nproperty float x\nproperty float y\nproperty float z\n");
        if (colours) sb.Append("property uchar red\nproperty uchar green\nproperty uchar blue\n");
        sb.Append($"element face {m.TriangleCount}\nproperty list uchar int vertex_indices\nend_header\n");
        for (int i = 0; i < m.VertexCount; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{m.Positions[i].X} {m.Positions[i].Y} {m.Positions[i].Z}{(colours ? $" {i % 256} 128 {255 - i % 256}" : "")}\n");
        for (int t = 0; t < m.TriangleCount; t++) sb.Append(CultureInfo.InvariantCulture, $"3 {m.Triangles[3 * t]} {m.Triangles[3 * t + 1]} {m.Triangles[3 * t + 2]}\n");
        return sb.ToString();
    }

    static string AsciiStl(Mesh m, int triangles)
    {
        var sb = new StringBuilder("solid cut\n");
        for (int t = 0; t < Math.Min(triangles, m.TriangleCount); t++)
        {
            var (a, b, c) = m.Triangle(t);
            sb.Append(" facet normal 0 0 1\n  outer loop\n");
            foreach (var v in new[] { a, b, c }) sb.Append(CultureInfo.InvariantCulture, $"   vertex {v.X} {v.Y} {v.Z}\n");
            sb.Append("  endloop\n endfacet\n");
        }
        return sb.Append("endsolid cut\n").ToString();
    }

    [Fact]
    public void Obj_Fuzz()
    {
        var cut = BunnyCut();
        var seeds = new List<FuzzSeed>
        {
            new("bunny cut", Write(ObjFormat.Write, cut)),
            new("quad with uv/normal refs", Encoding.ASCII.GetBytes("# q\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvn 0 0 1\nf 1/1/1 2/1/1 3/1/1 4/1/1\nf -1 -2 -3\n")),
        };
        FuzzDriver.Run(output, new FuzzTarget("mesh obj", seeds, b => ObjFormat.Read(new MemoryStream(b), "x.obj"), typeof(MeshFormatException)) { Text = true, Cases = 1000 });
    }

    [Fact]
    public void Ply_Fuzz()
    {
        var cut = BunnyCut();
        var small = new Mesh(cut.Positions[..40], cut.Triangles.Where((_, i) => i < 3 * cut.TriangleCount).ToArray().Chunk(3).Where(t => t.All(v => v < 40)).SelectMany(t => t).ToArray());
        var coloured = new Mesh(small.Positions, small.Triangles, small.Positions.Select(p => new System.Numerics.Vector3(0.2f, 0.5f, 0.9f)).ToArray());
        var seeds = new List<FuzzSeed>
        {
            new("binary", Write(PlyFormat.Write, cut)),
            new("binary coloured", Write(PlyFormat.Write, coloured)),
            new("ascii", Encoding.ASCII.GetBytes(AsciiPly(small, colours: false))),
            new("ascii coloured", Encoding.ASCII.GetBytes(AsciiPly(small, colours: true))),
            new("big endian", Encoding.ASCII.GetBytes("ply\nformat binary_big_endian 1.0\nelement vertex 3\nproperty double x\nproperty double y\nproperty double z\nelement face 1\nproperty list uchar uint vertex_indices\nend_header\n")
                .Concat(new[] { 0.0, 0, 0, 1, 0, 0, 0, 1, 0 }.SelectMany(v => BitConverter.GetBytes(BitConverter.DoubleToInt64Bits(v)).Reverse()))
                .Concat(new byte[] { 3, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2 }).ToArray()),
        };
        FuzzDriver.Run(output, new FuzzTarget("mesh ply", seeds, b => PlyFormat.Read(new MemoryStream(b), "x.ply"), typeof(MeshFormatException)) { Cases = 4000 });
    }

    [Fact]
    public void Stl_Fuzz()
    {
        var cut = BunnyCut();
        var seeds = new List<FuzzSeed>
        {
            new("binary", Write(StlFormat.Write, new Mesh(cut.Positions, cut.Triangles[..(3 * 40)]))),
            new("ascii", Encoding.ASCII.GetBytes(AsciiStl(cut, 12))),
        };
        FuzzDriver.Run(output, new FuzzTarget("mesh stl", seeds, b => StlFormat.Read(new MemoryStream(b), "x.stl"), typeof(MeshFormatException)) { Cases = 4000 });
    }

    [Fact]
    public void ObjScene_Fuzz()
    {
        using var data = new TempDataset();
        data.Png("tex.png", 4, 4);
        data.Write("scene.mtl", "newmtl red\nKd 0.8 0.1 0.1\nnewmtl tex\nKd 1 1 1\nmap_Kd tex.png\n");
        var seeds = new List<FuzzSeed>
        {
            Text("obj with mtl", "mtllib scene.mtl\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvn 0 0 1\nusemtl red\nf 1 2 3\nusemtl tex\nf 1/1/1 3/3/1 4/2/1\ng rest\nf 2 3 4\n"),
            Text("bunny cut", Encoding.ASCII.GetString(Write(ObjFormat.Write, new Mesh(BunnyCut().Positions, BunnyCut().Triangles[..Math.Min(300, BunnyCut().Triangles.Length)])))),
        };
        string target = Path.Combine(data.Root, "scene.obj");
        FuzzDriver.Run(output, new FuzzTarget("obj scene", seeds, b =>
        {
            File.WriteAllBytes(target, b);
            ObjSceneReader.Read(target, allowMissing: true, out _);
        }, typeof(InvalidDataException), typeof(ImageFormatException)) { Text = true, Cases = 800 });

        // The material library under the same OBJ.
        File.WriteAllBytes(target, seeds[0].Bytes);
        string mtl = Path.Combine(data.Root, "scene.mtl");
        var mtlSeeds = new List<FuzzSeed> { Text("scene.mtl", File.ReadAllText(mtl)), Text("options", "newmtl tex\nKd 1 1 1\nmap_Kd -blendu on -s 1 1 1 -o 0 0 tex.png\nnewmtl red\nKd 0.8 0.1 0.1\n") };
        FuzzDriver.Run(output, new FuzzTarget("obj scene mtl", mtlSeeds, b =>
        {
            File.WriteAllBytes(mtl, b);
            ObjSceneReader.Read(target, allowMissing: true, out _);
        }, typeof(InvalidDataException), typeof(ImageFormatException)) { Text = true, Cases = 800 });
    }

    [Fact]
    public void DtuCameras_Fuzz()
    {
        using var data = new TempDataset();
        for (int i = 0; i < 2; i++)
        {
            data.Png($"image/{i:D3}.png", 4, 4, alpha: false);
            data.Png($"mask/{i:D3}.png", 4, 4, alpha: false);
        }
        // The bunny scan's first two cameras at 4×4 (intrinsics scaled from 800² px).
        var real = Npz.Read(TestData.Path("bunny", "dtu", "cameras_sphere.npz"));
        var two = new Dictionary<string, NpyArray>();
        foreach (var (k, v) in real)
            if (k.EndsWith("_0", StringComparison.Ordinal) || k.EndsWith("_1", StringComparison.Ordinal)) two[k] = v;
        var plain = new MemoryStream();
        Npz.Write(plain, two);
        var compressed = new MemoryStream();
        Npz.Write(compressed, two, compressed: true);
        var seeds = new List<FuzzSeed> { new("two cameras", plain.ToArray()), new("two cameras, deflated", compressed.ToArray()) };
        string target = Path.Combine(data.Root, "cameras_sphere.npz");
        FuzzDriver.Run(output, new FuzzTarget("dtu cameras_sphere.npz", seeds, b =>
        {
            File.WriteAllBytes(target, b);
            DtuDataset.Load(data.Root, "train");
        }, typeof(DatasetException)) { Cases = 800 });
    }

    static FuzzSeed Text(string name, string text) => new(name, Encoding.UTF8.GetBytes(text));
}
