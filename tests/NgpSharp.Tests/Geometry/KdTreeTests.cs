using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Geometry;
using Xunit;

namespace NgpSharp.Tests.Geometry;

public class KdTreeTests
{
    static Vector3[] Random(int n, ulong seed, float scale = 1f)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, n).Select(_ => scale * new Vector3(rng.NextFloat(), rng.NextFloat(), rng.NextFloat()))];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    [InlineData(5003)]
    public void MatchesBruteForce(int n)
    {
        var points = Random(n, 1);
        var queries = Random(700, 2, 1.2f);
        var tree = new KdTree(points);
        var distances = new float[queries.Length];
        var indices = new int[queries.Length];
        tree.NearestDistances(queries, distances, indices);
        for (int q = 0; q < queries.Length; q++)
        {
            int best = 0;
            for (int i = 1; i < n; i++)
                if (Vector3.DistanceSquared(points[i], queries[q]) < Vector3.DistanceSquared(points[best], queries[q])) best = i;
            Assert.Equal(best, indices[q]);
            Assert.Equal(Vector3.Distance(points[best], queries[q]), distances[q], 5);
        }
    }

    [Fact]
    public void Duplicates_AndFlatClouds_Work()
    {
        var points = Enumerable.Repeat(new Vector3(1, 2, 3), 500).Concat(Random(500, 3).Select(p => p with { Z = 0 })).ToArray();
        var tree = new KdTree(points);
        Assert.Equal(0f, tree.Nearest(new Vector3(1, 2, 3)).distanceSquared);
        var (index, d2) = tree.Nearest(points[700] + new Vector3(0, 0, 0.5f));
        Assert.Equal(0.25f, d2, 5);
        Assert.Equal(points[700], points[index]);
    }

    [Fact]
    public void BadInput_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => new KdTree([]));
        Assert.Throws<ArgumentException>(() => new KdTree([Vector3.Zero, new Vector3(float.NaN, 0, 0)]));
    }
}
