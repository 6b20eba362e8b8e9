using NgpSharp.Data;
using Xunit;

namespace NgpSharp.Tests.Data;

/// <summary>Every malformed input is a <see cref="DatasetException"/> naming the file, the frame and the problem.</summary>
public class DatasetBadInputTests
{
    static string Frame(string filePath, string matrix, string extra = "") =>
        $$"""{ "file_path": "{{filePath}}", {{extra}} "transform_matrix": {{matrix}} }""";

    static readonly string Good = TempDataset.Pose(0, 0, 4);

    /// <summary>A Blender folder with train images r_0, r_1 (8×8) and the given transforms_train.json body.</summary>
    static TempDataset Blender(string json)
    {
        var d = new TempDataset();
        d.Png("train/r_0.png", 8, 8);
        d.Png("train/r_1.png", 8, 8);
        d.Write("transforms_train.json", json);
        return d;
    }

    static string BlenderJson(params string[] frames) =>
        $$"""{ "camera_angle_x": 0.7, "frames": [ {{string.Join(",", frames)}} ] }""";

    static DatasetException FailsBlender(string json, params string[] words)
    {
        using var d = Blender(json);
        var e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "train"));
        Assert.Contains("transforms_train.json", e.Message);
        foreach (var w in words) Assert.Contains(w, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Fact]
    public void GoodBlenderFolderLoads()
    {
        using var d = Blender(BlenderJson(Frame("./train/r_0", Good), Frame("./train/r_1", Good)));
        Assert.Equal(2, BlenderDataset.Load(d.Root, "train").Count);
    }

    [Fact]
    public void MissingRootSplitFileOrUnknownSplit()
    {
        var e = Assert.Throws<DatasetException>(() => BlenderDataset.Load("/no/such/dataset", "train"));
        Assert.Contains("/no/such/dataset", e.Message);
        using var d = Blender(BlenderJson(Frame("./train/r_0", Good)));
        e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "val"));
        Assert.Contains("transforms_val.json", e.Message);
        Assert.Contains("not found", e.Message);
        e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "training"));
        Assert.Contains("unknown split 'training'", e.Message);
    }

    [Fact]
    public void MissingImageNamesFrameAndPath() =>
        FailsBlender(BlenderJson(Frame("./train/r_0", Good), Frame("./train/r_7", Good)), "frame 1 (./train/r_7)", "r_7.png", "not found");

    [Fact]
    public void BadJsonNamesTheLine() =>
        FailsBlender("{ \"camera_angle_x\": 0.7,\n \"frames\": [ { \"file_path\": } ] }", "invalid JSON", "line 2");

    [Fact]
    public void MatrixNotFourByFour()
    {
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[1,0,0,0],[0,1,0,0],[0,0,1,4]]")), "frame 0 (./train/r_0)", "4×4");
        FailsBlender(BlenderJson(Frame("./train/r_0", Good), Frame("./train/r_1", "[[1,0,0],[0,1,0],[0,0,1],[0,0,0]]")), "frame 1", "row 0");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[1,0,0,\"x\"],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 0", "not a number");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,1,1]]")), "frame 0", "last row");
    }

    [Fact]
    public void NonFiniteMatrixNamesTheFrame()
    {
        // Python's json module writes bare NaN / Infinity
        FailsBlender(BlenderJson(Frame("./train/r_0", Good), Frame("./train/r_1", "[[NaN,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 1 (./train/r_1)", "NaN");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[1,0,0,-Infinity],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 0", "Infinity");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[1,0,0,1e999],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 0", "contains Infinity");
    }

    [Fact]
    public void NonRigidRotationIsRefused()
    {
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[1,0.2,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 0", "not orthonormal");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[2,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 0", "not orthonormal");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[-1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]]")), "frame 0", "determinant");
        FailsBlender(BlenderJson(Frame("./train/r_0", "[[0,0,0,0],[0,0,0,0],[0,0,0,4],[0,0,0,1]]")), "frame 0", "determinant");
    }

    [Fact]
    public void EmptyOrMissingFrames()
    {
        FailsBlender("""{ "camera_angle_x": 0.7, "frames": [] }""", "empty");
        FailsBlender("""{ "camera_angle_x": 0.7 }""", "missing \"frames\"");
        FailsBlender(BlenderJson("""{ "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,4],[0,0,0,1]] }"""), "frame 0", "file_path");
    }

    [Fact]
    public void CameraAngleMissingOrOutOfRange()
    {
        FailsBlender($$"""{ "frames": [ {{Frame("./train/r_0", Good)}} ] }""", "camera_angle_x");
        FailsBlender($$"""{ "camera_angle_x": 3.5, "frames": [ {{Frame("./train/r_0", Good)}} ] }""", "camera_angle_x = 3.5", "(0, π)");
        FailsBlender($$"""{ "camera_angle_x": 0, "frames": [ {{Frame("./train/r_0", Good)}} ] }""", "camera_angle_x = 0");
        FailsBlender($$"""{ "camera_angle_x": "wide", "frames": [ {{Frame("./train/r_0", Good)}} ] }""", "camera_angle_x must be a number");
    }

    [Fact]
    public void DifferentSizesInABlenderSplit()
    {
        using var d = Blender(BlenderJson(Frame("./train/r_0", Good), Frame("./train/r_2", Good)));
        d.Png("train/r_2.png", 8, 6);
        var e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "train"));
        Assert.Contains("frame 1 (./train/r_2)", e.Message);
        Assert.Contains("8×6", e.Message);
    }

    [Fact]
    public void AbsurdDownscale()
    {
        using var d = Blender(BlenderJson(Frame("./train/r_0", Good)));
        var e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "train", downscale: 0));
        Assert.Contains("downscale", e.Message);
        e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "train", downscale: 9));
        Assert.Contains("frame 0 (./train/r_0)", e.Message);
        Assert.Contains("downscale 9 is larger than the 8×8 image", e.Message);
        Assert.Equal((1, 1), (BlenderDataset.Load(d.Root, "train", downscale: 8).Width, 1));
    }

    [Fact]
    public void CorruptImageNamesFrame()
    {
        using var d = Blender(BlenderJson(Frame("./train/r_0", Good)));
        File.WriteAllBytes(Path.Combine(d.Root, "train", "r_0.png"), [0x89, 0x50, 0x4E, 0x47, 0, 1, 2]);
        var e = Assert.Throws<DatasetException>(() => BlenderDataset.Load(d.Root, "train"));
        Assert.Contains("frame 0 (./train/r_0)", e.Message);
        Assert.Contains("cannot read image", e.Message);
    }

    static DatasetException FailsNgp(string json, params string[] words)
    {
        using var d = new TempDataset();
        d.Png("a.png", 8, 8);
        d.Png("b.png", 6, 6);
        d.Write("transforms.json", json);
        var e = Assert.Throws<DatasetException>(() => InstantNgpDataset.Load(d.Root));
        Assert.Contains("transforms.json", e.Message);
        foreach (var w in words) Assert.Contains(w, e.Message, StringComparison.OrdinalIgnoreCase);
        return e;
    }

    [Fact]
    public void InstantNgpBadInputs()
    {
        string a = Frame("a.png", Good), b = Frame("b.png", Good);
        FailsNgp($$"""{ "fl_x": 8, "aabb_scale": 3, "frames": [{{a}}] }""", "aabb_scale = 3", "power of two");
        FailsNgp($$"""{ "fl_x": 8, "aabb_scale": 256, "frames": [{{a}}] }""", "aabb_scale = 256");
        FailsNgp($$"""{ "frames": [{{a}}] }""", "frame 0 (a.png)", "no focal length");
        FailsNgp($$"""{ "fl_x": -8, "frames": [{{a}}] }""", "fl_x = -8");
        FailsNgp($$"""{ "fl_x": 8, "w": 10, "h": 8, "frames": [{{a}}] }""", "frame 0 (a.png)", "is 8×8", "w = 10");
        FailsNgp($$"""{ "fl_x": 8, "frames": [{{a}}, {{b}}] }""", "frame 1 (b.png)", "6×6", "own intrinsics");
        FailsNgp($$"""{ "fl_x": 8, "is_fisheye": true, "frames": [{{a}}] }""", "fisheye");
        FailsNgp($$"""{ "fl_x": 8, "frames": [{{Frame("a.png", Good, "\"k3\": 0.1,")}}] }""", "frame 0 (a.png)", "k3");
        FailsNgp($$"""{ "fl_x": 8, "scale": 0, "frames": [{{a}}] }""", "scale = 0");
        FailsNgp($$"""{ "fl_x": 8, "offset": [1, 2], "frames": [{{a}}] }""", "offset");
        FailsNgp($$"""{ "fl_x": 8, "frames": [{{Frame("c.jpg", Good)}}] }""", "frame 0 (c.jpg)", "not found");
        FailsNgp($$"""{ "fl_x": 8, "frames": [{{a}}, {{Frame("a.png", "[[1,0,0,0],[0,1,0,0],[0,0,1,NaN],[0,0,0,1]]")}}] }""", "frame 1 (a.png)", "NaN");
        FailsNgp("[1, 2]", "JSON object");
        var e = Assert.Throws<DatasetException>(() => InstantNgpDataset.Load("/no/such/place"));
        Assert.Contains("/no/such/place", e.Message);
    }

    [Fact]
    public void InstantNgpSizeMismatchIsAllowedWithPerFrameIntrinsics()
    {
        using var d = new TempDataset();
        d.Png("a.png", 8, 8);
        d.Png("b.png", 6, 6);
        d.Write("transforms.json", $$"""{ "fl_x": 8, "frames": [{{Frame("a.png", Good)}}, {{Frame("b.png", Good, "\"fl_x\": 6,")}}] }""");
        var ds = InstantNgpDataset.Load(d.Root);
        Assert.Equal(6, ds.Frames[1].Width);
    }
}
