using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Geometry;

/// <summary>
/// Chamfer distance and F-score between two meshes, from points sampled on both by area: accuracy = mean
/// distance from the mesh's samples to the nearest reference sample, completeness = the reverse;
/// Chamfer-L1 = (accuracy + completeness) / 2, Chamfer-L2 the same with squared distances; precision = share of
/// mesh samples within τ of the reference samples, recall = share of reference samples within τ of the mesh's,
/// F = 2PR / (P + R). Point-to-point distances carry a sampling bias of the order of the sample spacing
/// (≈ √(area / N)); use enough points for the τ you ask about.
/// </summary>
public static class MeshMetrics
{
    public const int DefaultPoints = 200_000;
    public const double DefaultThresholdFraction = 0.01;

    /// <summary>Compares <paramref name="mesh"/> with <paramref name="reference"/>.</summary>
    /// <param name="mesh">The mesh under test.</param>
    /// <param name="reference">The ground truth (its bbox sets the default τ).</param>
    /// <param name="seed">pcg32 seed of the surface samples (streams 1 and 2).</param>
    /// <param name="points">Samples per mesh.</param>
    /// <param name="threshold">τ in absolute units; null: <see cref="DefaultThresholdFraction"/> × the reference's bbox diagonal.</param>
    public static MeshComparison Compare(Mesh mesh, Mesh reference, int points = DefaultPoints, double? threshold = null, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(points, 1);
        double tau = threshold ?? DefaultThresholdFraction * reference.Bounds.Size.Length();
        if (!(tau > 0) || !double.IsFinite(tau)) throw new ArgumentException($"MeshMetrics: threshold must be positive and finite, got {tau}");
        var meshPoints = SampleSurface(mesh, points, seed, stream: 1);
        var referencePoints = SampleSurface(reference, points, seed, stream: 2);
        var toReference = new float[points];
        var toMesh = new float[points];
        new KdTree(referencePoints).NearestDistances(meshPoints, toReference);
        new KdTree(meshPoints).NearestDistances(referencePoints, toMesh);
        var (accuracy, accuracy2, precision) = Summarise(toReference, tau);
        var (completeness, completeness2, recall) = Summarise(toMesh, tau);
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
        return new MeshComparison(accuracy, completeness, (accuracy + completeness) / 2, (accuracy2 + completeness2) / 2,
            precision, recall, f, tau, points);
    }

    static (double mean, double meanSquared, double withinShare) Summarise(float[] distances, double tau)
    {
        double sum = 0, sum2 = 0;
        long within = 0;
        foreach (float d in distances)
        {
            sum += d;
            sum2 += (double)d * d;
            if (d < tau) within++;
        }
        return (sum / distances.Length, sum2 / distances.Length, (double)within / distances.Length);
    }

    /// <summary>
    /// <paramref name="count"/> points uniformly distributed over the surface (triangle chosen with probability
    /// ∝ area, then a uniform barycentric point), from pcg32(<paramref name="seed"/>, <paramref name="stream"/>).
    /// </summary>
    public static Vector3[] SampleSurface(Mesh mesh, int count, ulong seed, ulong stream = 1)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var cumulative = new double[mesh.TriangleCount];
        double total = 0;
        for (int t = 0; t < cumulative.Length; t++) cumulative[t] = total += mesh.TriangleArea(t);
        if (!(total > 0) || !double.IsFinite(total))
            throw new ArgumentException($"MeshMetrics: cannot sample a mesh with surface area {total} ({mesh})");
        var rng = new Rng(seed, stream);
        var result = new Vector3[count];
        for (int i = 0; i < count; i++)
        {
            double u = rng.NextDouble() * total;
            int t = Array.BinarySearch(cumulative, u);
            t = t >= 0 ? t : ~t;
            t = Math.Min(t, cumulative.Length - 1);
            while (t > 0 && cumulative[t] == cumulative[t - 1]) t--; // never land on a zero-area triangle
            var (a, b, c) = mesh.Triangle(t);
            float r1 = MathF.Sqrt(rng.NextFloat()), r2 = rng.NextFloat();
            result[i] = a * (1 - r1) + b * (r1 * (1 - r2)) + c * (r1 * r2);
        }
        return result;
    }
}

/// <summary>What <see cref="MeshMetrics.Compare"/> measured; distances in the meshes' units.</summary>
/// <param name="Accuracy">Mean distance from the mesh's samples to the reference's.</param>
/// <param name="Completeness">Mean distance from the reference's samples to the mesh's.</param>
/// <param name="Chamfer">(Accuracy + Completeness) / 2.</param>
/// <param name="ChamferL2">Mean squared distances, averaged over both directions.</param>
/// <param name="Precision">Share of the mesh's samples within <paramref name="Threshold"/> of the reference.</param>
/// <param name="Recall">Share of the reference's samples within <paramref name="Threshold"/> of the mesh.</param>
/// <param name="FScore">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Threshold">τ in absolute units.</param>
/// <param name="Points">Samples per mesh.</param>
public sealed record MeshComparison(double Accuracy, double Completeness, double Chamfer, double ChamferL2,
    double Precision, double Recall, double FScore, double Threshold, int Points);
