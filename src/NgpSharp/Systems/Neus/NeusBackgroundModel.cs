using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Geometry;
using NgpSharp.Nn;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

/// <summary>
/// instant-nsr-pl's learned background for NeuS (model.learned_background; models/neus.py forward_bg_): a NeRF
/// (<see cref="NerfNetwork{T}"/>: hash grid → density MLP → [features, SH(dir)] → colour MLP) over the scene box's
/// unbounded-sphere contraction (<see cref="NeusBackground.Contract"/>), sampled on each ray from where it leaves the
/// box (<see cref="NeusBackground.NearPlane"/> when it misses) to <see cref="NeusBackground.FarPlane"/> with cone
/// stepping dt = max(<see cref="NeusBackground.StepSize"/>, t·c), c = <see cref="NeusBackground.ConeAngle"/>, and
/// composited by <see cref="VolumeRenderer{T}"/> with σ = exp(raw + density_bias), rgb = sigmoid(raw) over a constant
/// colour: C_bg = Σ w_i c_i + (1 − A_bg)·colour. C_bg is the per-ray background of the NeuS renderer; its dL/dC_bg
/// comes back through <see cref="Backward"/>. No occupancy grid: every sample is evaluated.
/// </summary>
public sealed class NeusBackgroundModel<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly VolumeRenderer<T> _renderer = new();
    readonly Aabb _box;
    DeviceBuffer<T>? _input, _output, _density, _dLdOutput;
    ForwardContext? _context;
    (T R, T G, T B) _background;
    int _rows;
    float[] _jitter = [];

    /// <param name="backend">Where the scratch matrices live (the network's backend; the CPU for now).</param>
    /// <param name="radius">The scene box is [−radius, radius]³ (model.radius).</param>
    /// <param name="samplesPerRay">num_samples_per_ray_bg: sets the cone angle.</param>
    /// <param name="network">The radiance field; its parameters are set by the owner (<see cref="DifferentiableObject{T}.SetParams"/>). Owned (disposed).</param>
    /// <param name="densityBias">Added to the raw density before exp (instant-nsr-pl's density_bias, −1).</param>
    public NeusBackgroundModel(Backend backend, double radius, int samplesPerRay, NerfNetwork<T> network, double densityBias = -1)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(network);
        if (!(radius > 0) || !double.IsFinite(radius)) throw new ArgumentOutOfRangeException(nameof(radius), radius, "neus background: radius must be finite and > 0");
        if (!double.IsFinite(densityBias)) throw new ArgumentOutOfRangeException(nameof(densityBias), densityBias, "neus background: density_bias must be finite");
        Backend = backend;
        Radius = (float)radius;
        ConeAngle = NeusBackground.ConeAngle(samplesPerRay);
        MaxSamplesPerRay = 4 * samplesPerRay + 64;
        Network = network;
        DensityBias = T.CreateChecked(densityBias);
        _box = new Aabb(new Vector3(-Radius), new Vector3(Radius));
        Samples = new RaySamples(0, 0);
        Output = new VolumeRenderOutput<T>(backend);
    }

    /// <summary>
    /// The model of <paramref name="m"/>'s geometry_bg / texture_bg blocks (instant-nsr-pl's keys): geometry_bg
    /// {feature_dim (8), density_bias (−1), xyz_encoding_config (HashGrid L=16, F=2, T=2^19, N_min=32, b=1.3195),
    /// mlp_network_config {n_neurons 64, n_hidden_layers 1}}, texture_bg {dir_encoding_config (SH 4),
    /// mlp_network_config {n_neurons 64, n_hidden_layers 2}}. VanillaMLP maps to our MLP (no biases).
    /// </summary>
    /// <exception cref="ConfigException">A key has a bad value; the message names it.</exception>
    public static NeusBackgroundModel<T> Create(Backend backend, NeusModelSettings m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var geometry = JsonConfig.From((JsonObject)(m.GeometryBg?.DeepClone() ?? new JsonObject()), "model.geometry_bg");
        var texture = JsonConfig.From((JsonObject)(m.TextureBg?.DeepClone() ?? new JsonObject()), "model.texture_bg");
        int featureDim = geometry.Int("feature_dim", 8);
        if (featureDim < 1 || featureDim > 256) throw geometry.Error("feature_dim", $"must be in [1, 256] (feature 0 is the density), got {featureDim}");
        double densityBias = geometry.Double("density_bias", -1);
        if (!double.IsFinite(densityBias) || Math.Abs(densityBias) > 100) throw geometry.Error("density_bias", $"must be finite and in [−100, 100], got {densityBias}");
        var encoding = geometry.OptionalObject("xyz_encoding_config")?.Node.DeepClone() as JsonObject ?? new JsonObject
        {
            ["otype"] = "HashGrid", ["n_levels"] = 16, ["n_features_per_level"] = 2, ["log2_hashmap_size"] = 19,
            ["base_resolution"] = 32, ["per_level_scale"] = 1.3195079107728942,
        };
        var density = Mlp(geometry.OptionalObject("mlp_network_config"), "model.geometry_bg.mlp_network_config", 1);
        density["n_output_dims"] = featureDim;
        var blocks = new JsonObject
        {
            ["encoding"] = encoding,
            ["network"] = density,
            ["dir_encoding"] = texture.OptionalObject("dir_encoding_config")?.Node.DeepClone() ?? new JsonObject { ["otype"] = "SphericalHarmonics", ["degree"] = 4 },
            ["rgb_network"] = Mlp(texture.OptionalObject("mlp_network_config"), "model.texture_bg.mlp_network_config", 2),
        };
        var network = NerfNetwork<T>.FromJson(backend, 1, JsonConfig.From(blocks, "model.background"));
        return new NeusBackgroundModel<T>(backend, m.Radius, m.NumSamplesPerRayBg, network, densityBias);
    }

    /// <summary>An instant-nsr-pl mlp_network_config as a tiny-cuda-nn "network" block (VanillaMLP → MLP).</summary>
    static JsonObject Mlp(JsonConfig? config, string path, int defaultHiddenLayers)
    {
        var c = config ?? JsonConfig.From(new JsonObject(), path);
        string otype = c.String("otype", "VanillaMLP");
        string output = c.String("output_activation", "none");
        if (!string.Equals(output, "none", StringComparison.OrdinalIgnoreCase))
            throw c.Error("output_activation", $"must be none: the volume renderer applies exp and sigmoid (got \"{output}\")");
        return new JsonObject
        {
            ["otype"] = string.Equals(otype, "VanillaMLP", StringComparison.OrdinalIgnoreCase) ? "MLP" : otype,
            ["activation"] = c.String("activation", "ReLU"),
            ["output_activation"] = "None",
            ["n_neurons"] = c.Int("n_neurons", 64),
            ["n_hidden_layers"] = c.Int("n_hidden_layers", defaultHiddenLayers),
        };
    }

    public Backend Backend { get; }
    public NerfNetwork<T> Network { get; }
    public long ParamCount => Network.ParamCount;
    public float Radius { get; }
    /// <summary>cone_angle_bg = 10^(3/num_samples_per_ray_bg) − 1.</summary>
    public float ConeAngle { get; }
    /// <summary>Samples per ray are capped here (4·num_samples_per_ray_bg + 64; a ray from the near plane needs ≈ 1.3× that number).</summary>
    public int MaxSamplesPerRay { get; }
    public T DensityBias { get; }
    /// <summary>The samples of the last <see cref="Forward"/>.</summary>
    public RaySamples Samples { get; private set; }
    /// <summary>The last <see cref="Forward"/>'s per-ray results: Colour [R, 3] = C_bg, Opacity [R, 1] = A_bg, Depth [R, 1].</summary>
    public VolumeRenderOutput<T> Output { get; }

    /// <summary>
    /// Marches, evaluates and composites rays (origins, directions: [≥3R] as x, y, z). With <paramref name="jitter"/>
    /// (training; nerfacc's stratified marching) each ray starts at near + u·step_size with u drawn from it in ray
    /// order; with <paramref name="prepareBackward"/> the network keeps what <see cref="Backward"/> needs.
    /// </summary>
    public VolumeRenderOutput<T> Forward(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, int rays,
        (T R, T G, T B) background, bool prepareBackward, ref Rng rng, bool jitter)
    {
        if (rays < 0 || origins.Length < 3 * rays || directions.Length < 3 * rays)
            throw new ArgumentException($"neus background: {rays} rays need 3·{rays} origin and direction values (got {origins.Length}, {directions.Length})");
        if (_jitter.Length < rays) _jitter = new float[Math.Max(rays, _jitter.Length * 3 / 2)];
        for (int r = 0; r < rays; r++) _jitter[r] = jitter ? rng.NextFloat() : 0f;
        March(origins, directions, rays, _jitter);
        _context?.Dispose();
        _context = null;
        int s = Samples.Count;
        _rows = Math.Max(1, s);
        var input = Scratch(ref _input, _rows, NerfNetwork<T>.InputDims);
        FillInput(origins, directions, input.AsSpan());
        var output = Scratch(ref _output, _rows, NerfNetwork<T>.OutputDims);
        if (prepareBackward) _context = Network.Forward(input, output);
        else Network.Inference(input, output);
        var density = Scratch(ref _density, _rows, 1);
        ReadOnlySpan<T> o = output.AsSpan();
        Span<T> d = density.AsSpan();
        for (int i = 0; i < _rows; i++) d[i] = o[i * NerfNetwork<T>.OutputDims + NerfNetwork<T>.DensityColumn] + DensityBias;
        _renderer.Forward(Samples, density, new ColumnRange<T>(output, NerfNetwork<T>.ColourColumn, 3),
            RayBackground<T>.Constant(background.R, background.G, background.B), Output);
        _background = background;
        return Output;
    }

    /// <summary>Forward without jitter or backward state (rendering).</summary>
    public VolumeRenderOutput<T> Inference(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, int rays, (T R, T G, T B) background)
    {
        var unused = new Rng(0);
        return Forward(origins, directions, rays, background, prepareBackward: false, ref unused, jitter: false);
    }

    /// <summary>
    /// dL/dC_bg [R, 3] (the NeuS renderer's dL/dBackground) → the network's parameter gradients (overwritten).
    /// Must follow a <see cref="Forward"/> with prepareBackward on the same batch.
    /// </summary>
    public void Backward(DeviceMatrix<T> dLdColour)
    {
        var ctx = _context ?? throw new InvalidOperationException("neus background: Backward needs a Forward with prepareBackward first");
        var input = View(_input!, _rows, NerfNetwork<T>.InputDims);
        var output = View(_output!, _rows, NerfNetwork<T>.OutputDims);
        var density = View(_density!, _rows, 1);
        var dLdOutput = Scratch(ref _dLdOutput, _rows, NerfNetwork<T>.OutputDims);
        dLdOutput.AsSpan().Clear();
        _renderer.Backward(Samples, density, new ColumnRange<T>(output, NerfNetwork<T>.ColourColumn, 3),
            RayBackground<T>.Constant(_background.R, _background.G, _background.B), Output, dLdColour,
            new ColumnRange<T>(dLdOutput, NerfNetwork<T>.DensityColumn, 1), new ColumnRange<T>(dLdOutput, NerfNetwork<T>.ColourColumn, 3));
        Network.Backward(ctx, input, output, dLdOutput, null, GradientMode.Overwrite);
        ctx.Dispose();
        _context = null;
    }

    /// <summary>Cone-stepped samples [near, far) of each ray (see the class summary), offset by jitter[r]·step_size.</summary>
    void March(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, int rays, ReadOnlySpan<float> jitter)
    {
        if (Samples.RayCount != rays) Samples = new RaySamples(rays, Math.Max(Samples.TStarts.Length, rays * 64));
        int count = 0;
        for (int r = 0; r < rays; r++)
        {
            var o = new Vector3(origins[3 * r], origins[3 * r + 1], origins[3 * r + 2]);
            var d = new Vector3(directions[3 * r], directions[3 * r + 1], directions[3 * r + 2]);
            Samples.RayOffsets[r] = count;
            if (!float.IsFinite(o.X + o.Y + o.Z + d.X + d.Y + d.Z) || d.LengthSquared() == 0f) { Samples.RayCounts[r] = 0; continue; }
            NeusBackground.SplitRay(o, d, Radius, out _, out _, out float near, out float far);
            Samples.EnsureCapacity(count + MaxSamplesPerRay);
            int n = 0;
            for (float t = near + jitter[r] * NeusBackground.StepSize; t < far && n < MaxSamplesPerRay; n++)
            {
                float t1 = MathF.Min(far, t + MathF.Max(NeusBackground.StepSize, t * ConeAngle));
                Samples.RayIndices[count + n] = r;
                Samples.TStarts[count + n] = t;
                Samples.TEnds[count + n] = t1;
                t = t1;
            }
            Samples.RayCounts[r] = n;
            count += n;
        }
        Samples.Count = count;
    }

    /// <summary>Network input rows: contracted midpoint in [0, 1]³ and the unit ray direction; rows past the samples are 0.</summary>
    void FillInput(ReadOnlySpan<float> origins, ReadOnlySpan<float> directions, Span<T> x)
    {
        x.Clear();
        const int w = NerfNetwork<T>.InputDims;
        for (int i = 0; i < Samples.Count; i++)
        {
            int r = Samples.RayIndices[i];
            var o = new Vector3(origins[3 * r], origins[3 * r + 1], origins[3 * r + 2]);
            var d = new Vector3(directions[3 * r], directions[3 * r + 1], directions[3 * r + 2]);
            var p = NeusBackground.Contract(o + 0.5f * (Samples.TStarts[i] + Samples.TEnds[i]) * d, _box);
            var u = Vector3.Normalize(d);
            x[i * w] = T.CreateChecked(p.X); x[i * w + 1] = T.CreateChecked(p.Y); x[i * w + 2] = T.CreateChecked(p.Z);
            x[i * w + 3] = T.CreateChecked(u.X); x[i * w + 4] = T.CreateChecked(u.Y); x[i * w + 5] = T.CreateChecked(u.Z);
        }
    }

    DeviceMatrix<T> Scratch(ref DeviceBuffer<T>? buffer, int rows, int cols)
    {
        long n = (long)rows * cols;
        if (buffer is null || buffer.Length < n)
        {
            long size = Math.Max(n, (buffer?.Length ?? 0) * 3 / 2);
            buffer?.Dispose();
            buffer = Backend.Allocate<T>(size);
        }
        return View(buffer, rows, cols);
    }

    static DeviceMatrix<T> View(DeviceBuffer<T> buffer, int rows, int cols) => buffer.All.Slice(0, (long)rows * cols).AsMatrix(rows, cols);

    public void Dispose()
    {
        _context?.Dispose();
        _context = null;
        _input?.Dispose(); _output?.Dispose(); _density?.Dispose(); _dLdOutput?.Dispose();
        Output.Dispose();
        Network.Dispose();
    }
}
