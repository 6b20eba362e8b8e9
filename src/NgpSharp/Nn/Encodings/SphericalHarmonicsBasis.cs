namespace NgpSharp.Nn.Encodings;

/// <summary>
/// The 64 real spherical harmonics of degrees 0–7 (tiny-cuda-nn's "degree" 1–8, ordered l² + l + m for
/// m = −l..l, with tiny-cuda-nn's signs) as polynomials in the direction (x, y, z), each expanded into monomials
/// <c>c·x^a·y^b·z^c</c>. Constants come from their closed forms (e.g. √15/(2√π)); derivatives are the exact
/// derivatives of the same polynomials, so forward and backward cannot disagree.
/// </summary>
internal static class SphericalHarmonicsBasis
{
    public const int MaxDegree = 8;

    /// <summary>One monomial c·x^Ex·y^Ey·z^Ez.</summary>
    public readonly record struct Term(double Coefficient, int Ex, int Ey, int Ez);

    /// <summary>Basis function k as monomials: [64][terms].</summary>
    public static readonly Term[][] Values;
    /// <summary>∂/∂x, ∂/∂y, ∂/∂z of basis function k: [3][64][terms].</summary>
    public static readonly Term[][][] Gradients;

    static SphericalHarmonicsBasis()
    {
        var polys = Build();
        Values = polys.Select(p => p.Terms()).ToArray();
        Gradients = [.. Enumerable.Range(0, 3).Select(axis => polys.Select(p => p.Derivative(axis).Terms()).ToArray())];
    }

    /// <summary>A polynomial in x, y, z with double coefficients (only for building the tables).</summary>
    sealed class Poly
    {
        readonly Dictionary<(int, int, int), double> _c = [];

        public static Poly Constant(double c) { var p = new Poly(); p.Add((0, 0, 0), c); return p; }
        static Poly Monomial(int a, int b, int c) { var p = new Poly(); p.Add((a, b, c), 1); return p; }
        public static readonly Poly X = Monomial(1, 0, 0), Y = Monomial(0, 1, 0), Z = Monomial(0, 0, 1);

        void Add((int, int, int) e, double c)
        {
            double v = _c.GetValueOrDefault(e) + c;
            if (v == 0) _c.Remove(e); else _c[e] = v;
        }

        public static Poly operator +(Poly a, Poly b) { var r = new Poly(); foreach (var (e, c) in a._c) r.Add(e, c); foreach (var (e, c) in b._c) r.Add(e, c); return r; }
        public static Poly operator -(Poly a, Poly b) => a + (-1.0) * b;
        public static Poly operator +(Poly a, double b) => a + Constant(b);
        public static Poly operator -(Poly a, double b) => a + Constant(-b);
        public static Poly operator +(double a, Poly b) => Constant(a) + b;
        public static Poly operator -(double a, Poly b) => Constant(a) - b;
        public static Poly operator *(double s, Poly a) { var r = new Poly(); foreach (var (e, c) in a._c) r.Add(e, s * c); return r; }
        public static Poly operator *(Poly a, double s) => s * a;
        public static Poly operator *(Poly a, Poly b)
        {
            var r = new Poly();
            foreach (var ((a1, b1, c1), ca) in a._c)
                foreach (var ((a2, b2, c2), cb) in b._c) r.Add((a1 + a2, b1 + b2, c1 + c2), ca * cb);
            return r;
        }

        public Poly Derivative(int axis)
        {
            var r = new Poly();
            foreach (var ((a, b, c), k) in _c)
            {
                int p = axis == 0 ? a : axis == 1 ? b : c;
                if (p == 0) continue;
                r.Add(axis == 0 ? (a - 1, b, c) : axis == 1 ? (a, b - 1, c) : (a, b, c - 1), k * p);
            }
            return r;
        }

        public Term[] Terms() => [.. _c.OrderBy(kv => kv.Key).Select(kv => new Term(kv.Value, kv.Key.Item1, kv.Key.Item2, kv.Key.Item3))];
    }

    static Poly[] Build()
    {
        Poly x = Poly.X, y = Poly.Y, z = Poly.Z;
        Poly xy = x * y, xz = x * z, yz = y * z, x2 = x * x, y2 = y * y, z2 = z * z;
        Poly x4 = x2 * x2, y4 = y2 * y2, z4 = z2 * z2, x6 = x4 * x2, y6 = y4 * y2, z6 = z4 * z2;
        double sp = Math.Sqrt(Math.PI);
        static double S(double v) => Math.Sqrt(v);

        return
        [
            // l = 0
            Poly.Constant(1 / (2 * sp)),
            // l = 1
            -S(3) / (2 * sp) * y,
            S(3) / (2 * sp) * z,
            -S(3) / (2 * sp) * x,
            // l = 2
            S(15) / (2 * sp) * xy,
            -S(15) / (2 * sp) * yz,
            S(5) / (4 * sp) * (3 * z2 - 1),
            -S(15) / (2 * sp) * xz,
            S(15) / (4 * sp) * (x2 - y2),
            // l = 3
            S(70) / (8 * sp) * y * (-3 * x2 + y2),
            S(105) / (2 * sp) * xy * z,
            S(42) / (8 * sp) * y * (1 - 5 * z2),
            S(7) / (4 * sp) * z * (5 * z2 - 3),
            S(42) / (8 * sp) * x * (1 - 5 * z2),
            S(105) / (4 * sp) * z * (x2 - y2),
            S(70) / (8 * sp) * x * (-1 * x2 + 3 * y2),
            // l = 4
            3 * S(35) / (4 * sp) * xy * (x2 - y2),
            3 * S(70) / (8 * sp) * yz * (-3 * x2 + y2),
            3 * S(5) / (4 * sp) * xy * (7 * z2 - 1),
            3 * S(10) / (8 * sp) * yz * (3 - 7 * z2),
            3 / (16 * sp) * (-30 * z2 + 35 * z4 + 3),
            3 * S(10) / (8 * sp) * xz * (3 - 7 * z2),
            3 * S(5) / (8 * sp) * (x2 - y2) * (7 * z2 - 1),
            3 * S(70) / (8 * sp) * xz * (-1 * x2 + 3 * y2),
            3 * S(35) / (16 * sp) * (-6 * x2 * y2 + x4 + y4),
            // l = 5
            3 * S(154) / (32 * sp) * y * (10 * x2 * y2 - 5 * x4 - y4),
            3 * S(385) / (4 * sp) * xy * z * (x2 - y2),
            -S(770) / (32 * sp) * y * (3 * x2 - y2) * (9 * z2 - 1),
            S(1155) / (4 * sp) * xy * z * (3 * z2 - 1),
            S(165) / (16 * sp) * y * (14 * z2 - 21 * z4 - 1),
            S(11) / (16 * sp) * z * (-70 * z2 + 63 * z4 + 15),
            S(165) / (16 * sp) * x * (14 * z2 - 21 * z4 - 1),
            S(1155) / (8 * sp) * z * (x2 - y2) * (3 * z2 - 1),
            -S(770) / (32 * sp) * x * (x2 - 3 * y2) * (9 * z2 - 1),
            3 * S(385) / (16 * sp) * z * (-6 * x2 * y2 + x4 + y4),
            3 * S(154) / (32 * sp) * x * (10 * x2 * y2 - x4 - 5 * y4),
            // l = 6
            S(6006) / (32 * sp) * xy * (-10 * x2 * y2 + 3 * x4 + 3 * y4),
            3 * S(2002) / (32 * sp) * yz * (10 * x2 * y2 - 5 * x4 - y4),
            3 * S(91) / (8 * sp) * xy * (x2 - y2) * (11 * z2 - 1),
            -S(2730) / (32 * sp) * yz * (3 * x2 - y2) * (11 * z2 - 3),
            S(2730) / (32 * sp) * xy * (-18 * z2 + 33 * z4 + 1),
            S(273) / (16 * sp) * yz * (30 * z2 - 33 * z4 - 5),
            S(13) / (32 * sp) * (105 * z2 - 315 * z4 + 231 * z6 - 5),
            S(273) / (16 * sp) * xz * (30 * z2 - 33 * z4 - 5),
            S(2730) / (64 * sp) * (x2 - y2) * (11 * z2 * (3 * z2 - 1) - 7 * z2 + 1),
            -S(2730) / (32 * sp) * xz * (x2 - 3 * y2) * (11 * z2 - 3),
            3 * S(91) / (32 * sp) * (11 * z2 - 1) * (-6 * x2 * y2 + x4 + y4),
            3 * S(2002) / (32 * sp) * xz * (10 * x2 * y2 - x4 - 5 * y4),
            S(6006) / (64 * sp) * (15 * x2 * y4 - 15 * x4 * y2 + x6 - y6),
            // l = 7
            3 * S(715) / (64 * sp) * y * (-21 * x2 * y4 + 35 * x4 * y2 - 7 * x6 + y6),
            3 * S(10010) / (32 * sp) * xy * z * (-10 * x2 * y2 + 3 * x4 + 3 * y4),
            -3 * S(385) / (64 * sp) * y * (13 * z2 - 1) * (-10 * x2 * y2 + 5 * x4 + y4),
            3 * S(385) / (8 * sp) * xy * z * (x2 - y2) * (13 * z2 - 3),
            -3 * S(35) / (64 * sp) * y * (3 * x2 - y2) * (13 * z2 * (11 * z2 - 3) - 27 * z2 + 3),
            3 * S(70) / (32 * sp) * xy * z * (-110 * z2 + 143 * z4 + 15),
            S(105) / (64 * sp) * y * (-135 * z2 + 495 * z4 - 429 * z6 + 5),
            S(15) / (32 * sp) * z * (315 * z2 - 693 * z4 + 429 * z6 - 35),
            S(105) / (64 * sp) * x * (-135 * z2 + 495 * z4 - 429 * z6 + 5),
            S(70) / (64 * sp) * z * (x2 - y2) * (143 * z2 * (3 * z2 - 1) - 187 * z2 + 45),
            -3 * S(35) / (64 * sp) * x * (x2 - 3 * y2) * (13 * z2 * (11 * z2 - 3) - 27 * z2 + 3),
            3 * S(385) / (32 * sp) * z * (13 * z2 - 3) * (-6 * x2 * y2 + x4 + y4),
            -3 * S(385) / (64 * sp) * x * (13 * z2 - 1) * (-10 * x2 * y2 + x4 + 5 * y4),
            3 * S(10010) / (64 * sp) * z * (15 * x2 * y4 - 15 * x4 * y2 + x6 - y6),
            3 * S(715) / (64 * sp) * x * (-35 * x2 * y4 + 21 * x4 * y2 - x6 + 7 * y6),
        ];
    }
}
