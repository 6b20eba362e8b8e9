namespace NgpSharp.Geometry;

/// <summary>
/// OpenCV's radial-tangential lens model (k1, k2, p1, p2; instant-ngp's <c>ELensMode::OpenCV</c>) acting on
/// normalised image coordinates (x = (u − cx)/fx, y = (v − cy)/fy, OpenCV axes: y down):
/// <c>r² = x² + y²</c>, <c>x_d = x(1 + k1 r² + k2 r⁴) + 2 p1 x y + p2 (r² + 2x²)</c>,
/// <c>y_d = y(1 + k1 r² + k2 r⁴) + 2 p2 x y + p1 (r² + 2y²)</c>. All zero means no distortion.
/// </summary>
public readonly record struct LensDistortion(float K1, float K2, float P1, float P2)
{
    /// <summary>True when every coefficient is zero (a plain pinhole).</summary>
    public bool IsNone => K1 == 0 && K2 == 0 && P1 == 0 && P2 == 0;

    /// <summary>Where the lens maps an ideal (undistorted) normalised point.</summary>
    public (double X, double Y) Distort(double x, double y)
    {
        double r2 = x * x + y * y, radial = r2 * (K1 + K2 * r2);
        return (x + x * radial + 2 * P1 * x * y + P2 * (r2 + 2 * x * x),
                y + y * radial + 2 * P2 * x * y + P1 * (r2 + 2 * y * y));
    }

    /// <summary>
    /// The ideal point that <see cref="Distort"/> maps to (xd, yd): Newton's method from (xd, yd) as instant-ngp
    /// (after COLMAP) does, here with the analytic Jacobian; at most 20 iterations, stopping when the step's squared
    /// length is below 1e-24.
    /// </summary>
    public (double X, double Y) Undistort(double xd, double yd)
    {
        if (IsNone) return (xd, yd);
        double x = xd, y = yd;
        for (int i = 0; i < 20; i++)
        {
            var (fx, fy) = Distort(x, y);
            double r2 = x * x + y * y, radial = r2 * (K1 + K2 * r2);
            double dRadial = 2 * (K1 + 2 * K2 * r2); // ∂radial/∂x = x·dRadial, ∂radial/∂y = y·dRadial
            double j00 = 1 + radial + x * x * dRadial + 2 * P1 * y + 6 * P2 * x;
            double j01 = x * y * dRadial + 2 * P1 * x + 2 * P2 * y;
            double j10 = x * y * dRadial + 2 * P2 * y + 2 * P1 * x;
            double j11 = 1 + radial + y * y * dRadial + 2 * P2 * x + 6 * P1 * y;
            double det = j00 * j11 - j01 * j10;
            if (!(Math.Abs(det) > 1e-12)) break; // the lens folds over here; keep the best estimate
            double ex = fx - xd, ey = fy - yd;
            double sx = (j11 * ex - j01 * ey) / det, sy = (j00 * ey - j10 * ex) / det;
            x -= sx;
            y -= sy;
            if (sx * sx + sy * sy < 1e-24) break;
        }
        return (x, y);
    }
}
