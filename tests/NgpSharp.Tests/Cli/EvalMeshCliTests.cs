using System.Globalization;
using System.Numerics;
using System.Text.Json;
using NgpSharp.Geometry;
using NgpSharp.Geometry.MeshIo;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Cli;

/// <summary>`ngp eval-mesh` in-process on the shared bunny ground truth.</summary>
[Collection("Console")]
public sealed class EvalMeshCliTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ngp-evalmesh-cli").FullName;
    static readonly string GroundTruth = TestData.Path("bunny", "gt_mesh.obj");

    public void Dispose() => Directory.Delete(_dir, true);

    static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    [Fact]
    public void GroundTruthVsItself_IsPerfect()
    {
        var (code, stdout, error) = NgpCli.Run("eval-mesh", GroundTruth, GroundTruth, "--points", "50000", "--json");
        Assert.True(code == 0, error);
        var r = Json(stdout);
        Assert.True(r.GetProperty("f_score").GetDouble() > 0.999, stdout);
        Assert.True(r.GetProperty("chamfer").GetDouble() < 0.3 * r.GetProperty("threshold").GetDouble(), stdout); // sampling spacing only
        double diagonal = MeshFile.Read(GroundTruth).Bounds.Size.Length();
        Assert.Equal(0.01 * diagonal, r.GetProperty("threshold").GetDouble(), 6);
    }

    [Fact]
    public void ShiftedCopy_IsFarAndTextOutputNamesEverything()
    {
        var gt = MeshFile.Read(GroundTruth);
        float shift = 0.05f * gt.Bounds.Size.Length();      // 5 τ
        var shifted = Path.Combine(_dir, "shifted.ply");
        MeshFile.Write(shifted, gt.Transformed(Matrix4x4.CreateTranslation(shift, 0, 0)));
        var (code, stdout, error) = NgpCli.Run("eval-mesh", shifted, GroundTruth, "--points", "20000", "--seed", "3");
        Assert.True(code == 0, error);
        foreach (var label in new[] { "chamfer:", "precision:", "recall:", "f-score:", "τ =" }) Assert.Contains(label, stdout);
        double f = double.Parse(stdout.Split('\n').First(l => l.StartsWith("f-score:"))["f-score:".Length..], CultureInfo.InvariantCulture);
        Assert.InRange(f, 0, 0.5);

        (code, stdout, _) = NgpCli.Run("eval-mesh", shifted, GroundTruth, "--points", "20000", "--threshold", "0.1", "--json");
        Assert.Equal(0, code);
        Assert.True(Json(stdout).GetProperty("f_score").GetDouble() > 0.99, stdout);   // τ = 10% of the diagonal covers a 5% shift
    }

    [Fact]
    public void MissingAndBrokenFiles_AreCleanErrors()
    {
        var missing = Path.Combine(_dir, "none.obj");
        var (code, _, error) = NgpCli.Run("eval-mesh", missing, GroundTruth);
        Assert.Equal(1, code);
        Assert.Contains("none.obj", error);

        var broken = Path.Combine(_dir, "broken.obj");
        File.WriteAllText(broken, "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 7\n");
        (code, _, error) = NgpCli.Run("eval-mesh", broken, GroundTruth);
        Assert.Equal(1, code);
        Assert.Contains("broken.obj: line 4", error);
        Assert.Contains("out of range", error);

        var flat = Path.Combine(_dir, "flat.obj");
        File.WriteAllText(flat, "v 0 0 0\nv 1 0 0\nv 2 0 0\nf 1 2 3\n");
        (code, _, error) = NgpCli.Run("eval-mesh", GroundTruth, flat);
        Assert.Equal(1, code);
        Assert.Contains("no surface", error);
    }

    [Fact]
    public void BadArguments_AreUsageErrors()
    {
        Assert.Equal(2, NgpCli.Run("eval-mesh", GroundTruth).code);
        Assert.Equal(2, NgpCli.Run("eval-mesh", GroundTruth, GroundTruth, "--threshold", "-1").code);
        var (code, _, error) = NgpCli.Run("eval-mesh", GroundTruth, GroundTruth, "--point", "10");
        Assert.Equal(2, code);
        Assert.Contains("--points", error);
    }
}
