using System.Numerics;
using System.Runtime.CompilerServices;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>Where a ray met a triangle: distance along the (unit) direction, the triangle index, and the barycentric
/// weights (U, V) of its second and third corners.</summary>
public readonly record struct RayHit(float T, int Triangle, float U, float V);

/// <summary>
/// A bounding-volume hierarchy over triangles, built with the binned surface-area heuristic (16 bins per axis, an
/// object-median split where SAH finds nothing or the tree gets deep), flattened depth-first (left child = next
/// node) with the triangles stored in leaf order as (v0, e1, e2) for Möller–Trumbore. Double-sided. The build is
/// deterministic; queries are thread-safe.
/// </summary>
public sealed class Bvh
{
    struct Node
    {
        public Vector3 Min;
        public int Offset; // leaf: first triangle slot; interior: right child
        public Vector3 Max;
        public int Count;  // leaf: triangle count; interior: 0
    }

    const int Bins = 16, MaxLeafSize = 8, MedianDepth = 48, StackSize = 128;
    const float TraversalCost = 1f;

    readonly List<Node> _build = [];
    readonly Node[] _nodes;
    readonly Vector3[] _v0, _e1, _e2;
    readonly int[] _triangle;

    /// <summary>Builds over triangles <c>(positions[indices[3t]], positions[indices[3t+1]], positions[indices[3t+2]])</c>.</summary>
    public Bvh(ReadOnlySpan<Vector3> positions, ReadOnlySpan<int> indices)
    {
        int n = indices.Length / 3;
        if (n == 0) throw new ArgumentException("a BVH needs at least one triangle");
        var lo = new Vector3[n];
        var hi = new Vector3[n];
        var centroid = new Vector3[n];
        var order = new int[n];
        for (int t = 0; t < n; t++)
        {
            var (a, b, c) = (positions[indices[3 * t]], positions[indices[3 * t + 1]], positions[indices[3 * t + 2]]);
            lo[t] = Vector3.Min(a, Vector3.Min(b, c));
            hi[t] = Vector3.Max(a, Vector3.Max(b, c));
            centroid[t] = (lo[t] + hi[t]) * 0.5f;
            order[t] = t;
        }
        BuildNode(order, 0, n, 0, lo, hi, centroid);
        _nodes = [.. _build];
        _build.Clear();
        (_v0, _e1, _e2, _triangle) = (new Vector3[n], new Vector3[n], new Vector3[n], order);
        for (int i = 0; i < n; i++)
        {
            int t = order[i];
            var (a, b, c) = (positions[indices[3 * t]], positions[indices[3 * t + 1]], positions[indices[3 * t + 2]]);
            (_v0[i], _e1[i], _e2[i]) = (a, b - a, c - a);
        }
    }

    public int NodeCount => _nodes.Length;
    public int TriangleCount => _triangle.Length;

    /// <summary>The whole mesh's bounds.</summary>
    public (Vector3 Min, Vector3 Max) Bounds => (_nodes[0].Min, _nodes[0].Max);

    void BuildNode(int[] order, int start, int count, int depth, Vector3[] lo, Vector3[] hi, Vector3[] centroid)
    {
        int index = _build.Count;
        Vector3 bMin = new(float.PositiveInfinity), bMax = new(float.NegativeInfinity);
        Vector3 cMin = bMin, cMax = bMax;
        for (int i = start; i < start + count; i++)
        {
            int t = order[i];
            (bMin, bMax) = (Vector3.Min(bMin, lo[t]), Vector3.Max(bMax, hi[t]));
            (cMin, cMax) = (Vector3.Min(cMin, centroid[t]), Vector3.Max(cMax, centroid[t]));
        }
        _build.Add(new Node { Min = bMin, Max = bMax, Offset = start, Count = count });
        if (count <= 2) return;

        int axis = -1, split = 0;
        var extent = cMax - cMin;
        if (depth < MedianDepth) (axis, split) = BestSahSplit(order, start, count, lo, hi, centroid, cMin, extent, Area(bMin, bMax));
        int mid;
        if (axis >= 0)
        {
            float scale = Bins / extent[axis];
            mid = Partition(order, start, count, t => BinOf(centroid[t][axis], cMin[axis], scale) < split);
        }
        else
        {
            if (count <= MaxLeafSize && depth < MedianDepth) return; // SAH prefers a leaf
            int longest = extent.X >= extent.Y && extent.X >= extent.Z ? 0 : extent.Y >= extent.Z ? 1 : 2;
            Array.Sort(order, start, count, Comparer<int>.Create((a, b) =>
            {
                int c = centroid[a][longest].CompareTo(centroid[b][longest]);
                return c != 0 ? c : a.CompareTo(b);
            }));
            mid = start + count / 2;
        }
        _build[index] = _build[index] with { Count = 0 };
        BuildNode(order, start, mid - start, depth + 1, lo, hi, centroid);
        int right = _build.Count;
        BuildNode(order, mid, start + count - mid, depth + 1, lo, hi, centroid);
        _build[index] = _build[index] with { Offset = right };
    }

    /// <summary>The binned-SAH split (axis, first right bin) cheaper than a leaf, or axis −1.</summary>
    static (int Axis, int Split) BestSahSplit(int[] order, int start, int count, Vector3[] lo, Vector3[] hi,
        Vector3[] centroid, Vector3 cMin, Vector3 extent, float nodeArea)
    {
        Span<int> binCount = stackalloc int[Bins];
        var binMin = new Vector3[Bins];
        var binMax = new Vector3[Bins];
        Span<float> rightArea = stackalloc float[Bins];
        Span<int> rightCount = stackalloc int[Bins];
        float bestCost = count * nodeArea; // leaf cost (intersection cost 1 per triangle)
        int bestAxis = -1, bestSplit = 0;
        for (int axis = 0; axis < 3; axis++)
        {
            if (!(extent[axis] > 0)) continue;
            float scale = Bins / extent[axis];
            binCount.Clear();
            Array.Fill(binMin, new Vector3(float.PositiveInfinity));
            Array.Fill(binMax, new Vector3(float.NegativeInfinity));
            for (int i = start; i < start + count; i++)
            {
                int t = order[i], b = BinOf(centroid[t][axis], cMin[axis], scale);
                binCount[b]++;
                (binMin[b], binMax[b]) = (Vector3.Min(binMin[b], lo[t]), Vector3.Max(binMax[b], hi[t]));
            }
            Vector3 rMin = new(float.PositiveInfinity), rMax = new(float.NegativeInfinity);
            int rCount = 0;
            for (int b = Bins - 1; b > 0; b--)
            {
                (rMin, rMax) = (Vector3.Min(rMin, binMin[b]), Vector3.Max(rMax, binMax[b]));
                rCount += binCount[b];
                (rightArea[b], rightCount[b]) = (rCount > 0 ? Area(rMin, rMax) : 0, rCount);
            }
            Vector3 lMin = new(float.PositiveInfinity), lMax = new(float.NegativeInfinity);
            int lCount = 0;
            for (int b = 1; b < Bins; b++)
            {
                (lMin, lMax) = (Vector3.Min(lMin, binMin[b - 1]), Vector3.Max(lMax, binMax[b - 1]));
                lCount += binCount[b - 1];
                if (lCount == 0 || rightCount[b] == 0) continue;
                float cost = TraversalCost * nodeArea + lCount * Area(lMin, lMax) + rightCount[b] * rightArea[b];
                if (cost < bestCost) (bestCost, bestAxis, bestSplit) = (cost, axis, b);
            }
        }
        return (bestAxis, bestSplit);
    }

    static int BinOf(float c, float min, float scale) => Math.Clamp((int)((c - min) * scale), 0, Bins - 1);

    static float Area(Vector3 min, Vector3 max)
    {
        var d = max - min;
        return d.X * d.Y + d.Y * d.Z + d.Z * d.X;
    }

    static int Partition(int[] order, int start, int count, Func<int, bool> left)
    {
        int i = start, j = start + count - 1;
        while (i <= j)
        {
            if (left(order[i])) i++;
            else
            {
                (order[i], order[j]) = (order[j], order[i]);
                j--;
            }
        }
        return i;
    }

    /// <summary>The nearest hit with tMin &lt; t &lt; tMax along origin + t·direction, if any.</summary>
    public bool Intersect(Vector3 origin, Vector3 direction, float tMin, float tMax, out RayHit hit)
    {
        hit = default;
        int best = -1;
        float bestU = 0, bestV = 0;
        var inv = Vector3.One / direction;
        Span<int> stack = stackalloc int[StackSize];
        Span<float> stackNear = stackalloc float[StackSize];
        int top = 0, node = 0;
        if (!Slab(_nodes[0], origin, inv, tMin, tMax, out _)) return false;
        while (true)
        {
            ref readonly var n = ref _nodes[node];
            if (n.Count > 0)
            {
                for (int i = n.Offset; i < n.Offset + n.Count; i++)
                    if (HitTriangle(i, origin, direction, tMin, tMax, out float t, out float u, out float v))
                        (tMax, best, bestU, bestV) = (t, i, u, v);
            }
            else
            {
                int left = node + 1, right = n.Offset;
                bool hitLeft = Slab(_nodes[left], origin, inv, tMin, tMax, out float tl);
                bool hitRight = Slab(_nodes[right], origin, inv, tMin, tMax, out float tr);
                if (hitLeft && hitRight)
                {
                    if (tr < tl) (left, right, tl, tr) = (right, left, tr, tl);
                    stackNear[top] = tr;
                    stack[top++] = right;
                    node = left;
                    continue;
                }
                if (hitLeft) { node = left; continue; }
                if (hitRight) { node = right; continue; }
            }
            // Pop the next subtree that may still hold something nearer than the best hit.
            do
            {
                if (top == 0) goto done;
                node = stack[--top];
            } while (stackNear[top] > tMax);
        }
        done:
        if (best < 0) return false;
        hit = new RayHit(tMax, _triangle[best], bestU, bestV);
        return true;
    }

    /// <summary>Whether anything lies at tMin &lt; t &lt; tMax (shadow rays: stops at the first hit).</summary>
    public bool Occluded(Vector3 origin, Vector3 direction, float tMin, float tMax)
    {
        var inv = Vector3.One / direction;
        Span<int> stack = stackalloc int[StackSize];
        int top = 0;
        stack[top++] = 0;
        while (top > 0)
        {
            int node = stack[--top];
            ref readonly var n = ref _nodes[node];
            if (!Slab(n, origin, inv, tMin, tMax, out _)) continue;
            if (n.Count > 0)
            {
                for (int i = n.Offset; i < n.Offset + n.Count; i++)
                    if (HitTriangle(i, origin, direction, tMin, tMax, out _, out _, out _)) return true;
            }
            else
            {
                stack[top++] = n.Offset;
                stack[top++] = node + 1;
            }
        }
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static bool Slab(in Node n, Vector3 origin, Vector3 inv, float tMin, float tMax, out float tNear)
    {
        var t0 = (n.Min - origin) * inv;
        var t1 = (n.Max - origin) * inv;
        var near = Vector3.Min(t0, t1);
        var far = Vector3.Max(t0, t1);
        tNear = MathF.Max(MathF.Max(near.X, near.Y), MathF.Max(near.Z, tMin));
        float tFar = MathF.Min(MathF.Min(far.X, far.Y), MathF.Min(far.Z, tMax));
        return tNear <= tFar;
    }

    /// <summary>Möller–Trumbore, double-sided; edges are closed (u, v ≥ 0, u + v ≤ 1) so that shared edges leave no cracks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    bool HitTriangle(int i, Vector3 origin, Vector3 direction, float tMin, float tMax, out float t, out float u, out float v)
    {
        t = u = v = 0;
        var e1 = _e1[i];
        var e2 = _e2[i];
        var p = Vector3.Cross(direction, e2);
        float det = Vector3.Dot(e1, p);
        if (det == 0 || !float.IsFinite(det)) return false;
        float invDet = 1f / det;
        var s = origin - _v0[i];
        u = Vector3.Dot(s, p) * invDet;
        if (u < 0 || u > 1) return false;
        var q = Vector3.Cross(s, e1);
        v = Vector3.Dot(direction, q) * invDet;
        if (v < 0 || u + v > 1) return false;
        t = Vector3.Dot(e2, q) * invDet;
        return t > tMin && t < tMax;
    }
}
