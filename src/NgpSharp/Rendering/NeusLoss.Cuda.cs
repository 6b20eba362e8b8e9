using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Nn;

namespace NgpSharp.Rendering;

/// <summary>Mirrors NeusLossArgs in NeusLoss.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NeusLossArgs
{
    public ulong A, B, Values, Gradient;
    public uint N, AStride, GradientStride, Accumulate;
    public float Scale, Extra;
    public uint Flag, Padding;
}

/// <summary>
/// <see cref="NeusLoss{T}"/>'s terms on a CUDA device (NeusLoss.cu), T = float: same values and gradients (same
/// float operations per element, same unweighted means; derivatives as documented there). Each term writes its
/// per-element values to device scratch and sums them with <see cref="CudaReductions"/> (a deterministic double sum),
/// so one 16-byte result crosses to the host per term. The RGB terms use every ray (the trainer's case: the CPU
/// overloads' empty valid mask). Holds scratch; dispose it.
/// </summary>
public sealed class NeusDeviceLoss : IDisposable
{
    const uint Threads = 128;

    readonly CudaBackend _cuda;
    readonly CudaReductions _reductions;
    DeviceBuffer<float>? _values;

    public NeusDeviceLoss(CudaBackend cuda)
    {
        _cuda = cuda ?? throw new ArgumentNullException(nameof(cuda));
        _reductions = new CudaReductions(cuda);
    }

    /// <summary>mean |p − t| over all 3R channels; prediction, target, gradient: [R, 3].</summary>
    public double RgbL1(DeviceMatrix<float> prediction, DeviceMatrix<float> target, DeviceMatrix<float> gradient, float scale,
        GradientMode mode = GradientMode.Overwrite) => Rgb(prediction, target, gradient, scale, mode, squared: false);

    /// <summary>mean (p − t)² over all 3R channels; prediction, target, gradient: [R, 3].</summary>
    public double RgbMse(DeviceMatrix<float> prediction, DeviceMatrix<float> target, DeviceMatrix<float> gradient, float scale,
        GradientMode mode = GradientMode.Overwrite) => Rgb(prediction, target, gradient, scale, mode, squared: true);

    double Rgb(DeviceMatrix<float> prediction, DeviceMatrix<float> target, DeviceMatrix<float> gradient, float scale, GradientMode mode, bool squared)
    {
        Check(prediction, "prediction", 3);
        Check(target, "target", 3, prediction.Rows);
        CheckGradient(gradient, mode, 3, prediction.Rows);
        int rays = prediction.Rows;
        if (rays == 0) return 0;
        float perElement = scale / (3 * rays);
        double sum = Run("kernel_neus_loss_rgb", 3 * rays, prediction.Pointer(), target.Pointer(), gradient, mode, 0, 0, perElement, 0, squared ? 1u : 0u);
        return sum / (3.0 * rays);
    }

    /// <summary>Mask BCE of <see cref="NeusLoss{T}.MaskBce"/>; opacity, mask, gradient: [R, 1].</summary>
    public double MaskBce(DeviceMatrix<float> opacity, DeviceMatrix<float> mask, DeviceMatrix<float> gradient, float scale,
        GradientMode mode = GradientMode.Overwrite)
    {
        Check(opacity, "opacity", 1);
        Check(mask, "mask", 1, opacity.Rows);
        return Bce(opacity, mask.Pointer(), gradient, scale, mode, opaque: false);
    }

    /// <summary>The opaque term of <see cref="NeusLoss{T}.Opaque"/>; opacity, gradient: [R, 1].</summary>
    public double Opaque(DeviceMatrix<float> opacity, DeviceMatrix<float> gradient, float scale, GradientMode mode = GradientMode.Overwrite)
    {
        Check(opacity, "opacity", 1);
        return Bce(opacity, 0, gradient, scale, mode, opaque: true);
    }

    double Bce(DeviceMatrix<float> opacity, ulong mask, DeviceMatrix<float> gradient, float scale, GradientMode mode, bool opaque)
    {
        CheckGradient(gradient, mode, 1, opacity.Rows);
        int rays = opacity.Rows;
        if (rays == 0) return 0;
        float perRay = scale / rays;
        return Run("kernel_neus_loss_bce", rays, opacity.Pointer(), mask, gradient, mode, 0, 0, perRay, 0, opaque ? 1u : 0u) / rays;
    }

    /// <summary>Eikonal of <see cref="NeusLoss{T}.Eikonal"/>: ∇f [S, 3] columns → dL/d∇f [S, 3] columns.</summary>
    public double Eikonal(ColumnRange<float> sdfGradient, ColumnRange<float> dLdSdfGradient, float scale, GradientMode mode = GradientMode.Accumulate)
    {
        CheckColumns(sdfGradient, "sdf gradient", 3);
        int n = sdfGradient.Rows;
        if (mode != GradientMode.Ignore) { CheckColumns(dLdSdfGradient, "dL/dsdf_gradient", 3); CheckRows(dLdSdfGradient.Rows, n, "dL/dsdf_gradient"); }
        if (n == 0) return 0;
        float perSample = 2f * scale / n;
        return RunColumns("kernel_neus_loss_eikonal", n, sdfGradient, dLdSdfGradient, mode, perSample, 0) / n;
    }

    /// <summary>Sparsity of <see cref="NeusLoss{T}.Sparsity"/>: f [S, 1] column → dL/df [S, 1] column.</summary>
    public double Sparsity(ColumnRange<float> sdf, ColumnRange<float> dLdSdf, float sparsityScale, float scale, GradientMode mode = GradientMode.Accumulate)
    {
        CheckColumns(sdf, "sdf", 1);
        int n = sdf.Rows;
        if (mode != GradientMode.Ignore) { CheckColumns(dLdSdf, "dL/dsdf", 1); CheckRows(dLdSdf.Rows, n, "dL/dsdf"); }
        if (n == 0) return 0;
        float perSample = scale / n;
        return RunColumns("kernel_neus_loss_sparsity", n, sdf, dLdSdf, mode, perSample, sparsityScale) / n;
    }

    static ulong ColumnPointer(ColumnRange<float> c) => c.Matrix.Pointer() + (ulong)c.First * sizeof(float);

    double RunColumns(string kernel, int n, ColumnRange<float> x, ColumnRange<float> gradient, GradientMode mode, float scale, float extra)
    {
        bool ignore = mode == GradientMode.Ignore;
        return Launch(kernel, n, new NeusLossArgs
        {
            A = ColumnPointer(x), Gradient = ignore ? 0 : ColumnPointer(gradient),
            N = (uint)n, AStride = (uint)x.Stride, GradientStride = ignore ? 0 : (uint)gradient.Stride,
            Accumulate = mode == GradientMode.Accumulate ? 1u : 0u, Scale = scale, Extra = extra,
        });
    }

    double Run(string kernel, int n, ulong a, ulong b, DeviceMatrix<float> gradient, GradientMode mode, uint aStride, uint gradientStride,
        float scale, float extra, uint flag) => Launch(kernel, n, new NeusLossArgs
        {
            A = a, B = b, Gradient = mode == GradientMode.Ignore ? 0 : gradient.Pointer(), N = (uint)n, AStride = aStride, GradientStride = gradientStride,
            Accumulate = mode == GradientMode.Accumulate ? 1u : 0u, Scale = scale, Extra = extra, Flag = flag,
        });

    double Launch(string kernel, int n, NeusLossArgs args)
    {
        if (_values is null || _values.Length < n)
        {
            _values?.Dispose();
            _values = _cuda.Allocate<float>(Math.Max(n, (_values?.Length ?? 0) * 3 / 2));
        }
        var values = _values.All.Slice(0, n);
        args.Values = values.Pointer();
        _cuda.Launch(_cuda.Modules.GetFunction("NeusLoss.cu", kernel), LaunchShape.Linear(n, Threads), args);
        return _reductions.Sum(values);
    }

    void RequireDevice(Backend backend, string what)
    {
        if (!ReferenceEquals(backend, _cuda)) throw new ArgumentException($"neus device loss: {what} lives on {backend.Kind}, not on this loss's CUDA backend");
    }

    void Check(DeviceMatrix<float> m, string what, int cols, int rows = -1)
    {
        if (m.IsNull || m.Cols != cols || (rows >= 0 && m.Rows != rows))
            throw new ArgumentException($"neus device loss: {what} is {(m.IsNull ? "a null matrix" : m.ToString())}, expected [{(rows >= 0 ? rows.ToString(System.Globalization.CultureInfo.InvariantCulture) : "R")}, {cols}]");
        RequireDevice(m.Backend, what);
    }

    void CheckGradient(DeviceMatrix<float> m, GradientMode mode, int cols, int rows)
    {
        if (mode == GradientMode.Ignore) return;
        if (mode is not (GradientMode.Overwrite or GradientMode.Accumulate)) throw new ArgumentOutOfRangeException(nameof(mode), mode, "neus device loss: unknown gradient mode");
        Check(m, "gradient", cols, rows);
    }

    void CheckColumns(ColumnRange<float> m, string what, int cols)
    {
        if (m.IsNull) throw new ArgumentException($"neus device loss: {what} is a null matrix");
        if (m.Count != cols) throw new ArgumentException($"neus device loss: {what} has {m.Count} columns, expected {cols}");
        RequireDevice(m.Matrix.Backend, what);
    }

    static void CheckRows(int rows, int expected, string what)
    {
        if (rows != expected) throw new ArgumentException($"neus device loss: {what} has {rows} rows, the input {expected}");
    }

    public void Dispose()
    {
        _values?.Dispose();
        _values = null;
        _reductions.Dispose();
    }
}
