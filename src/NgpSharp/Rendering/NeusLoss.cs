using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Nn;

namespace NgpSharp.Rendering;

/// <summary>
/// The loss terms of instant-nsr-pl's NeuS system (systems/neus.py), each returning its unweighted value (what
/// instant-nsr-pl logs) and writing scale·∂value/∂input into a gradient matrix (Overwrite, Accumulate or Ignore);
/// the system picks scale = λ·loss scale from its config. Derivatives follow PyTorch (|x|'(0) = 0, ‖x‖'(0) = 0,
/// clamp passes gradients on its closed range). Matrices use all their rows: slice them to the batch (R rays or
/// S samples) first. CPU only for now; sums run in index order (deterministic).
/// instant-nsr-pl: loss = λ_rgb_mse·MSE + λ_rgb_l1·L1 (both over rays with opacity &gt; 0, <see cref="ValidRays"/>)
/// + λ_eikonal·eikonal + λ_mask·mask BCE (datasets with masks) + λ_opaque·opaque + λ_sparsity·sparsity
/// + λ_curvature·curvature (+ distortion, not here). Shipped values: blender λ_rgb_mse 10, λ_rgb_l1 0, λ_mask 0.1,
/// λ_eikonal 0.1, the rest 0; DTU λ_rgb_l1 1, λ_rgb_mse 0, λ_eikonal 0.1, λ_mask 0.1 with masks; sparsity_scale 1.
/// PSNR is computed from the MSE of the composited colour (<see cref="NerfLoss{T}.Psnr"/>).
/// </summary>
public static class NeusLoss<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>instant-nsr-pl clamps opacity to [1e-3, 1 − 1e-3] before its BCE terms.</summary>
    public const double OpacityClamp = 1e-3;

    /// <summary>valid[r] = opacity[r] &gt; 0 (instant-nsr-pl's rays_valid); opacity: [R, 1].</summary>
    public static void ValidRays(DeviceMatrix<T> opacity, Span<bool> valid)
    {
        Check(opacity, "opacity", 1);
        if (valid.Length != opacity.Rows) throw new ArgumentException($"neus loss: {valid.Length} valid flags for opacity {opacity}");
        var a = opacity.AsSpan();
        for (int r = 0; r < valid.Length; r++) valid[r] = a[r] > T.Zero;
    }

    /// <summary>mean |p − t| over the 3 channels of the valid rays (all rays when <paramref name="valid"/> is empty); [R, 3] each.</summary>
    public static double RgbL1(DeviceMatrix<T> prediction, DeviceMatrix<T> target, ReadOnlySpan<bool> valid,
        DeviceMatrix<T> gradient, T scale, GradientMode mode = GradientMode.Overwrite) =>
        Rgb(prediction, target, valid, gradient, scale, mode, squared: false);

    /// <summary>mean (p − t)² over the 3 channels of the valid rays (all rays when <paramref name="valid"/> is empty); [R, 3] each.</summary>
    public static double RgbMse(DeviceMatrix<T> prediction, DeviceMatrix<T> target, ReadOnlySpan<bool> valid,
        DeviceMatrix<T> gradient, T scale, GradientMode mode = GradientMode.Overwrite) =>
        Rgb(prediction, target, valid, gradient, scale, mode, squared: true);

    static double Rgb(DeviceMatrix<T> prediction, DeviceMatrix<T> target, ReadOnlySpan<bool> valid,
        DeviceMatrix<T> gradient, T scale, GradientMode mode, bool squared)
    {
        Check(prediction, "prediction", 3);
        Check(target, "target", 3, prediction.Rows);
        CheckGradient(gradient, mode, 3, prediction.Rows);
        int rays = prediction.Rows;
        if (!valid.IsEmpty && valid.Length != rays) throw new ArgumentException($"neus loss: {valid.Length} valid flags for {rays} rays");
        int count = 0;
        for (int r = 0; r < rays; r++) if (valid.IsEmpty || valid[r]) count++;
        ReadOnlySpan<T> p = prediction.AsSpan(), t = target.AsSpan();
        Span<T> g = mode == GradientMode.Ignore ? default : gradient.AsSpan();
        T perElement = count == 0 ? T.Zero : scale / T.CreateChecked(3 * count);
        double sum = 0;
        for (int r = 0; r < rays; r++)
        {
            bool use = valid.IsEmpty || valid[r];
            for (int c = 3 * r; c < 3 * r + 3; c++)
            {
                T d = p[c] - t[c];
                T grad = T.Zero;
                if (use)
                {
                    sum += double.CreateChecked(squared ? d * d : T.Abs(d));
                    grad = squared ? T.CreateChecked(2) * d * perElement : d > T.Zero ? perElement : d < T.Zero ? -perElement : T.Zero;
                }
                if (!g.IsEmpty) Write(g, c, grad, mode);
            }
        }
        return count == 0 ? 0 : sum / (3.0 * count);
    }

    /// <summary>
    /// Mask BCE: mean over rays of −(m·log o + (1 − m)·log(1 − o)) with o = clamp(opacity, 1e-3, 1 − 1e-3);
    /// opacity, mask, gradient: [R, 1].
    /// </summary>
    public static double MaskBce(DeviceMatrix<T> opacity, DeviceMatrix<T> mask, DeviceMatrix<T> gradient, T scale,
        GradientMode mode = GradientMode.Overwrite)
    {
        Check(opacity, "opacity", 1);
        Check(mask, "mask", 1, opacity.Rows);
        return Bce(opacity, mask.AsSpan(), gradient, scale, mode, opaque: false);
    }

    /// <summary>
    /// instant-nsr-pl's "opaque" term: BCE(o, o) with o = clamp(opacity, 1e-3, 1 − 1e-3) as its own (undetached)
    /// target, i.e. the binary entropy of o, pushing opacities to 0 or 1; opacity, gradient: [R, 1].
    /// </summary>
    public static double Opaque(DeviceMatrix<T> opacity, DeviceMatrix<T> gradient, T scale, GradientMode mode = GradientMode.Overwrite)
    {
        Check(opacity, "opacity", 1);
        return Bce(opacity, default, gradient, scale, mode, opaque: true);
    }

    static double Bce(DeviceMatrix<T> opacity, ReadOnlySpan<T> mask, DeviceMatrix<T> gradient, T scale, GradientMode mode, bool opaque)
    {
        CheckGradient(gradient, mode, 1, opacity.Rows);
        int rays = opacity.Rows;
        if (rays == 0) return 0;
        ReadOnlySpan<T> a = opacity.AsSpan();
        Span<T> g = mode == GradientMode.Ignore ? default : gradient.AsSpan();
        T lo = T.CreateChecked(OpacityClamp), hi = T.One - lo, perRay = scale / T.CreateChecked(rays);
        double sum = 0;
        for (int r = 0; r < rays; r++)
        {
            T o = T.Clamp(a[r], lo, hi);
            T m = opaque ? o : mask[r];
            T logO = T.Log(o), log1mO = T.Log(T.One - o);
            sum -= double.CreateChecked(m * logO + (T.One - m) * log1mO);
            // d/do of −(m log o + (1 − m) log(1 − o)) = (1 − m)/(1 − o) − m/o; with m = o also −log o + log(1 − o).
            T d = (T.One - m) / (T.One - o) - m / o;
            if (opaque) d += log1mO - logO;
            bool inside = a[r] >= lo && a[r] <= hi;
            if (!g.IsEmpty) Write(g, r, inside ? d * perRay : T.Zero, mode);
        }
        return sum / rays;
    }

    /// <summary>Eikonal: mean over samples of (‖∇f‖ − 1)²; gradient (the SDF gradients ∇f): [S, 3] → [S, 3].</summary>
    public static double Eikonal(ColumnRange<T> sdfGradient, ColumnRange<T> dLdSdfGradient, T scale, GradientMode mode = GradientMode.Accumulate)
    {
        CheckColumns(sdfGradient, "sdf gradient", 3);
        int n = sdfGradient.Rows;
        if (mode != GradientMode.Ignore) { CheckColumns(dLdSdfGradient, "dL/dsdf_gradient", 3); CheckRows(dLdSdfGradient.Rows, n, "dL/dsdf_gradient"); }
        if (n == 0) return 0;
        ReadOnlySpan<T> x = sdfGradient.HostSpan();
        Span<T> g = mode == GradientMode.Ignore ? default : dLdSdfGradient.HostSpan();
        int xs = sdfGradient.Stride, gs = mode == GradientMode.Ignore ? 0 : dLdSdfGradient.Stride;
        T perSample = T.CreateChecked(2) * scale / T.CreateChecked(n);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            T gx = x[s * xs], gy = x[s * xs + 1], gz = x[s * xs + 2];
            T norm = T.Sqrt(gx * gx + gy * gy + gz * gz), e = norm - T.One;
            sum += double.CreateChecked(e * e);
            if (g.IsEmpty) continue;
            // d/dg (‖g‖ − 1)² = 2(‖g‖ − 1)·g/‖g‖ (0 at g = 0, as PyTorch's norm backward).
            T k = norm > T.Zero ? perSample * e / norm : T.Zero;
            Write(g, s * gs, k * gx, mode); Write(g, s * gs + 1, k * gy, mode); Write(g, s * gs + 2, k * gz, mode);
        }
        return sum / n;
    }

    /// <summary>Sparsity: mean over samples of exp(−sparsityScale·|f|); sdf, gradient: [S, 1].</summary>
    public static double Sparsity(ColumnRange<T> sdf, ColumnRange<T> dLdSdf, T sparsityScale, T scale, GradientMode mode = GradientMode.Accumulate)
    {
        CheckColumns(sdf, "sdf", 1);
        int n = sdf.Rows;
        if (mode != GradientMode.Ignore) { CheckColumns(dLdSdf, "dL/dsdf", 1); CheckRows(dLdSdf.Rows, n, "dL/dsdf"); }
        if (n == 0) return 0;
        ReadOnlySpan<T> f = sdf.HostSpan();
        Span<T> g = mode == GradientMode.Ignore ? default : dLdSdf.HostSpan();
        int fs = sdf.Stride, gs = mode == GradientMode.Ignore ? 0 : dLdSdf.Stride;
        T perSample = scale / T.CreateChecked(n);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            T v = f[s * fs], e = T.Exp(-sparsityScale * T.Abs(v));
            sum += double.CreateChecked(e);
            if (g.IsEmpty) continue;
            T sign = v > T.Zero ? T.One : v < T.Zero ? -T.One : T.Zero;
            Write(g, s * gs, -sparsityScale * sign * e * perSample, mode);
        }
        return sum / n;
    }

    /// <summary>
    /// Curvature hook: mean over samples of |Δf| for Laplacians the SDF network provides (finite differences);
    /// laplacian, gradient: [S, 1]. The network carries the gradient on to its parameters.
    /// </summary>
    public static double Curvature(ColumnRange<T> laplacian, ColumnRange<T> dLdLaplacian, T scale, GradientMode mode = GradientMode.Overwrite)
    {
        CheckColumns(laplacian, "laplacian", 1);
        int n = laplacian.Rows;
        if (mode != GradientMode.Ignore) { CheckColumns(dLdLaplacian, "dL/dlaplacian", 1); CheckRows(dLdLaplacian.Rows, n, "dL/dlaplacian"); }
        if (n == 0) return 0;
        ReadOnlySpan<T> f = laplacian.HostSpan();
        Span<T> g = mode == GradientMode.Ignore ? default : dLdLaplacian.HostSpan();
        int fs = laplacian.Stride, gs = mode == GradientMode.Ignore ? 0 : dLdLaplacian.Stride;
        T perSample = scale / T.CreateChecked(n);
        double sum = 0;
        for (int s = 0; s < n; s++)
        {
            T v = f[s * fs];
            sum += double.CreateChecked(T.Abs(v));
            if (!g.IsEmpty) Write(g, s * gs, (v > T.Zero ? perSample : v < T.Zero ? -perSample : T.Zero), mode);
        }
        return sum / n;
    }

    static void Write(Span<T> g, int i, T value, GradientMode mode)
    {
        if (mode == GradientMode.Accumulate) g[i] += value;
        else g[i] = value;
    }

    static void Check(DeviceMatrix<T> m, string what, int cols, int rows = -1)
    {
        if (m.IsNull || m.Cols != cols || (rows >= 0 && m.Rows != rows))
            throw new ArgumentException($"neus loss: {what} is {(m.IsNull ? "a null matrix" : m.ToString())}, expected [{(rows >= 0 ? rows.ToString(System.Globalization.CultureInfo.InvariantCulture) : "R")}, {cols}]");
        RequireCpu(m.Backend);
    }

    static void CheckGradient(DeviceMatrix<T> m, GradientMode mode, int cols, int rows)
    {
        if (mode == GradientMode.Ignore) return;
        if (mode is not (GradientMode.Overwrite or GradientMode.Accumulate)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "neus loss: unknown gradient mode");
        Check(m, "gradient", cols, rows);
    }

    static void CheckColumns(ColumnRange<T> m, string what, int cols)
    {
        if (m.IsNull) throw new ArgumentException($"neus loss: {what} is a null matrix");
        if (m.Count != cols) throw new ArgumentException($"neus loss: {what} has {m.Count} columns, expected {cols}");
        RequireCpu(m.Matrix.Backend);
    }

    static void CheckRows(int rows, int expected, string what)
    {
        if (rows != expected) throw new ArgumentException($"neus loss: {what} has {rows} rows, the input {expected}");
    }

    static void RequireCpu(Backend backend)
    {
        if (backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"neus loss: no kernel for the {backend.Kind} backend yet (CPU only)");
    }
}
