using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn.Encodings;

namespace NgpSharp.Nn.Sdf;

/// <summary>
/// The NeuS geometry network of instant-nsr-pl (models/geometry.py, VolumeSDF): a world position x ∈ [−r, r]³ is
/// mapped to u = (x + r)/(2r) ∈ [0, 1]³, encoded by a multiresolution hash grid h(u) (optionally a progressive band of
/// levels), concatenated after x/r (include_xyz), and fed to an MLP with biases: z [3 + L·F] → a = W₁z + b₁ [n] →
/// softplus_β(a) → W₂·+ b₂ [feature_dim]. Output column 0 is the sdf; all feature_dim columns are the features
/// instant-nsr-pl hands to the colour network (its feature = the whole output, sdf included).
/// Also gives ∇ₓsdf [N, 3]: analytically in the same pass (through the MLP and the grid), or by central differences.
/// </summary>
/// <remarks>
/// Parameters (one flat span): the MLP first — V₁ [n, in], (weight norm: g₁ [n]), b₁ [n], V₂ [F, n], (g₂ [F]), b₂ [F] —
/// then the grid's tables. With weight norm a row of W is g·v/‖v‖ (torch.nn.utils.weight_norm, dim 0).
/// Positions are inputs, not trained: Backward computes no dL/dx.
/// CPU: generic T (float for work, double for finite-difference tests), passes in SdfNetwork.Cpu.cs. CUDA: T = float
/// only, passes in SdfNetwork.Cuda.cs (kernels SdfNetwork.cu, the grid's HashGrid.cu and HashGridJacobian.cu).
/// Not thread-safe (module scratch).
/// </remarks>
public sealed partial class SdfNetwork<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly int _in, _hidden, _out, _xyz;
    readonly long _mlpParams;
    int _step;

    /// <summary>A network with the given settings (validated; bad values raise ArgumentException naming the setting).</summary>
    public SdfNetwork(Backend backend, SdfNetworkSettings settings)
    {
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        Settings = settings ?? throw new ArgumentNullException(nameof(settings));
        if (backend.Kind == BackendKind.Cuda && typeof(T) != typeof(float))
            throw new NotSupportedException($"CUDA kernels run in float; use SdfNetwork<float> (got SdfNetwork<{typeof(T).Name}>)");
        if (!(settings.Radius > 0)) throw new ArgumentOutOfRangeException(nameof(settings), settings.Radius, "Radius must be > 0");
        if (settings.FeatureDim < 1) throw new ArgumentOutOfRangeException(nameof(settings), settings.FeatureDim, "FeatureDim must be ≥ 1");
        if (settings.Neurons < 1) throw new ArgumentOutOfRangeException(nameof(settings), settings.Neurons, "Neurons must be ≥ 1");
        if (settings.HiddenLayers != 1) throw new ArgumentOutOfRangeException(nameof(settings), settings.HiddenLayers, "only 1 hidden layer is implemented");
        if (!(settings.SoftplusBeta > 0)) throw new ArgumentOutOfRangeException(nameof(settings), settings.SoftplusBeta, "SoftplusBeta must be > 0");
        if (settings.FiniteDifferenceEps is { } e && !(e > 0)) throw new ArgumentOutOfRangeException(nameof(settings), e, "FiniteDifferenceEps must be > 0 (or null: progressive)");
        if (settings.FiniteDifferenceEps is null && !settings.ProgressiveBand)
            throw new ArgumentException("a progressive finite-difference step needs the progressive band (ProgressiveBand)", nameof(settings));
        Grid = new HashGrid<T>(backend, 3, settings.NLevels, settings.FeaturesPerLevel, settings.Log2HashmapSize,
            settings.BaseResolution, settings.PerLevelScale);
        if (settings.ProgressiveBand && (settings.StartLevel < 1 || settings.StartLevel > settings.NLevels || settings.UpdateSteps < 1))
            throw new ArgumentOutOfRangeException(nameof(settings), "StartLevel must be in 1..NLevels and UpdateSteps ≥ 1");
        _xyz = settings.IncludeXyz ? 3 : 0;
        _in = _xyz + Grid.OutputWidth;
        _hidden = settings.Neurons;
        _out = settings.FeatureDim;
        int norms = settings.WeightNorm ? 1 : 0;
        _mlpParams = (long)_hidden * _in + (1 + norms) * _hidden + (long)_out * _hidden + (1 + norms) * _out;
        UpdateStep(0);
    }

    /// <summary>From instant-nsr-pl's model.geometry block (see <see cref="SdfNetworkSettings.FromJson"/>).</summary>
    public static SdfNetwork<T> FromJson(Backend backend, JsonConfig geometry) => new(backend, SdfNetworkSettings.FromJson(geometry));

    public Backend Backend { get; }
    public SdfNetworkSettings Settings { get; }
    /// <summary>The position encoding (its ActiveLevels follow <see cref="UpdateStep"/>).</summary>
    public HashGrid<T> Grid { get; }
    /// <summary>Columns of the output: sdf + features (feature_dim).</summary>
    public int OutputWidth => _out;
    /// <summary>Width of the MLP input z: 3 (include_xyz) + L·F.</summary>
    public int MlpInputWidth => _in;
    public long ParamCount => _mlpParams + Grid.ParamCount;
    /// <summary>Parameters of the MLP (first in the flat span).</summary>
    public long MlpParamCount => _mlpParams;
    /// <summary>Index of the grid's first parameter.</summary>
    public long GridParamOffset => _mlpParams;
    public DeviceSpan<T> Params { get; private set; }
    public DeviceSpan<T> Gradients { get; private set; }

    /// <summary>The training step last given to <see cref="UpdateStep"/>.</summary>
    public int Step => _step;

    /// <summary>
    /// Schedules (instant-nsr-pl's update_step): with the progressive band, active levels =
    /// min(start_level + max(step − start_step, 0) / update_steps, n_levels); otherwise all levels.
    /// </summary>
    public void UpdateStep(int step)
    {
        if (step < 0) throw new ArgumentOutOfRangeException(nameof(step), step, "step must be ≥ 0");
        _step = step;
        var s = Settings;
        Grid.ActiveLevels = s.ProgressiveBand
            ? (int)Math.Min(s.StartLevel + (long)Math.Max(step - s.StartStep, 0) / s.UpdateSteps, s.NLevels)
            : s.NLevels;
    }

    /// <summary>
    /// The finite-difference step: the configured one, or ("progressive") 2r / (N_min · b^(active − 1)), the finest
    /// active cell size in world units (instant-nsr-pl's grid_size).
    /// </summary>
    public double FiniteDifferenceStep => Settings.FiniteDifferenceEps
        ?? 2 * Settings.Radius / (Settings.BaseResolution * Math.Pow(Settings.PerLevelScale, Grid.ActiveLevels - 1));

    /// <summary>Points the network (MLP and grid) at its slices of the flat parameter and gradient buffers ([ParamCount] each).</summary>
    public void SetParams(DeviceSpan<T> parameters, DeviceSpan<T> gradients)
    {
        if (parameters.Length != ParamCount || gradients.Length != ParamCount)
            throw new ArgumentException($"SdfNetwork has {ParamCount} parameters; got views of {parameters.Length} and {gradients.Length}");
        Params = parameters;
        Gradients = gradients;
        Grid.SetParams(parameters.Slice(_mlpParams, Grid.ParamCount), gradients.Slice(_mlpParams, Grid.ParamCount));
    }

    /// <summary>
    /// Initial values ([ParamCount]). Sphere init (instant-nsr-pl's VanillaMLP): first layer N(0, √2/√n) on its first
    /// 3 input columns and 0 on the rest, bias 0; last layer N(√π/√n, 10⁻⁴), bias −sphere_init_radius — the sdf of a
    /// sphere of that radius. Otherwise Kaiming-uniform (±√(6/fan_in)) and zero biases. Weight norm: g = ‖v_row‖, so
    /// W = v at the start. Grid: uniform ±10⁻⁴. Drawn from <paramref name="rng"/> in parameter order.
    /// </summary>
    public void InitializeParams(ref Rng rng, DeviceSpan<T> parameters)
    {
        if (parameters.Length != ParamCount) throw new ArgumentException($"SdfNetwork has {ParamCount} parameters; got a view of {parameters.Length}");
        var p = new T[_mlpParams];   // drawn on the host, then copied (the span may live on a device)
        var layout = Layout;
        var s = Settings;
        for (int layer = 0; layer < 2; layer++)
        {
            bool last = layer == 1;
            int fanIn = last ? _hidden : _in, fanOut = last ? _out : _hidden;
            var v = p.AsSpan((int)(last ? layout.V2 : layout.V1), fanOut * fanIn);
            for (int o = 0; o < fanOut; o++)
                for (int i = 0; i < fanIn; i++)
                {
                    double value;
                    if (!s.SphereInit) value = (rng.NextDouble() * 2 - 1) * Math.Sqrt(6.0 / fanIn);
                    else if (last) value = Math.Sqrt(Math.PI) / Math.Sqrt(fanIn) + 1e-4 * Normal(ref rng);
                    else value = i < 3 ? Math.Sqrt(2) / Math.Sqrt(fanOut) * Normal(ref rng) : 0;
                    v[o * fanIn + i] = T.CreateChecked(value);
                }
            var b = p.AsSpan((int)(last ? layout.B2 : layout.B1), fanOut);
            b.Fill(last && s.SphereInit ? T.CreateChecked(-s.SphereInitRadius) : T.Zero);
            if (s.WeightNorm)
            {
                var g = p.AsSpan((int)(last ? layout.G2 : layout.G1), fanOut);
                for (int o = 0; o < fanOut; o++) g[o] = RowNorm(v.Slice(o * fanIn, fanIn));
            }
        }
        Backend.CopyFromHost<T>(p, parameters.Slice(0, _mlpParams));
        Grid.InitializeParams(ref rng, parameters.Slice(_mlpParams, Grid.ParamCount));
    }

    static double Normal(ref Rng rng)
    {
        double u1 = 1 - rng.NextDouble(), u2 = rng.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    static T RowNorm(ReadOnlySpan<T> row)
    {
        T sum = T.Zero;
        foreach (var x in row) sum += x * x;
        return T.Sqrt(sum);
    }

    /// <summary>Offsets of the MLP's parameter blocks (G1/G2 are −1 without weight norm).</summary>
    internal readonly record struct ParamLayout(long V1, long G1, long B1, long V2, long G2, long B2);

    internal ParamLayout Layout
    {
        get
        {
            bool wn = Settings.WeightNorm;
            long v1 = 0, g1 = v1 + (long)_hidden * _in, b1 = g1 + (wn ? _hidden : 0), v2 = b1 + _hidden;
            long g2 = v2 + (long)_out * _hidden, b2 = g2 + (wn ? _out : 0);
            return new ParamLayout(v1, wn ? g1 : -1, b1, v2, wn ? g2 : -1, b2);
        }
    }

    /// <summary>
    /// output = [sdf, features] and, when <paramref name="gradient"/> is given, ∇ₓsdf per <see cref="SdfNetworkSettings.GradType"/>.
    /// positions: [N, 3] world coordinates; output: [N, OutputWidth]; gradient: [N, 3] or null.
    /// </summary>
    /// <returns>What Backward needs; dispose it after Backward (or at once when <paramref name="prepareBackward"/> is false).</returns>
    public ForwardContext Forward(DeviceMatrix<T> positions, DeviceMatrix<T> output, DeviceMatrix<T>? gradient = null, bool prepareBackward = true)
    {
        CheckRows(positions, positions.Rows, 3, "positions");
        CheckRows(output, positions.Rows, _out, "output");
        if (gradient is { } g) CheckRows(g, positions.Rows, 3, "gradient");
        if (Params.IsEmpty) throw new InvalidOperationException("SdfNetwork.Forward: SetParams has not been called");
        return Backend.Kind == BackendKind.Cuda
            ? ForwardCuda(positions, output, gradient, prepareBackward)
            : ForwardCpu(positions, output, gradient, prepareBackward);
    }

    /// <summary>Forward without keeping anything for a backward pass (shapes as <see cref="Forward"/>).</summary>
    public void Inference(DeviceMatrix<T> positions, DeviceMatrix<T> output, DeviceMatrix<T>? gradient = null)
    {
        using var ctx = Forward(positions, output, gradient, prepareBackward: false);
    }

    /// <summary>
    /// dL/dθ into <see cref="Gradients"/> (per <paramref name="paramGradients"/>) for a loss of the outputs and of the
    /// gradient. dLdOutput: [N, OutputWidth] (column 0: dL/dsdf); dLdGradient: [N, 3] dL/d(∇ₓsdf) or null (no loss on
    /// the gradient, e.g. no eikonal term). For analytic gradients the dLdGradient path is the double backward: through
    /// the MLP's input gradient (Hessian-vector products, softplus'') and through the grid's Jacobian, which is linear in
    /// the grid's parameters. Positions are not trained: no dL/dx.
    /// </summary>
    public void Backward(ForwardContext ctx, DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdGradient = null,
        GradientMode paramGradients = GradientMode.Overwrite)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (ctx.IsDisposed) throw new ObjectDisposedException(nameof(ctx), "Backward needs the context of its Forward, not disposed yet");
        var (owner, points, hasGradient) = ctx switch
        {
            Context c => (c.Owner, c.Points, c.HasGradient),
            CudaContext c => (c.Owner, c.Points, c.HasGradient),
            _ => (null, 0, false),
        };
        if (!ReferenceEquals(owner, this))
            throw new ArgumentException("SdfNetwork.Backward needs the context of this network's Forward with prepareBackward: true", nameof(ctx));
        CheckRows(dLdOutput, points, _out, "dLdOutput");
        if (dLdGradient is { } dg)
        {
            CheckRows(dg, points, 3, "dLdGradient");
            if (!hasGradient) throw new ArgumentException("SdfNetwork.Backward: dLdGradient given but Forward computed no gradient", nameof(dLdGradient));
        }
        if (paramGradients == GradientMode.Ignore) return;
        if (Gradients.IsEmpty) throw new InvalidOperationException("SdfNetwork.Backward: SetParams has not been called");
        if (ctx is CudaContext cudaContext) BackwardCuda(cudaContext, dLdOutput, dLdGradient, paramGradients);
        else BackwardCpu((Context)ctx, dLdOutput, dLdGradient, paramGradients);
    }

    void CheckRows(DeviceMatrix<T> m, int rows, int cols, string name)
    {
        if (m.IsNull) throw new ArgumentException($"SdfNetwork: {name} is a null matrix");
        if (m.Rows != rows || m.Cols != cols) throw new ArgumentException($"SdfNetwork: {name} is {m}, expected [{rows}, {cols}]");
        if (!ReferenceEquals(m.Backend, Backend)) throw new ArgumentException($"SdfNetwork: {name} lives on another backend ({m.Backend.Kind})");
    }

    public void Dispose() => Grid.Dispose();
}
