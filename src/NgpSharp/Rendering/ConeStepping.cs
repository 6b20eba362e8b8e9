namespace NgpSharp.Rendering;

/// <summary>
/// instant-ngp's "stepping space" (to_stepping_space / from_stepping_space): sample n along a ray sits at t = From(n).
/// With cone angle c ≤ 1e-5 steps are uniform (MinStep); otherwise dt = MinStep while t·c is below it, then
/// exponential (t_{n+1} = (1+c)·t_n, dt ≈ t·c), then MaxStep. Stepping by whole n keeps every ray's samples on one
/// lattice, which is what lets empty-space skipping land exactly where plain stepping would.
/// </summary>
public readonly struct ConeStepping
{
    readonly float _cone, _min, _max, _log1pC, _a, _b, _at, _bt;

    public ConeStepping(float coneAngle, float minStep, float maxStep)
    {
        if (!(minStep > 0f) || !(maxStep >= minStep) || !float.IsFinite(maxStep))
            throw new ArgumentOutOfRangeException(nameof(minStep), $"step sizes must satisfy 0 < min ({minStep}) ≤ max ({maxStep})");
        if (!(coneAngle >= 0f) || !float.IsFinite(coneAngle))
            throw new ArgumentOutOfRangeException(nameof(coneAngle), coneAngle, "cone angle must be finite and ≥ 0");
        _cone = coneAngle; _min = minStep; _max = maxStep;
        if (IsUniform) { _log1pC = _a = _b = _at = _bt = 0f; return; }
        _log1pC = MathF.Log(1f + coneAngle);
        _a = (MathF.Log(minStep) - MathF.Log(_log1pC)) / _log1pC;
        _b = (MathF.Log(maxStep) - MathF.Log(_log1pC)) / _log1pC;
        _at = MathF.Exp(_a * _log1pC);
        _bt = MathF.Exp(_b * _log1pC);
    }

    public bool IsUniform => _cone <= 1e-5f;

    /// <summary>The derived constants (log(1+c), a, b, e^(a·log(1+c)), e^(b·log(1+c))) the CUDA marcher takes as arguments.</summary>
    internal (float Cone, float Log1pC, float A, float B, float At, float Bt) Constants => (_cone, _log1pC, _a, _b, _at, _bt);
    public float MinStep => _min;
    public float MaxStep => _max;

    public float ToSteppingSpace(float t)
    {
        if (IsUniform) return t / _min;
        if (t <= _at) return (t - _at) / _min + _a;
        if (t <= _bt) return MathF.Log(t) / _log1pC;
        return (t - _bt) / _max + _b;
    }

    public float FromSteppingSpace(float n)
    {
        if (IsUniform) return n * _min;
        if (n <= _a) return (n - _a) * _min + _at;
        if (n <= _b) return MathF.Exp(n * _log1pC);
        return (n - _b) * _max + _bt;
    }

    /// <summary>instant-ngp's calc_dt: the step from t to the next lattice point one unit further in stepping space.</summary>
    public float StepAt(float t) => FromSteppingSpace(ToSteppingSpace(t) + 1f) - t;
}
