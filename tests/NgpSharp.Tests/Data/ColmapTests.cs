using System.Buffers.Binary;
using NgpSharp.Data.Colmap;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>COLMAP text and binary readers: round trips through our writer, folder layouts, and bad input.</summary>
public sealed class ColmapTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ngp-colmap").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    string Write(ColmapModel model, ColmapModelFormat format, string sub = "m")
    {
        var dir = Path.Combine(_dir, sub);
        if (format == ColmapModelFormat.Binary) ColmapWriter.WriteBinary(model, dir); else ColmapWriter.WriteText(model, dir);
        return dir;
    }

    static void AssertSameModel(ColmapModel a, ColmapModel b)
    {
        Assert.Equal(a.Cameras.Count, b.Cameras.Count);
        for (int i = 0; i < a.Cameras.Count; i++)
        {
            var (x, y) = (a.Cameras[i], b.Cameras[i]);
            Assert.Equal((x.Id, x.Model, x.Width, x.Height), (y.Id, y.Model, y.Width, y.Height));
            Assert.Equal(x.Params, y.Params);
        }
        Assert.Equal(a.Images.Count, b.Images.Count);
        for (int i = 0; i < a.Images.Count; i++)
        {
            var (x, y) = (a.Images[i], b.Images[i]);
            Assert.Equal((x.Id, x.CameraId, x.Name), (y.Id, y.CameraId, y.Name));
            for (int k = 0; k < 4; k++) Assert.Equal(x.Qvec[k], y.Qvec[k], 15);
            Assert.Equal(x.Tvec, y.Tvec);
            Assert.Equal(x.Points2D, y.Points2D);
            Assert.Equal(x.Point3DIds, y.Point3DIds);
        }
        Assert.Equal(a.Points3D.Count, b.Points3D.Count);
        for (int i = 0; i < a.Points3D.Count; i++)
        {
            var (x, y) = (a.Points3D[i], b.Points3D[i]);
            Assert.Equal((x.Id, x.X, x.Y, x.Z, x.R, x.G, x.B, x.Error), (y.Id, y.X, y.Y, y.Z, y.R, y.G, y.B, y.Error));
            Assert.Equal(x.TrackImageIds, y.TrackImageIds);
            Assert.Equal(x.TrackPoint2DIndices, y.TrackPoint2DIndices);
        }
    }

    [Fact]
    public void TextAndBinary_ReadBackTheSameModel()
    {
        var model = ColmapTestModels.Bunny(frames: 12);
        var text = ColmapModel.Load(Write(model, ColmapModelFormat.Text, "t"));
        var binary = ColmapModel.Load(Write(model, ColmapModelFormat.Binary, "b"));
        Assert.Equal(ColmapModelFormat.Text, text.Format);
        Assert.Equal(ColmapModelFormat.Binary, binary.Format);
        AssertSameModel(model, text);
        AssertSameModel(text, binary);
        Assert.Contains(text.Images, im => im.Point3DIds.Length == 0); // an empty keypoint line between images
    }

    [Fact]
    public void ImageNamesWithSpacesAndFolders_Survive()
    {
        var m = ColmapTestModels.Bunny(frames: 2);
        var images = new[] { m.Images[0] with { Name = "sub dir/my photo 1.jpg" }, m.Images[1] with { Name = "ü/2.jpg" } };
        var model = new ColmapModel(m.Cameras, images, m.Points3D);
        foreach (var f in new[] { ColmapModelFormat.Text, ColmapModelFormat.Binary })
            Assert.Equal(["sub dir/my photo 1.jpg", "ü/2.jpg"], ColmapModel.Load(Write(model, f, f.ToString())).Images.Select(i => i.Name));
    }

    [Fact]
    public void Load_FindsSparse0_PrefersCompleteBinary_FallsBackToText()
    {
        var model = ColmapTestModels.Bunny(frames: 3);
        var project = Path.Combine(_dir, "project");
        var sparse = Path.Combine(project, "sparse", "0");
        ColmapWriter.WriteText(model, sparse);
        Assert.Equal(ColmapModelFormat.Text, ColmapModel.Load(project).Format);
        ColmapWriter.WriteBinary(model, sparse);
        Assert.Equal(ColmapModelFormat.Binary, ColmapModel.Load(project).Format);
        File.Delete(Path.Combine(sparse, "images.bin")); // binary incomplete → the complete text model
        Assert.Equal(ColmapModelFormat.Text, ColmapModel.Load(sparse).Format);
        File.Delete(Path.Combine(sparse, "points3D.txt")); // points are optional
        var noPoints = ColmapModel.Load(sparse);
        Assert.Empty(noPoints.Points3D);
        Assert.Equal(3, noPoints.Images.Count);
    }

    [Fact]
    public void Load_MissingFolderOrFiles_SaysWhat()
    {
        var missing = Path.Combine(_dir, "nope");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => ColmapModel.Load(missing)).Message);
        var dir = Write(ColmapTestModels.Bunny(frames: 2), ColmapModelFormat.Text);
        File.Delete(Path.Combine(dir, "images.txt"));
        var e = Assert.Throws<FileNotFoundException>(() => ColmapModel.Load(dir));
        Assert.Contains("cameras.txt", e.Message);
        Assert.Contains("images", e.Message);
        Assert.Throws<FileNotFoundException>(() => ColmapTextReader.ReadImages(Path.Combine(dir, "images.txt")));
        Assert.Throws<FileNotFoundException>(() => ColmapBinaryReader.ReadImages(Path.Combine(dir, "images.bin")));
    }

    [Theory]
    [InlineData("cameras.bin")]
    [InlineData("images.bin")]
    [InlineData("points3D.bin")]
    public void TruncatedBinary_AtEveryOffset_IsAClearError(string file)
    {
        var dir = Write(ColmapTestModels.Bunny(frames: 4), ColmapModelFormat.Binary);
        var path = Path.Combine(dir, file);
        var bytes = File.ReadAllBytes(path);
        for (int n = 0; n < bytes.Length; n++)
        {
            File.WriteAllBytes(path, bytes[..n]);
            var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(dir));
            Assert.Contains(path, e.Message);
        }
    }

    [Theory]
    [InlineData("cameras.bin", 1)]
    [InlineData("cameras.bin", -1)]
    [InlineData("images.bin", 1)]
    [InlineData("images.bin", -1)]
    [InlineData("points3D.bin", 1)]
    [InlineData("points3D.bin", -1)]
    [InlineData("images.bin", long.MaxValue)]
    [InlineData("points3D.bin", -2)] // zero points: the whole rest of the file is left over
    public void WrongCountInBinaryHeader_IsAClearError(string file, long delta)
    {
        var dir = Write(ColmapTestModels.Bunny(frames: 4), ColmapModelFormat.Binary);
        var path = Path.Combine(dir, file);
        var bytes = File.ReadAllBytes(path);
        long count = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        BinaryPrimitives.WriteInt64LittleEndian(bytes, delta == long.MaxValue ? long.MaxValue : count + delta);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(dir));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void UnknownCameraModelId_IsNamed()
    {
        var dir = Write(ColmapTestModels.Bunny(frames: 2), ColmapModelFormat.Binary);
        var path = Path.Combine(dir, "cameras.bin");
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), 42); // after count (8) and camera id (4)
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(dir));
        Assert.Contains("cameras.bin", e.Message);
        Assert.Contains("camera record 1", e.Message);
        Assert.Contains("42", e.Message);
    }

    [Theory]
    [InlineData(double.NaN, 0, 0, 0, "non-finite")]
    [InlineData(1, 0, 0, double.PositiveInfinity, "non-finite")]
    [InlineData(2, 0, 0, 0, "length 2")]
    [InlineData(0.5, 0.5, 0, 0, "length 0.7071")]
    public void BadQuaternion_IsNamedWithTheImage(double w, double x, double y, double z, string expected)
    {
        var m = ColmapTestModels.Bunny(frames: 3);
        var images = m.Images.Select((im, i) => i == 1 ? im with { Qvec = [w, x, y, z] } : im).ToList();
        var model = new ColmapModel(m.Cameras, images, m.Points3D);
        foreach (var f in new[] { ColmapModelFormat.Text, ColmapModelFormat.Binary })
        {
            var dir = Write(model, f, f.ToString());
            var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(dir));
            Assert.Contains(f == ColmapModelFormat.Text ? "images.txt line 6" : "images.bin (image record 2 of 3)", e.Message);
            Assert.Contains(images[1].Name, e.Message);
            Assert.Contains(expected, e.Message);
        }
    }

    [Fact]
    public void SlightlyNonUnitQuaternion_IsRenormalised()
    {
        var m = ColmapTestModels.Bunny(frames: 1);
        var q = m.Images[0].Qvec.Select(v => v * 1.0004).ToArray();
        var model = new ColmapModel(m.Cameras, [m.Images[0] with { Qvec = q }], []);
        var read = ColmapModel.Load(Write(model, ColmapModelFormat.Text));
        Assert.Equal(1, Math.Sqrt(read.Images[0].Qvec.Sum(v => v * v)), 14);
    }

    [Fact]
    public void ImageReferringToAnUnknownCamera_NamesTheImageAndCamera()
    {
        var m = ColmapTestModels.Bunny(frames: 3);
        var images = m.Images.Select((im, i) => i == 2 ? im with { CameraId = 99 } : im).ToList();
        var model = new ColmapModel(m.Cameras, images, m.Points3D);
        foreach (var f in new[] { ColmapModelFormat.Text, ColmapModelFormat.Binary })
        {
            var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(Write(model, f, f.ToString())));
            Assert.Contains(f == ColmapModelFormat.Text ? "images.txt" : "images.bin", e.Message);
            Assert.Contains("camera 99", e.Message);
            Assert.Contains(images[2].Name, e.Message);
        }
    }

    [Theory]
    [InlineData("cameras.txt", "1 PINHOLE 400 400 500 500 200\n", "line 1", "parameters")]
    [InlineData("cameras.txt", "# c\n1 PINHOLE 400\n", "line 2", "got 3 fields")]
    [InlineData("cameras.txt", "1 PINHOLE 400 400 500 500 200 2OO\n", "line 1", "\"2OO\"")]
    [InlineData("cameras.txt", "1 FISHEYE_MAGIC 400 400 500 500 200 200\n", "line 1", "FISHEYE_MAGIC")]
    [InlineData("cameras.txt", "1 PINHOLE 0 400 500 500 200 200\n", "line 1", "size 0×400")]
    [InlineData("cameras.txt", "1 PINHOLE 400 400 nan 500 200 200\n", "line 1", "parameter 0")]
    [InlineData("cameras.txt", "1 PINHOLE 400 400 500 500 200 200\n1 PINHOLE 400 400 500 500 200 200\n", "cameras.txt", "appears twice")]
    [InlineData("images.txt", "1 1 0 0 0 0 0 0 1\n\n", "line 1", "got 9 fields")]
    [InlineData("images.txt", "1 1 0 0 0 0 0 0 1 a.png\n1 2 3 4\n", "line 2", "triples")]
    [InlineData("images.txt", "1 1 0 0 0 0 0 0 1 a.png\n1 2 x\n", "line 2", "POINT3D_ID")]
    [InlineData("images.txt", "1 1 0 0 0 zero 0 0 1 a.png\n\n", "line 1", "TX")]
    [InlineData("images.txt", "1 1 0 0 0 0 0 0 1 a.png\n\n1 1 0 0 0 0 0 0 1 b.png\n\n", "images.txt", "image id 1 appears twice")]
    [InlineData("points3D.txt", "1 0 0 0 255 255 255 0.5 1\n", "line 1", "pairs")]
    [InlineData("points3D.txt", "1 0 0 0 256 255 255 0.5\n", "line 1", "R must be")]
    [InlineData("points3D.txt", "1 0 nan 0 1 2 3 0.5\n", "line 1", "non-finite")]
    [InlineData("points3D.txt", "1 0 0 0 1 2 3\n", "line 1", "got 7 fields")]
    public void MalformedText_NamesFileLineAndProblem(string file, string content, string where, string problem)
    {
        var dir = Path.Combine(_dir, "txt");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "cameras.txt"), "1 PINHOLE 400 400 500 500 200 200\n");
        File.WriteAllText(Path.Combine(dir, "images.txt"), "1 1 0 0 0 0 0 0 1 a.png\n\n");
        File.WriteAllText(Path.Combine(dir, "points3D.txt"), "");
        File.WriteAllText(Path.Combine(dir, file), content);
        var e = Assert.Throws<ColmapFormatException>(() => ColmapModel.Load(dir));
        Assert.Contains(file, e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void AllCameraModels_RoundTripWithTheirParameterCounts()
    {
        var m = ColmapTestModels.Bunny(frames: 1);
        var cameras = Enumerable.Range(0, 11).Select(i =>
        {
            var model = (ColmapCameraModel)i;
            return new ColmapCamera(i + 1, model, 640, 480, Enumerable.Range(0, ColmapCameraModels.ParamCount(model)).Select(k => 300.0 + k).ToArray());
        }).ToList();
        var model = new ColmapModel(cameras, [m.Images[0] with { CameraId = 11 }], m.Points3D);
        var text = ColmapModel.Load(Write(model, ColmapModelFormat.Text, "t"));
        var binary = ColmapModel.Load(Write(model, ColmapModelFormat.Binary, "b"));
        AssertSameModel(model, text);
        AssertSameModel(model, binary);
        Assert.Equal([3, 4, 4, 5, 8, 8, 12, 5, 4, 5, 12], binary.Cameras.Select(c => c.Params.Length));
    }
}
