using System.Buffers.Binary;
using System.Text;
using NgpSharp.Data.Npy;
using NgpSharp.Rendering.Raytracing;
using NgpSharp.Tests.Data;
using Xunit;

namespace NgpSharp.Tests.Fuzz;

/// <summary>Inputs GeometryFuzzTests found, minimised: each must now end in our clear exception.</summary>
public sealed class ParserRegressionTests
{
    [Fact]
    public void Npz_EndRecordCountingMoreEntriesThanTheDirectory_IsAnNpyFormatException()
    {
        var npz = new MemoryStream();
        Npz.Write(npz, [new("a", NpyArray.Create<float>([1f, 2f], 2)), new("b", NpyArray.Create<float>([3f], 1))]);
        byte[] bytes = npz.ToArray();
        int end = bytes.Length - 22; // the end-of-central-directory record (no comment)
        Assert.Equal(0x06054b50u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(end)));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(end + 8), 3);  // entries on this disk
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(end + 10), 3); // entries in total
        var e = Assert.Throws<NpyFormatException>(() => Npz.Read(new MemoryStream(bytes), "cams.npz"));
        Assert.StartsWith("cams.npz: not an .npz file (corrupt zip central directory", e.Message);
    }

    [Fact]
    public void ObjScene_MtllibNameWithNul_IsAnInvalidDataException()
    {
        using var data = new TempDataset();
        string obj = data.Write("a.obj", "mtllib a\0b.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n");
        var e = Assert.Throws<InvalidDataException>(() => ObjSceneReader.Read(obj, allowMissing: true, out _));
        Assert.Contains("a.obj: material library name", e.Message);
        Assert.Contains("NUL", e.Message);
    }

    [Fact]
    public void ObjScene_MapKdNameWithNul_IsAnInvalidDataException()
    {
        using var data = new TempDataset();
        data.Write("a.mtl", "newmtl m\nKd 1 1 1\nmap_Kd t\0x.png\n");
        string obj = data.Write("a.obj", "mtllib a.mtl\nv 0 0 0\nv 1 0 0\nv 0 1 0\nusemtl m\nf 1 2 3\n");
        var e = Assert.Throws<InvalidDataException>(() => ObjSceneReader.Read(obj, allowMissing: true, out _));
        Assert.Contains("map_Kd", e.Message);
        Assert.Contains("a.mtl", e.Message);
    }
}
