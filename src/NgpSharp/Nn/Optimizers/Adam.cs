using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Config;

namespace NgpSharp.Nn.Optimizers;

/// <summary>
/// Adam with tiny-cuda-nn's extensions (optimizers/adam.h): L2 regularisation and a learning-rate factor that
/// tell the first <c>matrixParamCount</c> parameters (network weight matrices) from the rest (encodings, e.g. hash
/// grids); a per-parameter step counter for the bias correction, because a non-matrix parameter whose gradient is
/// exactly zero is skipped (no moment, counter or weight change: hash-grid entries no ray touched); relative (≈L2)
/// and absolute (≈L1) weight decay; AdaBound learning-rate bounds; weight clipping.
/// Moments are kept in T (float in production, as in tiny-cuda-nn; double in the finite-difference tests).
/// </summary>
public sealed partial class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    const string Name = "Adam";

    DeviceBuffer<T>? _firstMoments, _secondMoments;
    DeviceBuffer<uint>? _paramSteps;
    long _paramCount, _matrixParamCount, _step;

    /// <summary>An Adam with tiny-cuda-nn's defaults (lr 1e-3, β1 0.9, β2 0.999, ε 1e-8, l2_reg 1e-8).</summary>
    public Adam(Backend backend) : base(backend) => OptimizerState.RequireSupported<T>(backend, Name);

    /// <summary>Reads tiny-cuda-nn's keys; absent keys keep the defaults.</summary>
    public Adam(Backend backend, JsonConfig config) : this(backend)
    {
        LearningRate = ConfigReading.Finite(config, "learning_rate", LearningRate);
        Beta1 = ConfigReading.InRange(config, "beta1", Beta1, 0, 1, "in [0, 1)");
        Beta2 = ConfigReading.InRange(config, "beta2", Beta2, 0, 1, "in [0, 1)");
        Epsilon = ConfigReading.NonNegative(config, "epsilon", Epsilon);
        L2Reg = ConfigReading.Finite(config, "l2_reg", L2Reg);
        AdaBound = config.Bool("adabound", AdaBound);
        RelativeDecay = ConfigReading.Finite(config, "relative_decay", RelativeDecay);
        AbsoluteDecay = ConfigReading.Finite(config, "absolute_decay", AbsoluteDecay);
        ClippingMagnitude = ConfigReading.NonNegative(config, "clipping_magnitude", ClippingMagnitude);
        NonMatrixLearningRateFactor = ConfigReading.Finite(config, "non_matrix_learning_rate_factor", NonMatrixLearningRateFactor);
        OptimizeMatrixParams = config.Bool("optimize_matrix_params", OptimizeMatrixParams);
        OptimizeNonMatrixParams = config.Bool("optimize_non_matrix_params", OptimizeNonMatrixParams);
    }

    /// <summary>Base learning rate before bias correction ("learning_rate").</summary>
    public override float LearningRate { get; set; } = 1e-3f;
    public float Beta1 { get; set; } = 0.9f;
    public float Beta2 { get; set; } = 0.999f;
    public float Epsilon { get; set; } = 1e-8f;
    /// <summary>L2 regularisation, added to the gradients of matrix parameters only ("l2_reg").</summary>
    public float L2Reg { get; set; } = 1e-8f;
    /// <summary>AdaBound: clamps the per-parameter step size to bounds that converge to 0.1.</summary>
    public bool AdaBound { get; set; }
    /// <summary>w ← (1 − relative_decay·lr)·w before the Adam update ("relative_decay").</summary>
    public float RelativeDecay { get; set; }
    /// <summary>w ← w − sign(w)·|absolute_decay|·lr before the Adam update ("absolute_decay").</summary>
    public float AbsoluteDecay { get; set; }
    /// <summary>Clamps updated weights to ±this when non-zero ("clipping_magnitude").</summary>
    public float ClippingMagnitude { get; set; }
    /// <summary>Learning-rate multiplier for the non-matrix parameters.</summary>
    public float NonMatrixLearningRateFactor { get; set; } = 1f;
    public bool OptimizeMatrixParams { get; set; } = true;
    public bool OptimizeNonMatrixParams { get; set; } = true;

    /// <summary>Forces the generic scalar kernel for float too (tests compare it with the SIMD one).</summary>
    internal bool ForceScalar { get; set; }

    /// <summary>Makes the SIMD kernel evaluate the bias correction with exp instead of its table (tests).</summary>
    internal bool ForceExpCorrection { get; set; }

    BiasCorrectionTable? _corrections;

    public override long StepCount => _step;

    public long ParamCount => _paramCount;

    public long MatrixParamCount => _matrixParamCount;

    public override void Allocate(long paramCount, long matrixParamCount)
    {
        OptimizerState.CheckAllocateArgs(Name, paramCount, matrixParamCount);
        _matrixParamCount = matrixParamCount;
        // Like tiny-cuda-nn, re-allocating with the same size keeps the moments and counters.
        if (_firstMoments is not null && paramCount == _paramCount) return;
        FreeState();
        _paramCount = paramCount;
        _firstMoments = Backend.Allocate<T>(paramCount);
        _secondMoments = Backend.Allocate<T>(paramCount);
        _paramSteps = Backend.Allocate<uint>(paramCount);
    }

    public override void Step(float lossScale, DeviceSpan<T> weights, DeviceSpan<T> gradients)
    {
        OptimizerState.CheckStepArgs(Name, _paramCount, _firstMoments is not null, weights, gradients);
        ++_step;

        float lower = 0f, upper = float.MaxValue;
        if (AdaBound)
        {
            lower = 0.1f - 0.1f / ((1 - Beta2) * _step + 1);
            upper = 0.1f + 0.1f / ((1 - Beta2) * _step);
        }
        if (Backend.Kind == BackendKind.Cuda)
        {
            StepCuda(lossScale, lower, upper, weights, gradients);
            return;
        }
        var shared = new AdamKernelArgs(lossScale, Beta1, Beta2, Epsilon, lower, upper, RelativeDecay, AbsoluteDecay, ClippingMagnitude);
        // The two regions differ only in these three values (and whether they are optimised at all).
        var matrix = new AdamRegion(LearningRate, L2Reg, SkipZeroGradients: false);
        var nonMatrix = new AdamRegion(LearningRate * NonMatrixLearningRateFactor, 0f, SkipZeroGradients: true);

        var m = _firstMoments!.All;
        var v = _secondMoments!.All;
        var steps = _paramSteps!.All;
        long split = _matrixParamCount;
        bool doMatrix = OptimizeMatrixParams, doNonMatrix = OptimizeNonMatrixParams;
        bool simd = typeof(T) == typeof(float) && !ForceScalar && AdamSimd.IsSupported;
        if (simd && (_corrections is null || _corrections.Beta1 != Beta1 || _corrections.Beta2 != Beta2) && !ForceExpCorrection)
            _corrections = BiasCorrectionTable.TryCreate(Beta1, Beta2);
        var corrections = ForceExpCorrection ? null : _corrections;

        CpuParallel.ForTiles(_paramCount, TileSize, (start, end) =>
        {
            int mid = (int)Math.Clamp(split, start, end);
            if (doMatrix && mid > start) Run(shared, matrix, start, mid);
            if (doNonMatrix && end > mid) Run(shared, nonMatrix, mid, end);
        });

        void Run(in AdamKernelArgs a, in AdamRegion r, int from, int to)
        {
            int n = to - from;
            var w = weights.AsSpan().Slice(from, n);
            var g = gradients.AsSpan().Slice(from, n);
            var mm = m.AsSpan().Slice(from, n);
            var vv = v.AsSpan().Slice(from, n);
            var ss = steps.AsSpan().Slice(from, n);
            if (simd)
                AdamSimd.Step(a, r, corrections, MemoryMarshal.Cast<T, float>(w), MemoryMarshal.Cast<T, float>(g),
                    MemoryMarshal.Cast<T, float>(mm), MemoryMarshal.Cast<T, float>(vv), ss);
            else
                StepScalar(a, r, w, g, mm, vv, ss);
        }
    }

    /// <summary>Elements per parallel tile (fixed, so results never depend on the thread count).</summary>
    internal const int TileSize = 1 << 15;

    /// <summary>
    /// The reference update for one contiguous region (all matrix or all non-matrix parameters), in T.
    /// weights, gradients, m, v, steps: [n].
    /// </summary>
    internal static void StepScalar(in AdamKernelArgs a, in AdamRegion r, Span<T> weights, ReadOnlySpan<T> gradients,
        Span<T> m, Span<T> v, Span<uint> steps)
    {
        T lossScale = T.CreateTruncating(a.LossScale), beta1 = T.CreateTruncating(a.Beta1), beta2 = T.CreateTruncating(a.Beta2);
        T epsilon = T.CreateTruncating(a.Epsilon), lower = T.CreateTruncating(a.LowerBound), upper = T.CreateTruncating(a.UpperBound);
        T relative = T.CreateTruncating(a.RelativeDecay), absolute = T.Abs(T.CreateTruncating(a.AbsoluteDecay));
        T clip = T.CreateTruncating(a.ClippingMagnitude), l2 = T.CreateTruncating(r.L2Reg), baseLr = T.CreateTruncating(r.LearningRate);
        T one = T.One;
        for (int i = 0; i < weights.Length; i++)
        {
            T gradient = gradients[i] / lossScale;
            if (r.SkipZeroGradients && gradient == T.Zero) continue;
            T weight = weights[i];
            gradient += l2 * weight;
            T firstMoment = m[i] = beta1 * m[i] + (one - beta1) * gradient;
            T secondMoment = v[i] = beta2 * v[i] + (one - beta2) * (gradient * gradient);
            // Bias correction with this parameter's own step count.
            T n = T.CreateTruncating(++steps[i]);
            T lr = baseLr * (T.Sqrt(one - T.Pow(beta2, n)) / (one - T.Pow(beta1, n)));
            T effectiveLr = T.Min(T.Max(lr / (T.Sqrt(secondMoment) + epsilon), lower), upper);
            T decayed = (one - relative * lr) * weight - T.CopySign(absolute * lr, weight);
            T updated = decayed - effectiveLr * firstMoment;
            if (clip != T.Zero) updated = T.Clamp(updated, -clip, clip);
            weights[i] = updated;
        }
    }

    public override void SaveState(BinaryWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_firstMoments is null) throw new InvalidOperationException($"{Name}: Allocate must be called before SaveState");
        OptimizerState.WriteHeader<T>(writer, Name, _paramCount);
        writer.Write(_step);
        writer.Write(LearningRate);
        OptimizerState.WriteBuffer(writer, _firstMoments);
        OptimizerState.WriteBuffer(writer, _secondMoments!);
        OptimizerState.WriteBuffer(writer, _paramSteps!);
    }

    public override void LoadState(BinaryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_firstMoments is null) throw new InvalidOperationException($"{Name}: Allocate must be called before LoadState");
        OptimizerState.ReadHeader<T>(reader, Name, _paramCount);
        long step = reader.ReadInt64();
        if (step < 0) throw new InvalidDataException($"{Name} state: negative step count {step}");
        float lr = reader.ReadSingle();
        OptimizerState.ReadBuffer(reader, _firstMoments, $"{Name} state (first moments)");
        OptimizerState.ReadBuffer(reader, _secondMoments!, $"{Name} state (second moments)");
        OptimizerState.ReadBuffer(reader, _paramSteps!, $"{Name} state (parameter steps)");
        _step = step;
        LearningRate = lr;
    }

    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = Name,
        ["beta1"] = ConfigReading.Json(Beta1),
        ["beta2"] = ConfigReading.Json(Beta2),
        ["epsilon"] = ConfigReading.Json(Epsilon),
        ["learning_rate"] = ConfigReading.Json(LearningRate),
        ["l2_reg"] = ConfigReading.Json(L2Reg),
        ["adabound"] = AdaBound,
        ["relative_decay"] = ConfigReading.Json(RelativeDecay),
        ["absolute_decay"] = ConfigReading.Json(AbsoluteDecay),
        ["clipping_magnitude"] = ConfigReading.Json(ClippingMagnitude),
        ["non_matrix_learning_rate_factor"] = ConfigReading.Json(NonMatrixLearningRateFactor),
        ["optimize_matrix_params"] = OptimizeMatrixParams,
        ["optimize_non_matrix_params"] = OptimizeNonMatrixParams,
    };

    /// <summary>The moments and counters (host copies, for tests and debugging).</summary>
    internal (T[] FirstMoments, T[] SecondMoments, uint[] ParamSteps) StateSnapshot() =>
        (Backend.ToArray(_firstMoments!.All), Backend.ToArray(_secondMoments!.All), Backend.ToArray(_paramSteps!.All));

    void FreeState()
    {
        _firstMoments?.Dispose(); _secondMoments?.Dispose(); _paramSteps?.Dispose();
        _firstMoments = _secondMoments = null; _paramSteps = null;
    }

    public override void Dispose()
    {
        FreeState();
        FreeCudaState();
        base.Dispose();
    }
}

/// <summary>Adam values shared by both parameter regions of one step.</summary>
internal readonly record struct AdamKernelArgs(float LossScale, float Beta1, float Beta2, float Epsilon,
    float LowerBound, float UpperBound, float RelativeDecay, float AbsoluteDecay, float ClippingMagnitude);

/// <summary>What differs between matrix and non-matrix parameters.</summary>
internal readonly record struct AdamRegion(float LearningRate, float L2Reg, bool SkipZeroGradients);
