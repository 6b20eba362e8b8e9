using System.Numerics;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class MeshMetricsTests
{
    [Fact]
    public void Sampling_IsUniformByAreaAndSeeded()
    {
        // Two unit squares side by side, one split into many small triangles: half the samples land on each.
        var left = TestMeshes.Square();
        var positions = new List<Vector3>(left.Positions);
        var triangles = new List<int>(left.Triangles);
        for (int i = 0; i < 4; i++) for (int j = 0; j < 4; j++)
        {
            int b = positions.Count;
            positions.AddRange([new(1 + i / 4f, j / 4f, 0), new(1 + (i + 1) / 4f, j / 4f, 0), new(1 + (i + 1) / 4f, (j + 1) / 4f, 0), new(1 + i / 4f, (j + 1) / 4f, 0)]);
            triangles.AddRange([b, b + 1, b + 2, b, b + 2, b + 3]);
        }
        var mesh = new Mesh([.. positions], [.. triangles]);
        var samples = MeshMetrics.SampleSurface(mesh, 40000, seed: 5);
        double share = samples.Count(p => p.X < 1) / 40000.0;
        Assert.InRange(share, 0.49, 0.51);
        Assert.All(samples, p => Assert.True(p.Z == 0 && p.X is >= 0 and <= 2 && p.Y is >= 0 and <= 1));
        Assert.Equal(samples, MeshMetrics.SampleSurface(mesh, 40000, seed: 5));
        Assert.NotEqual(samples, MeshMetrics.SampleSurface(mesh, 40000, seed: 6));
    }

    [Fact]
    public void MeshVsItself_IsPerfect()
    {
        var sphere = TestMeshes.Icosphere(3);
        var r = MeshMetrics.Compare(sphere, sphere, points: 100_000, seed: 1);
        Assert.Equal(0.01 * 2 * Math.Sqrt(3), r.Threshold, 3);    // 1% of the bbox diagonal (the icosphere's vertices reach ±1)
        Assert.True(r.FScore >= 0.9999, $"F = {r.FScore}");
        Assert.InRange(r.Chamfer, 0, 0.01);                     // only the sampling spacing (~0.004)
        Assert.Equal(r.Chamfer, (r.Accuracy + r.Completeness) / 2, 12);
    }

    [Fact]
    public void ShiftedByTwoTau_ScoresZero()
    {
        var square = TestMeshes.Square();
        double tau = 0.01 * Math.Sqrt(2);
        var shifted = square.Transformed(Matrix4x4.CreateTranslation(0, 0, (float)(2 * tau)));
        var r = MeshMetrics.Compare(shifted, square, points: 20_000, seed: 2);
        Assert.Equal(tau, r.Threshold, 6);
        Assert.Equal(0, r.Precision);
        Assert.Equal(0, r.Recall);
        Assert.Equal(0, r.FScore);
        Assert.InRange(r.Chamfer, 2 * tau, 2 * tau * 1.05);
        Assert.InRange(r.ChamferL2, 4 * tau * tau, 4 * tau * tau * 1.1);
    }

    [Fact]
    public void SpheresOfRadiusOneAndOnePlusD_ChamferIsD()
    {
        const float d = 0.05f;
        var r = MeshMetrics.Compare(TestMeshes.Icosphere(4, 1 + d), TestMeshes.Icosphere(4), points: 50_000, seed: 3);
        Assert.InRange(r.Chamfer, d * 0.98, d * 1.05);
        Assert.InRange(r.ChamferL2, d * d * 0.96, d * d * 1.1);
        Assert.Equal(0, r.FScore);                             // d > τ ≈ 0.035 everywhere
    }

    [Fact]
    public void ZeroAreaMesh_IsRejected()
    {
        var flat = new Mesh([Vector3.Zero, Vector3.UnitX, 2 * Vector3.UnitX], [0, 1, 2]);
        var e = Assert.Throws<ArgumentException>(() => MeshMetrics.Compare(flat, TestMeshes.Square()));
        Assert.Contains("area", e.Message);
    }
}
