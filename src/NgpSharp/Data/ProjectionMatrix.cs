namespace NgpSharp.Data;

/// <summary>
/// A 3×4 projection matrix P = λ·K·[R | t] split into pinhole intrinsics and an OpenCV camera pose (camera +x right,
/// +y down, looking along +z), the job of OpenCV's decomposeProjectionMatrix in NeuS's load_K_Rt_from_P.
/// </summary>
/// <param name="Fx">K[0,0] / K[2,2] (pixels).</param>
/// <param name="Fy">K[1,1] / K[2,2].</param>
/// <param name="Cx">K[0,2] / K[2,2].</param>
/// <param name="Cy">K[1,2] / K[2,2].</param>
/// <param name="Skew">K[0,1] / K[2,2] (0 for a camera with rectangular pixels).</param>
/// <param name="WorldToCamera">R: [3, 3] row-major rotation (det +1); its rows are the camera's x, y, z axes in world coordinates.</param>
/// <param name="Centre">The camera centre in world coordinates: [3] = −M⁻¹·p₄.</param>
public sealed record ProjectionDecomposition(double Fx, double Fy, double Cx, double Cy, double Skew, double[] WorldToCamera, double[] Centre);

public static class ProjectionMatrix
{
    /// <summary>
    /// Decomposes P: [3, 4] row-major (any non-zero scale, either sign). M = P[:, :3] is factored as K·R by an RQ
    /// decomposition (Gram–Schmidt from the last row up) with K upper triangular with a positive diagonal and R a
    /// rotation; P is negated first when det M &lt; 0 (a projection matrix is defined up to scale). The result is the
    /// unique such factorisation, so it matches OpenCV's up to its sign conventions.
    /// </summary>
    /// <exception cref="ArgumentException">P does not hold 12 values, contains NaN/∞, or M is singular; the message says which.</exception>
    public static ProjectionDecomposition Decompose(ReadOnlySpan<double> p) =>
        TryDecompose(p, out var error) ?? throw new ArgumentException(error, nameof(p));

    /// <summary><see cref="Decompose"/>, returning null and the reason instead of throwing.</summary>
    public static ProjectionDecomposition? TryDecompose(ReadOnlySpan<double> p, out string? error)
    {
        error = null;
        if (p.Length != 12) { error = $"a projection matrix has 3×4 = 12 values, got {p.Length}"; return null; }
        foreach (double v in p)
            if (!double.IsFinite(v)) { error = "the projection matrix contains NaN or infinity"; return null; }
        double[] m = [p[0], p[1], p[2], p[4], p[5], p[6], p[8], p[9], p[10]];
        double[] p4 = [p[3], p[7], p[11]];
        double norm = Math.Sqrt(m.Sum(v => v * v));
        double det = Det3(m);
        if (!(norm > 0) || !(Math.Abs(det) > 1e-10 * norm * norm * norm))
        {
            error = $"the projection matrix is singular (det of its left 3×3 = {det:G3}, norm {norm:G3}): not a camera";
            return null;
        }
        if (det < 0)
        {
            for (int i = 0; i < 9; i++) m[i] = -m[i];
            for (int i = 0; i < 3; i++) p4[i] = -p4[i];
        }

        // rows m0, m1, m2 of M = K·R: m2 = k22·r2, m1 = k11·r1 + k12·r2, m0 = k00·r0 + k01·r1 + k02·r2
        Span<double> m0 = m.AsSpan(0, 3), m1 = m.AsSpan(3, 3), m2 = m.AsSpan(6, 3);
        var r2 = new double[3]; var r1 = new double[3]; var r0 = new double[3];
        double k22 = Normalise(m2, r2);
        double k12 = Dot(m1, r2);
        for (int i = 0; i < 3; i++) r1[i] = m1[i] - k12 * r2[i];
        double k11 = Normalise(r1, r1);
        double k02 = Dot(m0, r2), k01 = Dot(m0, r1);
        for (int i = 0; i < 3; i++) r0[i] = m0[i] - k02 * r2[i] - k01 * r1[i];
        double k00 = Normalise(r0, r0);
        if (!(k00 > 0 && k11 > 0 && k22 > 0))
        {
            error = "the projection matrix is singular (its rows are linearly dependent): not a camera";
            return null;
        }

        double[] rotation = [.. r0, .. r1, .. r2];
        double[] centre = Solve3(m, p4);
        for (int i = 0; i < 3; i++) centre[i] = -centre[i];
        return new ProjectionDecomposition(k00 / k22, k11 / k22, k02 / k22, k12 / k22, k01 / k22, rotation, centre);
    }

    /// <summary>The 4×4 product a·b of row-major matrices (a: [4, 4], b: [4, 4]) → [4, 4].</summary>
    public static double[] Multiply4x4(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
    {
        var c = new double[16];
        for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
        {
            double s = 0;
            for (int k = 0; k < 4; k++) s += a[4 * i + k] * b[4 * k + j];
            c[4 * i + j] = s;
        }
        return c;
    }

    static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

    static double Normalise(ReadOnlySpan<double> v, Span<double> result)
    {
        double n = Math.Sqrt(Dot(v, v));
        for (int i = 0; i < 3; i++) result[i] = v[i] / n;
        return n;
    }

    static double Det3(ReadOnlySpan<double> m) =>
        m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);

    /// <summary>x with m·x = b (m: [3, 3] row-major, invertible), by Cramer's rule.</summary>
    static double[] Solve3(ReadOnlySpan<double> m, ReadOnlySpan<double> b)
    {
        double det = Det3(m);
        var x = new double[3];
        Span<double> t = stackalloc double[9];
        for (int c = 0; c < 3; c++)
        {
            m.CopyTo(t);
            for (int r = 0; r < 3; r++) t[3 * r + c] = b[r];
            x[c] = Det3(t) / det;
        }
        return x;
    }
}
