using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Geometry;
using NgpSharp.Nn;
using NgpSharp.Nn.Optimizers;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Nerf;

/// <summary>What one training step did.</summary>
/// <param name="Loss">Mean Huber loss of the batch (sRGB).</param>
/// <param name="Psnr">PSNR of the batch's rendered colours against their targets.</param>
/// <param name="Rays">Rays the step marched.</param>
/// <param name="Samples">Samples marched (with compaction the network only infers on these).</param>
/// <param name="UsedSamples">Samples composited before early termination (with compaction: the training batch).</param>
/// <param name="Skipped">True when the loss or a gradient was NaN/Inf and the update was skipped.</param>
public readonly record struct NerfStep(double Loss, double Psnr, int Rays, int Samples, long UsedSamples, bool Skipped);

/// <summary>Seconds one step spent per phase (for profiling and the progress report).</summary>
public readonly record struct NerfStepTimings(double Grid, double Rays, double March, double Forward, double Render, double Backward, double Optimizer)
{
    public double Total => Grid + Rays + March + Forward + Render + Backward + Optimizer;
}

/// <summary>
/// instant-ngp's NeRF training loop on the CPU or CUDA backend (NerfTrainer.Cuda.cs says what still crosses to the host): occupancy-grid update, ray sampling with random
/// backgrounds, jittered marching, network forward on every sample, volume rendering, Huber loss in sRGB,
/// backward through renderer and network, NaN/Inf guard, optimizer step; rays per step adapt so that a step sees
/// about <see cref="NerfTrainerSettings.TargetSamplesPerStep"/> samples. One pcg32 stream drives every random
/// choice, so a run is reproducible and resumes bit-identically (same thread count).
/// </summary>
public sealed partial class NerfTrainer : IDisposable
{
    /// <summary>Ray counts are multiples of this (instant-ngp rounds to 128; smaller suits CPU-sized steps).</summary>
    public const int RayGranularity = 16;

    readonly DeviceBuffer<float> _params, _gradients;
    readonly VolumeRenderer<float> _renderer = new(VolumeRenderer<float>.TrainingThreshold);
    readonly NerfLoss<float> _loss;
    readonly VolumeRenderOutput<float> _render;
    readonly MarchSettings _march;
    readonly ScratchMatrix _inputTrained, _outputTrained;
    RaySamples? _compacted;
    readonly ScratchMatrix _input, _output, _dLdOutput, _background, _target, _dLdColour, _densityPositions, _densityRaw;
    readonly NerfRays _rays;
    float[] _origins = [], _directions = [];
    RaySamples? _samples;
    Rng _rng;

    /// <summary>Builds network, optimizer and occupancy grid from the settings; the dataset is the training split
    /// (for a run that only renders, any split of the scene: it supplies the scene box).</summary>
    public NerfTrainer(NerfSettings settings, NerfDataset dataset, Backend backend)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda)) throw new NotSupportedException($"NeRF training: no {backend.Kind} kernels (use --device cpu or cuda)");
        Settings = settings;
        Dataset = dataset;
        Backend = backend;
        Scene = NerfScene.For(dataset, settings.Model.AabbScale);
        Network = NerfNetwork<float>.FromJson(backend, Scene.AabbScale, JsonConfig.From(NetworkBlocks(settings.Model), "model"));
        Optimizer = OptimizerFactory.Create<float>(backend, JsonConfig.From(
            (JsonObject)(settings.Model.Optimizer?.DeepClone() ?? DefaultOptimizer()), "model.optimizer"));
        _params = backend.Allocate<float>(Network.ParamCount);
        _gradients = backend.Allocate<float>(Network.ParamCount);
        _rng = new Rng(settings.Seed);
        Network.InitializeParams(ref _rng, _params.All);
        Network.SetParams(_params.All, _gradients.All);
        Optimizer.Allocate(Network.ParamCount, Network.MatrixParamCount);
        Grid = CreateGrid();
        _march = new MarchSettings { ConeAngle = settings.Renderer.ConeAngle, MaxSamplesPerRay = settings.Renderer.MaxSamplesPerRay };
        _loss = new NerfLoss<float>(backend);
        _render = new VolumeRenderOutput<float>(backend);
        _inputTrained = new(backend); _outputTrained = new(backend);
        _input = new(backend); _output = new(backend); _dLdOutput = new(backend); _background = new(backend);
        _target = new(backend); _dLdColour = new(backend); _densityPositions = new(backend); _densityRaw = new(backend);
        RaysPerStep = RoundRays(settings.Trainer.InitialRays);
        (MaxRays, TargetSamplesPerStep) = (settings.Trainer.MaxRays, settings.Trainer.TargetSamplesPerStep);
        LossScale = LossScaleFor(backend, Network);
        _rays = new NerfRays(dataset, backend);
        NanGuard = new NanGuard(settings.Trainer.NanGuard, SaveTrainableState, LoadTrainableState, Optimizer) { Log = m => Log?.Invoke(m) };
        if (backend is CudaBackend cuda)
        {
            _cuda = cuda;
            _reductions = new CudaReductions(cuda);
            _scan = new CudaScan(cuda);
            _deviceSamples = new DeviceRaySamples(cuda);
            _deviceCompacted = new DeviceRaySamples(cuda);
            _deviceBitfield = cuda.Allocate<byte>(Grid.Bitfield.Length);
            _deviceOrigins = new(backend); _deviceDirections = new(backend); _squaredError = new(backend);
        }
    }

    public NerfSettings Settings { get; }
    public NerfDataset Dataset { get; }
    public Backend Backend { get; }
    public NerfScene Scene { get; }
    public NerfNetwork<float> Network { get; }
    public Optimizer<float> Optimizer { get; }
    public OccupancyGrid Grid { get; private set; }

    /// <summary>θ: [ParamCount] (the trained weights; see <see cref="InferenceParams"/> for rendering).</summary>
    public DeviceSpan<float> Params => _params.All;
    public DeviceSpan<float> Gradients => _gradients.All;

    /// <summary>The weights to render with: the optimizer's EMA when it keeps one, else θ.</summary>
    public DeviceSpan<float> InferenceParams => Optimizer.InferenceWeights is { } ema && ema.Length == _params.Length ? ema : _params.All;

    /// <summary>The NaN/∞ policy: skip, restore the last good state with half the learning rate, give up (trainer.nan_*).</summary>
    public NanGuard NanGuard { get; }

    /// <summary>Training steps taken (skipped ones included).</summary>
    public long StepCount { get; private set; }
    public long SkippedSteps { get; private set; }

    /// <summary>Where the last step's time went.</summary>
    public NerfStepTimings LastTimings { get; private set; }

    /// <summary>Rays the next step will march.</summary>
    public int RaysPerStep { get; private set; }

    /// <summary>The random stream's current state (for reproducibility checks).</summary>
    public Rng RandomState => _rng;

    /// <summary>instant-ngp base.json's optimizer: Ema(0.95) → ExponentialDecay(×0.33 every 10k from 20k) → Adam.</summary>
    public static JsonObject DefaultOptimizer() => new()
    {
        ["otype"] = "Ema", ["decay"] = 0.95,
        ["nested"] = new JsonObject
        {
            ["otype"] = "ExponentialDecay", ["decay_start"] = 20000, ["decay_interval"] = 10000, ["decay_base"] = 0.33,
            ["nested"] = new JsonObject
            {
                ["otype"] = "Adam", ["learning_rate"] = 1e-2, ["beta1"] = 0.9, ["beta2"] = 0.99, ["epsilon"] = 1e-15, ["l2_reg"] = 1e-6,
            },
        },
    };

    static JsonObject NetworkBlocks(NerfModelSettings m)
    {
        var o = new JsonObject();
        if (m.Encoding is { } e) o["encoding"] = e.DeepClone();
        if (m.Network is { } n) o["network"] = n.DeepClone();
        if (m.DirEncoding is { } d) o["dir_encoding"] = d.DeepClone();
        if (m.RgbNetwork is { } r) o["rgb_network"] = r.DeepClone();
        return o;
    }

    OccupancyGrid CreateGrid()
    {
        var m = Settings.Model;
        var cascades = OccupancyGrid.CascadesForAabbScale(Scene.AabbScale);
        var grid = new OccupancyGrid(Scene.UnitBox, cascades, m.GridResolution, Scene.UnitBox.Scaled(MathF.Min(Scene.AabbScale, 1 << (cascades - 1))))
        {
            Decay = m.GridDecay, WarmupSteps = m.GridWarmupSteps, UpdateInterval = m.GridUpdateInterval, Schedule = m.GridSchedule,
        };
        return grid;
    }

    /// <summary>Marks the cells no training camera sees (instant-ngp's mark_untrained_density_grid).</summary>
    public void MarkUnseenCells()
    {
        var cameras = Dataset.Frames.Select(f => f.Camera).ToArray();
        Grid.MarkUnseenCells(p =>
        {
            foreach (var c in cameras) if (c.Sees(p)) return true;
            return false;
        });
        _bitfieldStale = true;
    }

    static int RoundRays(int rays) => Math.Max(RayGranularity, (rays + RayGranularity - 1) / RayGranularity * RayGranularity);

    /// <summary>σ at world positions [N, 3] with the current weights (what the occupancy grid update evaluates).</summary>
    void EvaluateDensity(ReadOnlySpan<float> positions, Span<float> densities)
    {
        int n = densities.Length;
        var pos = _densityPositions.Matrix(n, 3);
        Scene.Normalise(positions, pos.AsSpan());
        var raw = _densityRaw.Span(n);
        Network.DensityOnly(pos, raw);
        var r = raw.AsSpan();
        for (int i = 0; i < n; i++) densities[i] = MathF.Exp(r[i]);
    }

    /// <summary>One training step (see the class summary).</summary>
    public NerfStep Step()
    {
        if (StepCount > int.MaxValue) throw new InvalidOperationException("NeRF training: step counter overflow");
        NanGuard.BeforeStep();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        UpdateGrid();
        double tGrid = clock.Elapsed.TotalSeconds;
        clock.Restart();

        // Counter-based rays: ray i draws from this stream advanced by i·DrawsPerRay (the same on CPU and device).
        // A step that runs out of device memory is retried from here with half the ray budget (NerfTrainer.Memory.cs).
        var rngAtStart = _rng;
        int rays;
        (double Loss, double Psnr, int Samples, long Used, NerfStepTimings Timings) result;
        while (true)
        {
            rays = RaysPerStep;
            var stream = _rng;
            _rng.Advance((long)rays * NerfRays.DrawsPerRay);
            var mode = TrainingBackgroundMode();
            try
            {
                result = _cuda is null ? StepCpu(rays, stream, mode, clock) : StepCuda(rays, stream, mode, clock);
                break;
            }
            catch (CudaOutOfMemoryException e) when (ShrinkAfterOutOfMemory(e))
            {
                _rng = rngAtStart;
            }
        }
        var (loss, psnr, samples, used, timings) = result;
        StepCount++;
        bool finite = double.IsFinite(loss) && GradientsFinite();
        if (finite) Optimizer.Step(LossScale, _params.All, _gradients.All);
        else SkippedSteps++;
        NanGuard.AfterStep(finite, StepCount);
        LastTimings = timings with { Grid = tGrid, Optimizer = clock.Elapsed.TotalSeconds };

        // instant-ngp: rays ← rays·target/measured, rounded up to the ray granularity and clamped.
        // With compaction the measured count is the compacted one, as in instant-ngp.
        long measured = Settings.Trainer.Compaction ? used : samples;
        long next = measured == 0 ? 2L * rays : (long)Math.Ceiling((double)rays * TargetSamplesPerStep / measured);
        RaysPerStep = RoundRays((int)Math.Clamp(next, RayGranularity, MaxRays));
        return new NerfStep(loss, psnr, rays, samples, used, !finite);
    }

    /// <summary>The CPU step after the grid update: host rays, march, network, renderer, loss, backward.</summary>
    (double Loss, double Psnr, int Samples, long Used, NerfStepTimings Timings) StepCpu(int rays, Rng stream, NerfRayBackground mode,
        System.Diagnostics.Stopwatch clock)
    {
        double Lap() { double t = clock.Elapsed.TotalSeconds; clock.Restart(); return t; }
        EnsureHost(ref _origins, 3 * rays); EnsureHost(ref _directions, 3 * rays);
        var target = _target.Matrix(rays, 3);
        var bgColours = _background.Matrix(rays, 3);
        _rays.Generate(stream, rays, jitter: true, mode, _origins, _directions, target.AsSpan(), bgColours.AsSpan());
        var background = mode.PerRayRandom ? RayBackground<float>.PerRay(bgColours) : RayBackground<float>.Constant(mode.R, mode.G, mode.B);
        double tRays = Lap();

        if (_samples is null || _samples.RayCount != rays) _samples = new RaySamples(rays, Math.Max(_samples?.TStarts.Length ?? 0, 4 * rays));
        RayMarcher.March(_origins.AsSpan(0, 3 * rays), _directions.AsSpan(0, 3 * rays), Grid, _march, ref _rng, _samples);
        int samples = _samples.Count;
        double tMarch = Lap(), tForward, tRender;

        var trained = _samples;
        if (Settings.Trainer.Compaction)
        {
            // instant-ngp: an inference pass finds where each ray terminates; only those samples are trained on.
            var all = _input.Matrix(PaddedBatch(samples), NerfNetwork<float>.InputDims);
            NerfBatch.FillInput(Scene, _samples, _origins, _directions, all);
            var allOut = _output.Matrix(all.Rows, NerfNetwork<float>.OutputDims);
            Network.Inference(all, allOut);
            _renderer.Forward(_samples, new ColumnRange<float>(allOut, NerfNetwork<float>.DensityColumn, 1),
                new ColumnRange<float>(allOut, NerfNetwork<float>.ColourColumn, 3), background, _render);
            trained = NerfBatch.Compact(_samples, _render.UsedCounts, ref _compacted);
        }
        int batch = PaddedBatch(trained.Count);
        var input = _inputTrained.Matrix(batch, NerfNetwork<float>.InputDims);
        NerfBatch.FillInput(Scene, trained, _origins, _directions, input);
        var output = _outputTrained.Matrix(batch, NerfNetwork<float>.OutputDims);
        var dLdOutput = _dLdOutput.Matrix(batch, NerfNetwork<float>.OutputDims);
        dLdOutput.AsSpan().Clear();
        var dLdColour = _dLdColour.Matrix(rays, 3);
        double loss, psnr;
        using (var ctx = Network.Forward(input, output))
        {
            tForward = Lap();
            var density = new ColumnRange<float>(output, NerfNetwork<float>.DensityColumn, 1);
            var colour = new ColumnRange<float>(output, NerfNetwork<float>.ColourColumn, 3);
            _renderer.Forward(trained, density, colour, background, _render);
            loss = _loss.Evaluate(LossScale, _render.Colour, target, dLdColour);
            psnr = NerfLoss<float>.Psnr(_render.Colour, target);
            _renderer.Backward(trained, density, colour, background, _render, dLdColour,
                new ColumnRange<float>(dLdOutput, NerfNetwork<float>.DensityColumn, 1), new ColumnRange<float>(dLdOutput, NerfNetwork<float>.ColourColumn, 3));
            tRender = Lap();
            Network.Backward(ctx, input, output, dLdOutput, null, GradientMode.Overwrite);
        }
        double tBackward = Lap();
        return (loss, psnr, samples, _render.TotalUsed, new NerfStepTimings(0, tRays, tMarch, tForward, tRender, tBackward, 0));
    }

    /// <summary>Random backgrounds per ray are drawn with the rays; a per-batch colour takes 3 draws of the trainer's stream here.</summary>
    NerfRayBackground TrainingBackgroundMode() => Settings.Renderer.Background switch
    {
        NerfBackground.White => NerfRayBackground.Constant(1f, 1f, 1f),
        NerfBackground.Black => NerfRayBackground.Constant(0f, 0f, 0f),
        _ when Settings.Renderer.BackgroundSampling == BackgroundSampling.PerBatch => NerfRayBackground.Constant(_rng.NextFloat(), _rng.NextFloat(), _rng.NextFloat()),
        _ => NerfRayBackground.Random,
    };

    int PaddedBatch(int samples)
    {
        int g = Math.Max(1, Network.BatchGranularity);
        return Math.Max(g, (samples + g - 1) / g * g);
    }

    /// <summary>input: [≥S, 6] ← (normalised sample midpoint, unit direction) per sample; padding rows 0 (host samples).</summary>
    internal void FillNetworkInput(RaySamples samples, float[] origins, float[] directions, DeviceMatrix<float> input) =>
        NerfBatch.FillInput(Scene, samples, origins, directions, input);

    static void EnsureHost(ref float[] a, int n) { if (a.Length < n) a = new float[Math.Max(n, a.Length * 3 / 2)]; }

    public void Dispose()
    {
        _inputTrained.Dispose(); _outputTrained.Dispose();
        _input.Dispose(); _output.Dispose(); _dLdOutput.Dispose(); _background.Dispose();
        _target.Dispose(); _dLdColour.Dispose(); _densityPositions.Dispose(); _densityRaw.Dispose();
        _render.Dispose(); _loss.Dispose(); _rays.Dispose();
        DisposeDevice();
        _params.Dispose(); _gradients.Dispose();
        Network.Dispose(); Optimizer.Dispose();
    }
}
