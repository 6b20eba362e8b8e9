using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Nn.Losses;

namespace NgpSharp.Rendering;

/// <summary>How random training backgrounds are drawn: instant-ngp draws one per ray, nerfacc one per batch.</summary>
public enum BackgroundSampling { PerRay, PerBatch }

/// <summary>
/// NeRF training targets and the photometric loss: RGBA pixels composited on the ray's background, instant-ngp's
/// Huber loss (δ = 0.1, divided by 5) on sRGB colours, and PSNR of a batch.
/// </summary>
public sealed class NerfLoss<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>instant-ngp divides its Huber loss by 5 (so that it matches L2 near 0 together with δ = 0.1).</summary>
    public const double DefaultScale = 0.2;

    DeviceBuffer<T>? _values;
    Compute.Cuda.CudaReductions? _reductions;

    public NerfLoss(Backend backend, double delta = HuberLoss<T>.DefaultDelta, double scale = DefaultScale)
    {
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Huber = new HuberLoss<T>(delta, scale);
    }

    public Backend Backend { get; }

    /// <summary>The elementwise loss used (the shared tiny-cuda-nn-style Huber, not a copy).</summary>
    public HuberLoss<T> Huber { get; }

    /// <summary>
    /// prediction, target, gradients: [R, 3] sRGB colours. Writes gradients = lossScale·∂L/∂prediction for
    /// L = mean over the R·3 elements of the Huber loss, and returns L (summed in tile-independent order).
    /// </summary>
    public double Evaluate(T lossScale, DeviceMatrix<T> prediction, DeviceMatrix<T> target, DeviceMatrix<T> gradients)
    {
        CheckColours(prediction, "prediction");
        if (prediction.Rows == 0) return 0;
        long n = (long)prediction.Rows * 3;
        if (_values is null || _values.Length < n)
        {
            _values?.Dispose();
            _values = Backend.Allocate<T>(Math.Max(n, (_values?.Length ?? 0) * 3 / 2));
        }
        var values = _values.All.Slice(0, n).AsMatrix(prediction.Rows, 3);
        Huber.Evaluate(lossScale, prediction, target, values, gradients);
        // On CUDA the values are summed on the device in double (Reductions.cu): only the sum comes back.
        if (values.Backend is Compute.Cuda.CudaBackend cuda && typeof(T) == typeof(float))
        {
            _reductions ??= new Compute.Cuda.CudaReductions(cuda);
            var data = values.Data;
            return _reductions.Sum(System.Runtime.CompilerServices.Unsafe.As<DeviceSpan<T>, DeviceSpan<float>>(ref data));
        }
        ReadOnlySpan<T> host = values.Backend.Kind == BackendKind.Cpu ? values.AsSpan() : values.Backend.ToArray(values.Data);
        double sum = 0;
        foreach (T v in host) sum += double.CreateChecked(v);
        return sum;
    }

    /// <summary>
    /// target: [R, 3] = rgb·α + bg·(1 − α) from straight-alpha pixels rgba: [R, 4] (nerf_synthetic's RGBA PNGs).
    /// </summary>
    public static void CompositeOnBackground(DeviceMatrix<T> rgba, RayBackground<T> background, DeviceMatrix<T> target)
    {
        if (rgba.IsNull || rgba.Cols != 4) throw new ArgumentException($"nerf loss: rgba is {rgba}, expected [R, 4]");
        CheckColours(target, "target");
        if (target.Rows != rgba.Rows) throw new ArgumentException($"nerf loss: target is {target}, rgba is {rgba}");
        RequireCpu(rgba.Backend);
        background.CheckShape(rgba.Rows);
        Span<T> scratch = stackalloc T[3];
        ReadOnlySpan<T> bg = background.HostView(scratch, out int bgStride);
        ReadOnlySpan<T> src = rgba.AsSpan();
        Span<T> dst = target.AsSpan();
        for (int r = 0; r < rgba.Rows; r++)
        {
            T a = src[4 * r + 3];
            for (int c = 0; c < 3; c++) dst[3 * r + c] = src[4 * r + c] * a + bg[r * bgStride + c] * (T.One - a);
        }
    }

    /// <summary>
    /// Fills colours: [R, 3] with uniform [0, 1) values from <paramref name="rng"/> (pcg32 next_float): per ray
    /// 3 draws in ray order, or per batch 3 draws copied to every ray. Advances rng by the draws made.
    /// </summary>
    public static void DrawRandomBackgrounds(ref Rng rng, DeviceMatrix<T> colours, BackgroundSampling sampling)
    {
        CheckColours(colours, "background colours");
        RequireCpu(colours.Backend);
        Span<T> dst = colours.AsSpan();
        if (sampling == BackgroundSampling.PerBatch)
        {
            T r = T.CreateChecked(rng.NextFloat()), g = T.CreateChecked(rng.NextFloat()), b = T.CreateChecked(rng.NextFloat());
            for (int i = 0; i < colours.Rows; i++) { dst[3 * i] = r; dst[3 * i + 1] = g; dst[3 * i + 2] = b; }
            return;
        }
        if (sampling != BackgroundSampling.PerRay) throw new ArgumentOutOfRangeException(nameof(sampling), sampling, "nerf loss: unknown background sampling");
        for (int i = 0; i < dst.Length; i++) dst[i] = T.CreateChecked(rng.NextFloat());
    }

    /// <summary>
    /// PSNR in dB of prediction vs target ([R, C] each, values in [0, 1]): −10·log10(MSE); +∞ when equal.
    /// On CUDA both are copied to the host (R·C floats each) and reduced there.
    /// </summary>
    public static double Psnr(DeviceMatrix<T> prediction, DeviceMatrix<T> target)
    {
        if (prediction.IsNull || target.IsNull || prediction.Rows != target.Rows || prediction.Cols != target.Cols)
            throw new ArgumentException($"nerf loss: PSNR of {prediction} against {target}");
        if (prediction.Backend.Kind != target.Backend.Kind) throw new ArgumentException("nerf loss: PSNR of matrices on different backends");
        bool cpu = prediction.Backend.Kind == BackendKind.Cpu;
        ReadOnlySpan<T> p = cpu ? prediction.AsSpan() : prediction.Backend.ToArray(prediction.Data);
        ReadOnlySpan<T> t = cpu ? target.AsSpan() : target.Backend.ToArray(target.Data);
        if (p.Length == 0) throw new ArgumentException("nerf loss: PSNR of an empty batch");
        double sum = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double d = double.CreateChecked(p[i]) - double.CreateChecked(t[i]);
            sum += d * d;
        }
        double mse = sum / p.Length;
        return mse <= 0 ? double.PositiveInfinity : -10.0 * Math.Log10(mse);
    }

    public void Dispose()
    {
        _values?.Dispose();
        _values = null;
        _reductions?.Dispose();
        _reductions = null;
    }

    static void CheckColours(DeviceMatrix<T> m, string what)
    {
        if (m.IsNull || m.Cols != 3) throw new ArgumentException($"nerf loss: {what} is {m}, expected [R, 3]");
    }

    static void RequireCpu(Backend backend)
    {
        if (backend.Kind != BackendKind.Cpu) throw new NotSupportedException($"nerf loss: no kernel for the {backend.Kind} backend yet");
    }
}
