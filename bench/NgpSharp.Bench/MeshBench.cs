using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Geometry;

namespace NgpSharp.Bench;

/// <summary>Mesh tools on the CPU: k-d tree nearest-neighbour queries (what eval-mesh spends its time on) and marching cubes.</summary>
static class MeshBench
{
    public static void Run(int batch, Action<BenchResult> add)
    {
        var rng = new Rng(7);
        var points = new Vector3[batch];
        var queries = new Vector3[batch];
        for (int i = 0; i < batch; i++)
        {
            points[i] = new Vector3(rng.NextFloat(), rng.NextFloat(), rng.NextFloat());
            queries[i] = new Vector3(rng.NextFloat(), rng.NextFloat(), rng.NextFloat());
        }
        var tree = new KdTree(points);
        var distances = new float[batch];
        add(new("mesh", "kdtree_nearest", $"k-d tree nearest of {batch} random points: queries", batch,
            Throughput.Measure(() => tree.NearestDistances(queries, distances), batch)));
        add(new("mesh", "kdtree_build", $"k-d tree build: points", batch,
            Throughput.Measure(() => _ = new KdTree(points), batch)));

        int n = Math.Max(2, (int)Math.Round(Math.Cbrt(batch)));
        var box = new Aabb(new Vector3(-1), new Vector3(1));
        var values = new float[n * n * n];
        for (int x = 0; x < n; x++)
            for (int y = 0; y < n; y++)
                for (int z = 0; z < n; z++)
                    values[(x * n + y) * n + z] = 0.8f - (2f / (n - 1) * new Vector3(x, y, z) - Vector3.One).Length();
        add(new("mesh", "marching_cubes", $"marching cubes, sphere on {n}³: grid points", n * n * n,
            Throughput.Measure(() => MarchingCubes.Extract(values, n, n, n, box), (long)n * n * n)));
    }
}
