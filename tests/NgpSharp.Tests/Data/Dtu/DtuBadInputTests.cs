using NgpSharp.Data;
using NgpSharp.Data.Npy;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>Every malformed NeuS/DTU scan is a <see cref="DatasetException"/> naming the file, the key or frame, and the problem.</summary>
public class DtuBadInputTests
{
    static DatasetException Fails(TempDtu d, params string[] words) => Fails(d, "train", 1, words);

    static DatasetException Fails(TempDtu d, string split, int downscale, params string[] words)
    {
        var e = Assert.Throws<DatasetException>(() => DtuDataset.Load(d.Root, split, downscale));
        foreach (var w in words) Assert.Contains(w, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    static string Npz(TempDtu d) => Path.Combine(d.Root, "cameras_sphere.npz");

    [Fact]
    public void MissingOrCorruptCamerasFile()
    {
        using var d = new TempDtu(views: 2);
        File.Delete(Npz(d));
        Fails(d, Npz(d), "not found");
        File.WriteAllText(Npz(d), "not a zip");
        Fails(d, Npz(d), "not an .npz file");
        Assert.Throws<DatasetException>(() => DtuDataset.Load(Path.Combine(d.Root, "nope"), "train"));
    }

    [Fact]
    public void MissingWorldMat7()
    {
        using var d = new TempDtu(views: 8, width: 4, height: 4, masks: false);
        d.Arrays.Remove("world_mat_7");
        d.SaveCameras();
        Fails(d, Npz(d), "missing 'world_mat_7'");
        d.Arrays["world_mat_7"] = TempDtu.Matrix(d.WorldMat(7));
        d.Arrays.Remove("scale_mat_3");
        d.SaveCameras();
        Fails(d, Npz(d), "missing 'scale_mat_3'");
    }

    [Fact]
    public void MoreCamerasThanImages()
    {
        using var d = new TempDtu(views: 2, masks: false);
        d.Arrays["world_mat_2"] = TempDtu.Matrix(d.WorldMat(2));
        d.SaveCameras();
        Fails(d, Npz(d), "'world_mat_2'", "only 2 images");
    }

    [Fact]
    public void NaNMatrix()
    {
        using var d = new TempDtu(views: 3, masks: false);
        var m = d.WorldMat(2);
        m[5] = double.NaN;
        d.Arrays["world_mat_2"] = TempDtu.Matrix(m);
        d.SaveCameras();
        Fails(d, Npz(d), "'world_mat_2'", "NaN");
        d.Arrays["world_mat_2"] = TempDtu.Matrix(d.WorldMat(2));
        d.Arrays["scale_mat_1"] = TempDtu.Matrix([1, 0, 0, 0, 0, double.PositiveInfinity, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
        d.SaveCameras();
        Fails(d, Npz(d), "'scale_mat_1'", "infinity");
    }

    [Fact]
    public void SingularProjection()
    {
        using var d = new TempDtu(views: 3, masks: false);
        var m = d.WorldMat(1);
        for (int j = 0; j < 3; j++) m[4 + j] = 2 * m[j]; // row 2 = 2 × row 1 in the 3×3 part
        d.Arrays["world_mat_1"] = TempDtu.Matrix(m);
        d.SaveCameras();
        Fails(d, Npz(d), "camera 1", "world_mat_1", "singular");
        d.Arrays["world_mat_1"] = TempDtu.Matrix(d.WorldMat(1));
        d.Arrays["scale_mat_0"] = TempDtu.Matrix(new double[16]);
        d.SaveCameras();
        Fails(d, Npz(d), "camera 0", "singular");
    }

    [Fact]
    public void WrongShapeOrType()
    {
        using var d = new TempDtu(views: 2, masks: false);
        d.Arrays["world_mat_1"] = NpyArray.Create<double>(new double[12], 3, 4);
        d.SaveCameras();
        Fails(d, Npz(d), "'world_mat_1'", "f8 (3, 4)", "4×4");
    }

    [Fact]
    public void SkewedIntrinsicsAreRefused()
    {
        using var d = new TempDtu(views: 1, masks: false);
        var m = d.WorldMat(0);
        m[1] = 4; // K[0,1] = 4 px: at the image edge (3 px from cy, fy 120) x shifts by 0.1 px: accepted
        d.Arrays["world_mat_0"] = TempDtu.Matrix(m);
        d.SaveCameras();
        Assert.Equal(1, DtuDataset.Load(d.Root, "train").Count);
        m[1] = 60; // 1.5 px: refused
        d.Arrays["world_mat_0"] = TempDtu.Matrix(m);
        d.SaveCameras();
        Fails(d, "frame 0 (image/000.png)", "world_mat_0", "skew");
    }

    [Fact]
    public void ImageMaskCountMismatch()
    {
        using var d = new TempDtu(views: 3);
        File.Delete(Path.Combine(d.Root, "mask", "001.png"));
        Fails(d, Path.Combine(d.Root, "mask"), "2 masks for 3 images");
    }

    [Fact]
    public void UnreadableImageOrMask()
    {
        using var d = new TempDtu(views: 3);
        File.WriteAllText(Path.Combine(d.Root, "image", "001.png"), "garbage");
        var e = Fails(d, "frame 1 (image/001.png)", "cannot read image", Path.Combine(d.Root, "image", "001.png"));
        d.WriteImage(Path.Combine("image", "001.png"), 1);
        File.WriteAllBytes(Path.Combine(d.Root, "mask", "002.png"), File.ReadAllBytes(Path.Combine(d.Root, "mask", "002.png"))[..40]);
        Fails(d, "frame 2 (image/002.png)", "cannot read mask", "002.png");
    }

    [Fact]
    public void MaskSizeDiffersFromImage()
    {
        using var d = new TempDtu(views: 2);
        using var other = new TempDtu(views: 2, width: 4, height: 4);
        File.Copy(Path.Combine(other.Root, "mask", "001.png"), Path.Combine(d.Root, "mask", "001.png"), overwrite: true);
        Fails(d, "frame 1 (image/001.png)", "mask", "4×4", "8×6");
    }

    [Fact]
    public void EmptySplit()
    {
        using var d = new TempDtu(views: 2, masks: false);
        var allHeldOut = new DtuSplitOptions { HeldOutEvery = 1, ExcludeHeldOutFromTrain = true };
        var e = Assert.Throws<DatasetException>(() => DtuDataset.Load(d.Root, "train", splits: allHeldOut));
        Assert.Contains("split 'train' has no views", e.Message);
    }

    [Fact]
    public void FolderAndOptionErrors()
    {
        using var d = new TempDtu(views: 2);
        Fails(d, "training", 1, "unknown split 'training'");
        Fails(d, "train", 0, "downscale must be an integer ≥ 1");
        Fails(d, "train", 7, "downscale 7 is larger than the 8×6 image");
        var bad = new DtuSplitOptions { HeldOut = [5] };
        var e = Assert.Throws<DatasetException>(() => DtuDataset.Load(d.Root, "test", splits: bad));
        Assert.Contains("held-out view 5 does not exist", e.Message);
        foreach (var f in Directory.GetFiles(Path.Combine(d.Root, "image"))) File.Delete(f);
        Fails(d, Path.Combine(d.Root, "image"), "no images");
        Directory.Delete(Path.Combine(d.Root, "image"));
        Fails(d, Path.Combine(d.Root, "image"), "folder not found");
    }
}
