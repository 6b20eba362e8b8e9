using System.Numerics;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Geometry;

/// <summary>
/// A 3-D k-d tree for nearest-neighbour queries. Built in O(n log n) expected time by median splits
/// (quickselect) on the widest axis of each node's points, down to leaves of at most <see cref="LeafSize"/>
/// points; the tree is implicit (node i has children 2i+1, 2i+2 over fixed halves of a reordered point array).
/// Queries are exact; batches run in parallel over fixed tiles (results do not depend on the thread count).
/// </summary>
public sealed class KdTree
{
    public const int LeafSize = 8;
    const int QueryTile = 4096;

    readonly Vector3[] _points;   // reordered
    readonly int[] _original;     // reordered position → caller's index
    readonly byte[] _axis;        // per internal node
    readonly float[] _split;      // per internal node

    /// <summary>Builds the tree over <c>points: [N]</c> (copied; N ≥ 1, all finite).</summary>
    public KdTree(ReadOnlySpan<Vector3> points)
    {
        if (points.Length == 0) throw new ArgumentException("KdTree: no points");
        _points = points.ToArray();
        _original = new int[_points.Length];
        for (int i = 0; i < _original.Length; i++)
        {
            var p = _points[i];
            if (!float.IsFinite(p.X) || !float.IsFinite(p.Y) || !float.IsFinite(p.Z)) throw new ArgumentException($"KdTree: point {i} = {p} is not finite");
            _original[i] = i;
        }
        int nodes = 1;
        while (LeafCount(nodes) * LeafSize < _points.Length) nodes = 2 * nodes + 1;
        _axis = new byte[nodes];
        _split = new float[nodes];
        Build(0, 0, _points.Length);
    }

    public int Count => _points.Length;

    static int LeafCount(int nodes) => (nodes + 1) / 2;

    bool IsLeaf(int node, int lo, int hi) => hi - lo <= LeafSize || 2 * node + 1 >= _axis.Length;

    void Build(int node, int lo, int hi)
    {
        if (IsLeaf(node, lo, hi)) return;
        Vector3 min = new(float.PositiveInfinity), max = new(float.NegativeInfinity);
        for (int i = lo; i < hi; i++) { min = Vector3.Min(min, _points[i]); max = Vector3.Max(max, _points[i]); }
        var extent = max - min;
        int axis = extent.X >= extent.Y && extent.X >= extent.Z ? 0 : extent.Y >= extent.Z ? 1 : 2;
        int mid = (lo + hi) >>> 1;
        Select(lo, hi - 1, mid, axis);
        _axis[node] = (byte)axis;
        _split[node] = _points[mid][axis];
        Build(2 * node + 1, lo, mid);
        Build(2 * node + 2, mid, hi);
    }

    /// <summary>Quickselect (Hoare partition, middle pivot): afterwards [lo, k) ≤ points[k] ≤ (k, hi] on <paramref name="axis"/>.</summary>
    void Select(int lo, int hi, int k, int axis)
    {
        while (lo < hi)
        {
            float pivot = _points[(lo + hi) >>> 1][axis];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (_points[i][axis] < pivot) i++;
                while (_points[j][axis] > pivot) j--;
                if (i <= j) { Swap(i, j); i++; j--; }
            }
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return;
        }
    }

    void Swap(int i, int j)
    {
        (_points[i], _points[j]) = (_points[j], _points[i]);
        (_original[i], _original[j]) = (_original[j], _original[i]);
    }

    /// <summary>The nearest point to <paramref name="query"/>: its index in the build input and the squared distance.</summary>
    public (int index, float distanceSquared) Nearest(Vector3 query)
    {
        int best = -1;
        float bestD2 = float.PositiveInfinity;
        Search(0, 0, _points.Length, query, ref best, ref bestD2);
        return (_original[best], bestD2);
    }

    void Search(int node, int lo, int hi, Vector3 q, ref int best, ref float bestD2)
    {
        if (IsLeaf(node, lo, hi))
        {
            for (int i = lo; i < hi; i++)
            {
                float d2 = Vector3.DistanceSquared(_points[i], q);
                if (d2 < bestD2) { bestD2 = d2; best = i; }
            }
            return;
        }
        int mid = (lo + hi) >>> 1;
        float diff = q[_axis[node]] - _split[node];
        if (diff < 0)
        {
            Search(2 * node + 1, lo, mid, q, ref best, ref bestD2);
            if (diff * diff < bestD2) Search(2 * node + 2, mid, hi, q, ref best, ref bestD2);
        }
        else
        {
            Search(2 * node + 2, mid, hi, q, ref best, ref bestD2);
            if (diff * diff < bestD2) Search(2 * node + 1, lo, mid, q, ref best, ref bestD2);
        }
    }

    /// <summary>Nearest-point distances for a batch, in parallel: <c>queries: [M]</c> → <c>distances: [M]</c> (Euclidean), optional <c>indices: [M]</c>.</summary>
    public void NearestDistances(ReadOnlySpan<Vector3> queries, Span<float> distances, Span<int> indices = default)
    {
        if (distances.Length != queries.Length) throw new ArgumentException($"KdTree: {distances.Length} distances for {queries.Length} queries");
        if (!indices.IsEmpty && indices.Length != queries.Length) throw new ArgumentException($"KdTree: {indices.Length} indices for {queries.Length} queries");
        var q = queries.ToArray();
        var d = new float[q.Length];
        var idx = indices.IsEmpty ? null : new int[q.Length];
        CpuParallel.ForTiles(q.Length, QueryTile, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                var (index, d2) = Nearest(q[i]);
                d[i] = MathF.Sqrt(d2);
                if (idx is not null) idx[i] = index;
            }
        });
        d.CopyTo(distances);
        idx?.CopyTo(indices);
    }
}
