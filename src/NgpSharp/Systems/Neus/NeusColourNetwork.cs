using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;
using NgpSharp.Nn.Networks;

namespace NgpSharp.Systems.Neus;

/// <summary>
/// instant-nsr-pl's volume-radiance texture: rgb = sigmoid(MLP([geometry features, n̂, SH4(view dir)])) with
/// n̂ = ∇f/‖∇f‖. The input row is [F features | 3 normal | 16 SH] (32 columns for feature_dim 13), so no padding is
/// needed; the MLP is ours (tiny-cuda-nn style, no biases — SH's constant band acts as one).
/// Backward hands dL/dfeatures and dL/d∇f (through the normalisation) back to the geometry.
/// </summary>
public sealed partial class NeusColourNetwork<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly SphericalHarmonics<T> _sh;
    DeviceBuffer<T>? _input, _dirs, _shRows;

    public NeusColourNetwork(Backend backend, int featureDim, JsonObject? texture)
    {
        var cfg = JsonConfig.From(texture ?? new JsonObject(), "model.texture");
        var dirCfg = cfg.OptionalObject("dir_encoding_config") ?? JsonConfig.From(new JsonObject(), "model.texture.dir_encoding_config");
        int degree = dirCfg.Int("degree", 4);
        if (degree != 4) throw dirCfg.Error("degree", $"only degree 4 is supported (got {degree})");
        var mlpCfg = cfg.OptionalObject("mlp_network_config") ?? JsonConfig.From(new JsonObject(), "model.texture.mlp_network_config");
        FeatureDim = featureDim;
        _sh = SphericalHarmonics<T>.FromJson(backend, 3, JsonConfig.From(new JsonObject { ["otype"] = "SphericalHarmonics", ["degree"] = 4 }, "model.texture.dir_encoding_config"));
        InputWidth = featureDim + 3 + _sh.OutputWidth;
        Mlp = new Mlp<T>(backend, InputWidth, 3, mlpCfg.Int("n_neurons", 64), mlpCfg.Int("n_hidden_layers", 2),
            Activation.ReLU, Activation.Sigmoid, "MLP");
        Backend = backend;
    }

    public Backend Backend { get; }
    public Mlp<T> Mlp { get; }
    public int FeatureDim { get; }
    /// <summary>Columns of the MLP input: features, normal, SH.</summary>
    public int InputWidth { get; }
    public long ParamCount => Mlp.ParamCount;

    /// <summary>Builds the MLP input rows. features: [S, ≥F] (first F columns), gradient: [S, 3], directions: per ray [R, 3] with rayIndices [S].</summary>
    public DeviceMatrix<T> BuildInput(DeviceMatrix<T> features, DeviceMatrix<T> gradient, ReadOnlySpan<float> directions, ReadOnlySpan<int> rayIndices, int samples, int rows)
    {
        var input = Scratch(ref _input, (long)rows * InputWidth).AsMatrix(rows, InputWidth);
        var x = input.AsSpan();
        x.Clear();
        var dirs = Scratch(ref _dirs, 3L * rows).AsMatrix(rows, 3);
        var d01 = dirs.AsSpan();
        d01.Clear();
        ReadOnlySpan<T> f = features.AsSpan(), g = gradient.AsSpan();
        int fc = features.Cols, w = InputWidth, fd = FeatureDim;
        for (int s = 0; s < samples; s++)
        {
            f.Slice(s * fc, fd).CopyTo(x.Slice(s * w, fd));
            T gx = g[3 * s], gy = g[3 * s + 1], gz = g[3 * s + 2];
            T inv = T.One / T.Max(T.Sqrt(gx * gx + gy * gy + gz * gz), T.CreateChecked(1e-12));
            x[s * w + fd] = gx * inv; x[s * w + fd + 1] = gy * inv; x[s * w + fd + 2] = gz * inv;
            int r = rayIndices[s];
            T half = T.CreateChecked(0.5);
            for (int k = 0; k < 3; k++) d01[3 * s + k] = (T.CreateChecked(directions[3 * r + k]) + T.One) * half;
        }
        var sh = Scratch(ref _shRows, (long)_sh.OutputWidth * rows).AsMatrix(rows, _sh.OutputWidth);
        _sh.Inference(dirs, sh);
        ReadOnlySpan<T> shv = sh.AsSpan();
        int so = fd + 3, sw = _sh.OutputWidth;
        for (int s = 0; s < samples; s++) shv.Slice(s * sw, sw).CopyTo(x.Slice(s * w + so, sw));
        return input;
    }

    DeviceSpan<T> Scratch(ref DeviceBuffer<T>? buffer, long n)
    {
        if (buffer is null || buffer.Length < n)
        {
            long size = Math.Max(Math.Max(n, 1), (buffer?.Length ?? 0) * 3 / 2);
            buffer?.Dispose();
            buffer = Backend.Allocate<T>(size);
        }
        return buffer.All.Slice(0, n);
    }

    /// <summary>
    /// Splits dL/dinput [S, InputWidth] into the geometry's gradients: adds dL/dfeatures into columns 0..F−1 of
    /// <paramref name="dLdFeatures"/> and dL/d∇f = (I − n̂n̂ᵀ)·dL/dn̂ / ‖∇f‖ into <paramref name="dLdGradient"/>.
    /// </summary>
    public void AccumulateGeometryGradients(DeviceMatrix<T> dLdInput, DeviceMatrix<T> gradient, DeviceMatrix<T> dLdFeatures, DeviceMatrix<T> dLdGradient, int samples)
    {
        if (Backend.Kind == BackendKind.Cuda)
        {
            AccumulateGeometryGradientsCuda(dLdInput, gradient, dLdFeatures, dLdGradient, samples);
            return;
        }
        ReadOnlySpan<T> di = dLdInput.AsSpan(), g = gradient.AsSpan();
        Span<T> df = dLdFeatures.AsSpan(), dg = dLdGradient.AsSpan();
        int w = InputWidth, fd = FeatureDim, fc = dLdFeatures.Cols;
        for (int s = 0; s < samples; s++)
        {
            for (int k = 0; k < fd; k++) df[s * fc + k] += di[s * w + k];
            NormalizeBackward(g.Slice(3 * s, 3), di.Slice(s * w + fd, 3), dg.Slice(3 * s, 3));
        }
    }

    /// <summary>dL/dg += (dL/dn̂ − n̂⟨n̂, dL/dn̂⟩)/‖g‖ for n̂ = g/max(‖g‖, 1e-12) (g, dn, dg: 3 each).</summary>
    public static void NormalizeBackward(ReadOnlySpan<T> g, ReadOnlySpan<T> dn, Span<T> dg)
    {
        T len = T.Sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
        if (len <= T.CreateChecked(1e-12))
        {
            T inv0 = T.CreateChecked(1e12);
            for (int k = 0; k < 3; k++) dg[k] += dn[k] * inv0;
            return;
        }
        T inv = T.One / len;
        T nx = g[0] * inv, ny = g[1] * inv, nz = g[2] * inv;
        T dot = nx * dn[0] + ny * dn[1] + nz * dn[2];
        dg[0] += (dn[0] - nx * dot) * inv;
        dg[1] += (dn[1] - ny * dot) * inv;
        dg[2] += (dn[2] - nz * dot) * inv;
    }

    public void Dispose()
    {
        Mlp.Dispose(); _sh.Dispose();
        _input?.Dispose(); _dirs?.Dispose(); _shRows?.Dispose();
    }
}
