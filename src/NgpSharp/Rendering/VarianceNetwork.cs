namespace NgpSharp.Rendering;

/// <summary>
/// NeuS's learned sharpness (instant-nsr-pl VarianceNetwork): one scalar v, inv_s = exp(10·v), clipped to
/// [1e-6, 1e6] where it is used (and, with modulation, capped at a value that rises linearly to max_inv_s).
/// instant-nsr-pl trains v in its own AdamW parameter group at lr 1e-3 (the networks use 1e-2), so this class owns
/// that optimizer: the system adds dL/dinv_s from the renderer with <see cref="AccumulateInvSGradient"/> and calls
/// <see cref="Step"/> with the step's learning-rate factor (the same schedule factor the other groups use).
/// Host-side double precision: it is one number.
/// </summary>
public sealed class VarianceNetwork
{
    public const double DefaultInitialValue = 0.3;
    public const double DefaultLearningRate = 1e-3;
    /// <summary>torch.optim.AdamW's defaults as instant-nsr-pl's configs leave them (betas from the configs).</summary>
    public const double DefaultBeta1 = 0.9, DefaultBeta2 = 0.99, DefaultEpsilon = 1e-15, DefaultWeightDecay = 1e-2;

    double _gradient, _m, _v;

    public VarianceNetwork(double initialValue = DefaultInitialValue, double learningRate = DefaultLearningRate,
        double beta1 = DefaultBeta1, double beta2 = DefaultBeta2, double epsilon = DefaultEpsilon, double weightDecay = DefaultWeightDecay)
    {
        if (!double.IsFinite(initialValue)) throw new ArgumentOutOfRangeException(nameof(initialValue), initialValue, "variance: init_val must be finite");
        if (!(learningRate >= 0) || !double.IsFinite(learningRate)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "variance: learning rate must be ≥ 0");
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), "variance: Adam betas must be in [0, 1)");
        if (!(epsilon >= 0) || !(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), "variance: eps and weight decay must be ≥ 0");
        Value = initialValue;
        LearningRate = learningRate; Beta1 = beta1; Beta2 = beta2; Epsilon = epsilon; WeightDecay = weightDecay;
    }

    /// <summary>v (instant-nsr-pl's `variance` parameter).</summary>
    public double Value { get; private set; }

    public double LearningRate { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Epsilon { get; }
    public double WeightDecay { get; }

    /// <summary>Optimizer steps taken.</summary>
    public long StepCount { get; private set; }

    /// <summary>The accumulated dL/dv since the last <see cref="Step"/>.</summary>
    public double Gradient => _gradient;

    /// <summary>Modulation (instant-nsr-pl `modulate`): after this many steps inv_s is capped (null: off).</summary>
    public (long StartStep, long ReachMaxStep, double MaxInvS)? Modulation { get; set; }

    double? _cap;
    double _invSBeforeModulation;

    /// <summary>exp(10·v) before the clip (instant-nsr-pl's `inv_s` property, logged as train/inv_s).</summary>
    public double RawInvS => Math.Exp(10 * Value);

    /// <summary>The s the renderer uses: exp(10·v), capped by modulation, clipped to [1e-6, 1e6].</summary>
    public double InvS => Math.Clamp(Capped(RawInvS), NeusAlpha.MinInvS, NeusAlpha.MaxInvS);

    double Capped(double raw) => _cap is { } cap ? Math.Min(raw, cap) : raw;

    /// <summary>
    /// instant-nsr-pl update_step: with modulation, inv_s is free up to StartStep, then capped at
    /// min(step / ReachMaxStep · (MaxInvS − inv_s at StartStep) + inv_s at StartStep, MaxInvS).
    /// </summary>
    public void UpdateStep(long globalStep)
    {
        if (Modulation is not { } mod) { _cap = null; return; }
        if (globalStep <= mod.StartStep) { _cap = null; _invSBeforeModulation = RawInvS; return; }
        _cap = Math.Min((double)globalStep / mod.ReachMaxStep * (mod.MaxInvS - _invSBeforeModulation) + _invSBeforeModulation, mod.MaxInvS);
    }

    /// <summary>
    /// Adds dL/dv = dL/dinv_s · dinv_s/dv: 10·inv_s where neither the clip nor the modulation cap bites (PyTorch's
    /// clamp passes gradients on its closed range), 0 otherwise.
    /// </summary>
    public void AccumulateInvSGradient(double dLdInvS)
    {
        double raw = RawInvS, capped = Capped(raw);
        bool free = (_cap is not { } cap || raw <= cap) && capped >= NeusAlpha.MinInvS && capped <= NeusAlpha.MaxInvS;
        if (free) _gradient += dLdInvS * 10 * raw;
    }

    /// <summary>Drops the accumulated gradient (a step that is redone, e.g. after running out of device memory).</summary>
    public void ClearGradient() => _gradient = 0;

    /// <summary>Adds a gradient w.r.t. v directly.</summary>
    public void AccumulateGradient(double dLdValue) => _gradient += dLdValue;

    /// <summary>
    /// One AdamW step (torch.optim.AdamW) at lr = LearningRate·<paramref name="learningRateFactor"/> on the
    /// accumulated gradient, which is then cleared: v ← v(1 − lr·wd); m, v̂ moments with bias correction;
    /// v ← v − lr·m̂/(√v̂ + eps).
    /// </summary>
    public void Step(double learningRateFactor = 1)
    {
        if (!(learningRateFactor >= 0) || !double.IsFinite(learningRateFactor))
            throw new ArgumentOutOfRangeException(nameof(learningRateFactor), learningRateFactor, "variance: learning-rate factor must be ≥ 0");
        double lr = LearningRate * learningRateFactor, g = _gradient;
        StepCount++;
        double value = Value * (1 - lr * WeightDecay);
        _m = Beta1 * _m + (1 - Beta1) * g;
        _v = Beta2 * _v + (1 - Beta2) * g * g;
        double mHat = _m / (1 - Math.Pow(Beta1, StepCount));
        double vHat = _v / (1 - Math.Pow(Beta2, StepCount));
        Value = value - lr * mHat / (Math.Sqrt(vHat) + Epsilon);
        _gradient = 0;
    }

    /// <summary>Everything a checkpoint needs: v, Adam's moments and step count, the modulation state.</summary>
    public VarianceState State => new(Value, _m, _v, StepCount, _cap, _invSBeforeModulation);

    public void Restore(VarianceState state)
    {
        if (!double.IsFinite(state.Value) || !double.IsFinite(state.FirstMoment) || !(state.SecondMoment >= 0) || state.StepCount < 0)
            throw new ArgumentException($"variance: invalid saved state {state}");
        Value = state.Value; _m = state.FirstMoment; _v = state.SecondMoment; StepCount = state.StepCount;
        _cap = state.ModulationCap; _invSBeforeModulation = state.InvSBeforeModulation;
        _gradient = 0;
    }
}

/// <summary>The saved state of a <see cref="VarianceNetwork"/>.</summary>
public readonly record struct VarianceState(double Value, double FirstMoment, double SecondMoment, long StepCount,
    double? ModulationCap, double InvSBeforeModulation);
