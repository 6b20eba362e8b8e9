using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Data;
using NgpSharp.Geometry;
using NgpSharp.Nn;
using NgpSharp.Nn.Optimizers;
using NgpSharp.Nn.Sdf;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

/// <summary>What one NeuS training step did.</summary>
/// <param name="Loss">The weighted sum of the loss terms.</param>
/// <param name="Psnr">PSNR of the batch's rendered colours against their targets.</param>
/// <param name="Eikonal">mean((‖∇f‖ − 1)²) over the samples.</param>
/// <param name="InvS">The sharpness s the step rendered with.</param>
/// <param name="Rays">Rays the step marched.</param>
/// <param name="Samples">Samples the networks ran on.</param>
/// <param name="Skipped">True when the loss or a gradient was NaN/Inf and the update was skipped.</param>
public readonly record struct NeusStep(double Loss, double Psnr, double Eikonal, double InvS, int Rays, int Samples, bool Skipped);

/// <summary>
/// instant-nsr-pl's NeuS training loop (systems/neus.py + models/neus.py) on the CPU: SDF-driven occupancy grid,
/// rays with one background colour per batch (targets = rgb·mask + bg·(1 − mask)), marching at √3·2r/1024,
/// SDF network with analytic normals, colour network on [features, n̂, SH(dir)], NeuS compositing with the annealed
/// cosine, L1 + mask BCE + eikonal (+ optional MSE, sparsity, opaque) losses, the double backward through the
/// normals, Adam (1e-2, variance 1e-3) with a constant then exponential learning rate, NaN/Inf guard and dynamic
/// ray counts. One pcg32 stream drives every random choice, so runs are reproducible and resume bit-identically.
/// On the CUDA backend the step is device-resident (NeusTrainer.Cuda.cs says what still crosses to the host).
/// </summary>
public sealed partial class NeusTrainer : IDisposable
{
    const int RayGranularity = 16;

    readonly DeviceBuffer<float> _params, _gradients;
    readonly NeusRenderer<float> _renderer = new();
    readonly NeusRenderOutput<float> _render;
    readonly MarchSettings _march;
    readonly ScratchMatrix _positions, _sdfOut, _sdfGrad, _rgb, _dLdSdfOut, _dLdGrad, _dLdRgb, _dLdInput;
    readonly ScratchMatrix _rayDirs, _target, _mask, _dLdColour, _dLdOpacity;
    float[] _origins = [], _directions = [], _rgba = [];
    RaySamples? _samples;
    Rng _rng;

    /// <summary>Builds networks, optimizers and occupancy grid; the dataset is the training split.</summary>
    public NeusTrainer(NeusSettings settings, NerfDataset dataset, Backend backend)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(backend);
        if (backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda))
            throw new NotSupportedException($"NeuS training: no {backend.Kind} kernels (use --device cpu or cuda)");
        if (backend.Kind == BackendKind.Cuda && settings.Model.LearnedBackground)
            throw new NotSupportedException("model.learned_background runs on the CPU only for now (its sampling loop has no CUDA kernels); use --device cpu");
        Settings = settings;
        Dataset = dataset;
        Backend = backend;
        var m = settings.Model;
        var geometry = (JsonObject)(m.Geometry?.DeepClone() ?? new JsonObject());
        geometry["radius"] = m.Radius;
        Sdf = SdfNetwork<float>.FromJson(backend, JsonConfig.From(geometry, "model.geometry"));
        Colour = new NeusColourNetwork<float>(backend, Sdf.OutputWidth, m.Texture);
        Variance = new VarianceNetwork(m.Variance.InitVal, settings.System.Optimizer.VarianceLr,
            settings.System.Optimizer.Beta1, settings.System.Optimizer.Beta2, settings.System.Optimizer.Eps);
        Optimizer = OptimizerFactory.Create<float>(backend, JsonConfig.From(OptimizerJson(settings), "system.optimizer"));
        long count = Sdf.ParamCount + Colour.ParamCount + CreateBackgroundModel();
        _params = backend.Allocate<float>(count);
        _gradients = backend.Allocate<float>(count);
        _rng = new Rng(settings.Seed);
        Sdf.InitializeParams(ref _rng, SdfSlice(_params));
        Colour.Mlp.InitializeParams(ref _rng, ColourSlice(_params));
        Sdf.SetParams(SdfSlice(_params), SdfSlice(_gradients));
        Colour.Mlp.SetParams(ColourSlice(_params), ColourSlice(_gradients));
        InitializeBackgroundParams();
        Optimizer.Allocate(count, 0);
        float r = (float)m.Radius;
        SceneBox = new Aabb(new Vector3(-r), new Vector3(r));
        Grid = new OccupancyGrid(SceneBox, 1, m.GridResolution) { Schedule = OccupancyUpdateSchedule.Nerfacc };   // instant-nsr-pl: nerfacc every_n_step(n = 16)
        if (!m.GridPrune) MarkAllOccupied(Grid);
        RenderStepSize = (float)NeusAlpha.RenderStepSize(m.Radius, m.NumSamplesPerRay);
        _march = new MarchSettings { ConeAngle = 0, MaxSamplesPerRay = 4 * m.NumSamplesPerRay, MinStepSize = RenderStepSize, MaxStepSize = RenderStepSize };
        _render = new NeusRenderOutput<float>(backend);
        (_positions, _sdfOut, _sdfGrad, _rgb) = (new(backend), new(backend), new(backend), new(backend));
        (_dLdSdfOut, _dLdGrad, _dLdRgb, _dLdInput) = (new(backend), new(backend), new(backend), new(backend));
        (_rayDirs, _target, _mask, _dLdColour, _dLdOpacity) = (new(backend), new(backend), new(backend), new(backend), new(backend));
        RaysPerStep = RoundRays(m.TrainNumRays);
        UpdateSchedules(0);
        if (backend is Compute.Cuda.CudaBackend cuda) _device = new DeviceState(cuda, dataset, Grid.Bitfield.Length);
    }

    public NeusSettings Settings { get; }
    public NerfDataset Dataset { get; }
    public Backend Backend { get; }
    public SdfNetwork<float> Sdf { get; }
    public NeusColourNetwork<float> Colour { get; }
    public VarianceNetwork Variance { get; }
    public Optimizer<float> Optimizer { get; }
    public OccupancyGrid Grid { get; private set; }
    /// <summary>[−r, r]³ in the dataset's normalised frame.</summary>
    public Aabb SceneBox { get; }
    /// <summary>instant-nsr-pl's render_step_size: √3·2r / num_samples_per_ray.</summary>
    public float RenderStepSize { get; }

    /// <summary>θ: [sdf params | colour params | background NeRF params (model.learned_background)].</summary>
    public DeviceSpan<float> Params => _params.All;
    public long StepCount { get; private set; }
    public long SkippedSteps { get; private set; }
    public int RaysPerStep { get; private set; }
    /// <summary>min(1, step / cos_anneal_end): 0 starts with the "never dead" cosine, 1 is NeuS's own.</summary>
    public float CosAnnealRatio { get; private set; }
    public Rng RandomState => _rng;

    DeviceSpan<float> SdfSlice(DeviceBuffer<float> b) => b.All.Slice(0, Sdf.ParamCount);
    DeviceSpan<float> ColourSlice(DeviceBuffer<float> b) => b.All.Slice(Sdf.ParamCount, Colour.ParamCount);

    /// <summary>
    /// Adam(lr, β, ε) wrapped in tiny-cuda-nn's ExponentialDecay: constant for constant_steps, then ×0.1 over the
    /// remaining steps in per-step decays (instant-nsr-pl's SequentialLR of ConstantLR and ExponentialLR).
    /// </summary>
    static JsonObject OptimizerJson(NeusSettings s)
    {
        var o = s.System.Optimizer;
        int decaySteps = Math.Max(1, s.Trainer.MaxSteps - s.System.ConstantSteps);
        return new JsonObject
        {
            ["otype"] = "ExponentialDecay", ["decay_start"] = s.System.ConstantSteps, ["decay_interval"] = 1,
            ["decay_base"] = Math.Pow(0.1, 1.0 / decaySteps),
            ["nested"] = new JsonObject { ["otype"] = "Adam", ["learning_rate"] = o.Lr, ["beta1"] = o.Beta1, ["beta2"] = o.Beta2, ["epsilon"] = o.Eps },
        };
    }

    static void MarkAllOccupied(OccupancyGrid grid)
    {
        Array.Fill(grid.Densities, 1f);
        grid.RebuildBitfield();
    }

    /// <summary>The nearest multiple of the ray granularity (at least one granule).</summary>
    static int RoundRays(double rays) => Math.Max(RayGranularity, (int)Math.Round(rays / RayGranularity) * RayGranularity);

    /// <summary>Marks the cells no training camera sees, so that they are never sampled.</summary>
    public void MarkUnseenCells()
    {
        var cameras = Dataset.Frames.Select(f => f.Camera).ToArray();
        Grid.MarkUnseenCells(p => cameras.Any(c => c.Sees(p)));
        if (_device is not null) _device.BitfieldStale = true;
    }

    /// <summary>instant-nsr-pl's update_step: progressive grid levels, variance modulation, cosine anneal ratio.</summary>
    void UpdateSchedules(long step)
    {
        Sdf.UpdateStep((int)Math.Min(step, int.MaxValue));
        Variance.UpdateStep(step);
        int end = Settings.Model.CosAnnealEnd;
        CosAnnealRatio = end == 0 ? 1f : (float)Math.Min(1.0, (double)step / end);
    }

    /// <summary>
    /// The occupancy value of points for the grid update: NeuS's α without the cosine at the render step
    /// (instant-nsr-pl's occ_eval_fn). The grid splats σ·MinStepSize and thresholds at min(0.01, mean); handing it
    /// σ = 10·α / MinStepSize makes that min(0.001, mean α) on α, nerfacc's rule with occ_thre 0.001.
    /// </summary>
    void EvaluateOccupancy(ReadOnlySpan<float> positions, Span<float> densities)
    {
        int n = densities.Length;
        var pos = _positions.Matrix(n, 3);
        positions[..(3 * n)].CopyTo(pos.AsSpan());
        var outp = _sdfOut.Matrix(n, Sdf.OutputWidth);
        Sdf.Inference(pos, outp);
        var o = outp.AsSpan();
        float invS = (float)Variance.InvS, scale = 0.01f / Settings.Model.GridPruneOccThre / Grid.MinStepSize;
        int w = Sdf.OutputWidth;
        for (int i = 0; i < n; i++) densities[i] = NeusAlpha.OccupancyAlpha(o[i * w], invS, RenderStepSize) * scale;
    }

    /// <summary>One training step (see the class summary).</summary>
    public NeusStep Step()
    {
        NanGuard.BeforeStep();
        UpdateSchedules(StepCount);
        if (Settings.Model.GridPrune) UpdateGrid();
        // A step that runs out of device memory is redone from here with half the rays (NeusTrainer.Memory.cs).
        var rngAtStart = _rng;
        int rays;
        (double Loss, double Psnr, double Eikonal, double InvS, int Samples, bool Finite) result;
        while (true)
        {
            rays = RaysPerStep;
            try
            {
                result = _device is null ? StepCpu(rays) : StepCuda(rays);
                break;
            }
            catch (Compute.Cuda.CudaOutOfMemoryException e) when (ShrinkAfterOutOfMemory(e))
            {
                _rng = rngAtStart;
                Variance.ClearGradient();
            }
        }
        var (loss, psnr, eikonal, invS, s, finite) = result;
        StepCount++;
        if (finite)
        {
            Optimizer.Step(1f, _params.All, _gradients.All);
            Variance.Step(Optimizer.LearningRate / Settings.System.Optimizer.Lr);
        }
        else
        {
            SkippedSteps++;
            Variance.Step(0);
        }
        NanGuard.AfterStep(finite, StepCount);
        AdaptRays(s);
        return new NeusStep(loss, psnr, eikonal, invS, rays, s, !finite);
    }

    /// <summary>The CPU step after the grid update: host rays, march, networks, renderer, losses, backward.</summary>
    (double Loss, double Psnr, double Eikonal, double InvS, int Samples, bool Finite) StepCpu(int rays)
    {
        Ensure(ref _origins, 3 * rays); Ensure(ref _directions, 3 * rays); Ensure(ref _rgba, 4 * rays);
        Dataset.SampleRays(ref _rng, rays, _origins, _directions, _rgba);
        var bg = TrainingBackground();
        var target = _target.Matrix(rays, 3);
        var mask = _mask.Matrix(rays, 1);
        var dirs = _rayDirs.Matrix(rays, 3);
        CompositeTargets(rays, bg, target.AsSpan(), mask.AsSpan(), dirs.AsSpan());

        _samples ??= new RaySamples(rays, 64 * rays);
        if (_samples.RayCount != rays) _samples = new RaySamples(rays, Math.Max(_samples.TStarts.Length, 64 * rays));
        RayMarcher.March(_origins.AsSpan(0, 3 * rays), _directions.AsSpan(0, 3 * rays), Grid, _march, ref _rng, _samples);
        int s = _samples.Count;

        var (loss, psnr, eikonal, invS, finite) = ForwardBackward(_samples, rays, bg, target, mask, dirs);
        s += BackgroundSamples; // instant-nsr-pl's num_samples_full: the background's samples count too
        return (loss, psnr, eikonal, invS, s, finite);
    }

    /// <summary>instant-nsr-pl's dynamic ray sampling: rays ← min(0.9·rays + 0.1·rays·target/samples, max).</summary>
    void AdaptRays(int samples)
    {
        var m = Settings.Model;
        if (!m.DynamicRaySampling) return;
        double next = samples == 0 ? 2.0 * RaysPerStep : (double)RaysPerStep * TargetSamplesPerStep / samples;
        double blended = 0.9 * RaysPerStep + 0.1 * next;
        RaysPerStep = RoundRays(Math.Clamp(blended, RayGranularity, MaxTrainRays));
    }

    (float R, float G, float B) TrainingBackground() => Settings.Model.Background switch
    {
        NeusBackgroundColour.White => (1f, 1f, 1f),
        NeusBackgroundColour.Black => (0f, 0f, 0f),
        _ => (_rng.NextFloat(), _rng.NextFloat(), _rng.NextFloat()),
    };

    /// <summary>target = rgb·a + bg·(1 − a), mask = a (the object mask for DTU, transparency for Blender data).</summary>
    void CompositeTargets(int rays, (float R, float G, float B) bg, Span<float> target, Span<float> mask, Span<float> dirs)
    {
        for (int r = 0; r < rays; r++)
        {
            float a = TargetCoverage(_rgba[4 * r + 3]);
            target[3 * r] = _rgba[4 * r] * a + bg.R * (1 - a);
            target[3 * r + 1] = _rgba[4 * r + 1] * a + bg.G * (1 - a);
            target[3 * r + 2] = _rgba[4 * r + 2] * a + bg.B * (1 - a);
            mask[r] = _rgba[4 * r + 3];
        }
        _directions.AsSpan(0, 3 * rays).CopyTo(dirs);
    }

    (double Loss, double Psnr, double Eikonal, double InvS, bool Finite) ForwardBackward(RaySamples samples, int rays,
        (float R, float G, float B) bg, DeviceMatrix<float> target, DeviceMatrix<float> mask, DeviceMatrix<float> dirs)
    {
        int s = Math.Max(1, samples.Count);
        var pos = _positions.Matrix(s, 3);
        FillPositions(samples, pos.AsSpan());
        var sdfOut = _sdfOut.Matrix(s, Sdf.OutputWidth);
        var grad = _sdfGrad.Matrix(s, 3);
        var rgb = _rgb.Matrix(s, 3);
        var lossCfg = Settings.System.Loss;
        using var sdfCtx = Sdf.Forward(pos, sdfOut, grad);
        var colourIn = Colour.BuildInput(sdfOut, grad, _directions, samples.RayIndices, samples.Count, s);
        using var colourCtx = Colour.Mlp.Forward(colourIn, rgb);

        float invS = (float)Variance.InvS;
        var inputs = new NeusRenderInputs<float>(samples, new ColumnRange<float>(sdfOut, 0, 1), grad, rgb, dirs, invS, CosAnnealRatio,
            RayBackgroundFor(rays, bg, training: true));
        _renderer.Forward(inputs, _render);

        var dLdColour = _dLdColour.Matrix(rays, 3);
        var dLdOpacity = _dLdOpacity.Matrix(rays, 1);
        dLdOpacity.AsSpan().Clear();
        double l1 = NeusLoss<float>.RgbL1(_render.Colour, target, default, dLdColour, (float)lossCfg.LambdaRgbL1);
        double mse = NeusLoss<float>.RgbMse(_render.Colour, target, default, dLdColour, (float)lossCfg.LambdaRgbMse, GradientMode.Accumulate);
        double loss = lossCfg.LambdaRgbL1 * l1 + lossCfg.LambdaRgbMse * mse;
        if (Dataset.HasAlpha && lossCfg.LambdaMask > 0)
            loss += lossCfg.LambdaMask * NeusLoss<float>.MaskBce(_render.Opacity, mask, dLdOpacity, (float)lossCfg.LambdaMask, GradientMode.Accumulate);
        if (lossCfg.LambdaOpaque > 0)
            loss += lossCfg.LambdaOpaque * NeusLoss<float>.Opaque(_render.Opacity, dLdOpacity, (float)lossCfg.LambdaOpaque, GradientMode.Accumulate);

        var dLdSdfOut = _dLdSdfOut.Matrix(s, Sdf.OutputWidth);
        var dLdGrad = _dLdGrad.Matrix(s, 3);
        var dLdRgb = _dLdRgb.Matrix(s, 3);
        dLdSdfOut.AsSpan().Clear(); dLdGrad.AsSpan().Clear(); dLdRgb.AsSpan().Clear();
        double dInvS = _renderer.Backward(inputs, _render, dLdColour, new ColumnRange<float>(dLdSdfOut, 0, 1), dLdGrad, dLdRgb, dLdOpacity,
            dLdBackground: BackgroundGradient(rays));
        BackgroundBackward(rays);
        Variance.AccumulateInvSGradient(dInvS);
        double eikonal = samples.Count == 0 ? 0 : NeusLoss<float>.Eikonal(Rows(grad, samples.Count), Rows(dLdGrad, samples.Count), (float)lossCfg.LambdaEikonal);
        loss += lossCfg.LambdaEikonal * eikonal;
        if (lossCfg.LambdaSparsity > 0 && samples.Count > 0)
            loss += lossCfg.LambdaSparsity * NeusLoss<float>.Sparsity(new ColumnRange<float>(Rows(sdfOut, samples.Count), 0, 1),
                new ColumnRange<float>(Rows(dLdSdfOut, samples.Count), 0, 1), (float)lossCfg.SparsityScale, (float)lossCfg.LambdaSparsity);

        var dLdInput = _dLdInput.Matrix(s, Colour.InputWidth);
        Colour.Mlp.Backward(colourCtx, colourIn, rgb, dLdRgb, dLdInput, GradientMode.Overwrite);
        Colour.AccumulateGeometryGradients(dLdInput, grad, dLdSdfOut, dLdGrad, samples.Count);
        Sdf.Backward(sdfCtx, dLdSdfOut, dLdGrad, GradientMode.Overwrite);

        double psnr = mse > 0 ? -10 * Math.Log10(mse) : 100;
        bool finite = double.IsFinite(loss) && double.IsFinite(dInvS) && Compute.Cpu.CpuReductions.AllFinite<float>(_gradients.All.AsSpan());
        return (loss, psnr, eikonal, invS, finite);
    }

    static DeviceMatrix<float> Rows(DeviceMatrix<float> m, int rows) => m.Data.Slice(0, (long)rows * m.Cols).AsMatrix(rows, m.Cols);

    void FillPositions(RaySamples samples, Span<float> pos) => NeusBatch.FillPositions(samples, _origins, _directions, pos);

    static void Ensure(ref float[] a, int n) { if (a.Length < n) a = new float[Math.Max(n, a.Length * 3 / 2)]; }

    public void Dispose()
    {
        foreach (var m in new[] { _positions, _sdfOut, _sdfGrad, _rgb, _dLdSdfOut, _dLdGrad, _dLdRgb, _dLdInput, _rayDirs, _target, _mask, _dLdColour, _dLdOpacity })
            m.Dispose();
        _render.Dispose();
        _device?.Dispose();
        _params.Dispose(); _gradients.Dispose();
        Sdf.Dispose(); Colour.Dispose(); Optimizer.Dispose();
        DisposeBackground();
    }
}
