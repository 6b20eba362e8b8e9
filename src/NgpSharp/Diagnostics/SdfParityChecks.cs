using System.Globalization;
using NgpSharp.Compute;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;
using NgpSharp.Nn.Sdf;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of the NeuS geometry network (SdfNetwork.cu) and of the grid's Jacobian kernels
/// (HashGridJacobian.cu): sdf + features, ∇ₓsdf (analytic or central differences), and dL/dθ — MLP and grid parts
/// compared separately, each relative to its own largest value — without and with an eikonal dL/d∇ (the double
/// backward), for softplus β = 100 + weight norm and ReLU without weight norm, Overwrite and Accumulate.
/// </summary>
/// <remarks>
/// Parameters: sphere init, then every MLP weight moved by ±0.1 (so the grid columns of W₁ carry gradient) and the
/// grid uniform in ±0.1, as after some training. Positions uniform in [−r, r)³. The eikonal dL/d∇ is each backend's
/// own 2(‖∇‖ − 1)·∇/‖∇‖ / N, as in training. Bounds: <see cref="Parity.Fp32Bound"/> (1e-4). Both sides compute the
/// grid input u = (x + r)·(1/2r) with the same two float operations, so cells agree and only rounding differs:
/// summation order in the MLP dot products and weight-gradient chunks (~1e-6), and fp32 atomics in the grid's
/// gradient (a few ulps of each entry's running sum). The σ'' = β·σ'(1 − σ') term (up to β/4 = 25) amplifies the
/// pre-activation's rounding, still ~1e-6 relative. Finite differences divide sdf differences by 2·eps = 2e-3, so
/// their ∇ carries ~1e-7/2e-3 of |sdf| per ulp: compared with 1e-3. Measured on the host emulator: analytic checks
/// 1.5e-7 to 3.5e-7, finite differences 3.1e-5 (softplus) and 3e-7 (ReLU), grid Jacobian 0 (same order as the CPU).
/// </remarks>
public static class SdfParityChecks
{
    const double FiniteDifferenceBound = 1e-3;

    /// <summary>All SDF network and grid-Jacobian parity checks.</summary>
    public static IEnumerable<ParityCheck> Checks()
    {
        var softplus = Settings(SdfActivation.Softplus, weightNorm: true);
        var relu = Settings(SdfActivation.ReLU, weightNorm: false);
        yield return Network("softplus+wn analytic, eikonal", softplus, 3001, Mode.Eikonal, GradientMode.Overwrite, seed: 41);
        yield return Network("softplus+wn analytic, no dL/d∇", softplus, 3001, Mode.GradientNoLoss, GradientMode.Overwrite, seed: 42);
        yield return Network("softplus+wn no ∇", softplus, 2000, Mode.NoGradient, GradientMode.Accumulate, seed: 43);
        yield return Network("relu analytic, eikonal, accumulate", relu, 3001, Mode.Eikonal, GradientMode.Accumulate, seed: 44);
        yield return Network("softplus+wn progressive 5/8 levels, eikonal", softplus with
        {
            ProgressiveBand = true, StartLevel = 5, UpdateSteps = 1000, FiniteDifferenceEps = 1e-3,
        }, 2500, Mode.Eikonal, GradientMode.Overwrite, seed: 45);
        yield return Network("softplus+wn finite differences, eikonal", softplus with { GradType = SdfGradientType.FiniteDifference },
            1000, Mode.Eikonal, GradientMode.Overwrite, seed: 46, gradientBound: FiniteDifferenceBound);
        yield return Network("relu finite differences, eikonal, accumulate", relu with { GradType = SdfGradientType.FiniteDifference },
            1000, Mode.Eikonal, GradientMode.Accumulate, seed: 47, gradientBound: FiniteDifferenceBound);
        yield return Network("softplus+wn xyz off, F4 L6, 32 neurons, 1 output", softplus with
        {
            IncludeXyz = false, FeaturesPerLevel = 4, NLevels = 6, FeatureDim = 1, Neurons = 32,
        }, 2001, Mode.Eikonal, GradientMode.Overwrite, seed: 48);

        yield return GridJacobian(new HashGridParityChecks.GridSpec(3, 2), 3001, GradientMode.Overwrite);
        yield return GridJacobian(new HashGridParityChecks.GridSpec(3, 4, Interpolation: GridInterpolation.Smoothstep, ActiveLevels: 5), 3001, GradientMode.Accumulate);
        yield return GridJacobian(new HashGridParityChecks.GridSpec(2, 8, 6, 12, 8, 2.0, GridType.Dense), 2001, GradientMode.Overwrite);
        yield return GridJacobian(new HashGridParityChecks.GridSpec(3, 2, 7, Alignment: 8), 1000, GradientMode.Overwrite);
    }

    enum Mode { NoGradient, GradientNoLoss, Eikonal }

    /// <summary>A NeuS-like network at test size: 8 hashed/dense levels of F 2 from N_min 16, 64 neurons, 13 outputs.</summary>
    static SdfNetworkSettings Settings(SdfActivation activation, bool weightNorm) => new()
    {
        Radius = 1.5, FeatureDim = 13, GradType = SdfGradientType.Analytic, FiniteDifferenceEps = 1e-3,
        NLevels = 8, FeaturesPerLevel = 2, Log2HashmapSize = 14, BaseResolution = 16, PerLevelScale = 1.5,
        Neurons = 64, SphereInit = activation == SdfActivation.Softplus, Activation = activation, SoftplusBeta = 100,
        WeightNorm = weightNorm,
    };

    static ParityCheck Network(string what, SdfNetworkSettings settings, int n, Mode mode, GradientMode gradientMode, ulong seed,
        double gradientBound = Parity.Fp32Bound) =>
        new(string.Create(CultureInfo.InvariantCulture, $"sdf network {what} N{n}"), (cpu, device) =>
        {
            var (theta, g0, x, dO) = NetworkInputs(cpu, settings, n, seed);
            var a = RunNetwork(cpu, settings, theta, g0, x, dO, n, mode, gradientMode);
            var b = RunNetwork(device, settings, theta, g0, x, dO, n, mode, gradientMode);
            double bound = Parity.Fp32Bound;
            var results = new List<ParityResult>
            {
                new(Parity.RelativeError(a.Output, b.Output), bound, "sdf + features"),
                new(Parity.RelativeError(a.Gradients[..a.MlpCount], b.Gradients[..a.MlpCount]), bound, $"dL/dθ MLP ({gradientMode})"),
                new(Parity.RelativeError(a.Gradients[a.MlpCount..], b.Gradients[a.MlpCount..]), bound, $"dL/dθ grid ({gradientMode})"),
            };
            if (mode != Mode.NoGradient) results.Add(new(Parity.RelativeError(a.Gradient, b.Gradient), gradientBound, "∇ₓsdf"));
            return ParityResult.Worst([.. results]);
        });

    static (float[] Theta, float[] G0, float[] X, float[] DOutput) NetworkInputs(Backend cpu, SdfNetworkSettings settings, int n, ulong seed)
    {
        using var net = new SdfNetwork<float>(cpu, settings);
        using var p = cpu.Allocate<float>(net.ParamCount);
        var rng = new Rng(seed);
        net.InitializeParams(ref rng, p.All);
        var theta = cpu.ToArray(p.All);
        for (long i = 0; i < theta.Length; i++)
            theta[i] = i < net.MlpParamCount ? theta[i] + 0.2f * rng.NextFloat() - 0.1f : 0.2f * rng.NextFloat() - 0.1f;
        float r = (float)settings.Radius;
        return (theta, Parity.Random(theta.Length, seed + 1, -0.5f, 0.5f), Parity.Random(3 * n, seed + 2, -r, r),
            Parity.Random(n * settings.FeatureDim, seed + 3, -1f, 1f));
    }

    sealed record NetworkResult(float[] Output, float[] Gradient, float[] Gradients, int MlpCount);

    static NetworkResult RunNetwork(Backend be, SdfNetworkSettings settings, float[] theta, float[] g0, float[] x, float[] dO, int n,
        Mode mode, GradientMode gradientMode)
    {
        using var net = new SdfNetwork<float>(be, settings);
        net.UpdateStep(0);
        using var p = be.Upload<float>(theta);
        using var g = be.Upload<float>(g0);
        net.SetParams(p.All, g.All);
        using var xb = be.Upload<float>(x);
        using var ob = be.AllocateMatrix<float>(n, net.OutputWidth, out var output);
        using var gb = be.AllocateMatrix<float>(n, 3, out var gradient);
        using var dOb = be.Upload<float>(dO);
        float[] grad = [];
        using (var ctx = net.Forward(xb.AsMatrix(n, 3), output, mode == Mode.NoGradient ? null : gradient))
        {
            DeviceMatrix<float>? dG = null;
            using var dGb = be.AllocateMatrix<float>(n, 3, out var dGm);
            if (mode != Mode.NoGradient)
            {
                grad = be.ToArray(gradient.Data);
                if (mode == Mode.Eikonal)
                {
                    be.CopyFromHost<float>(Eikonal(grad, n), dGm.Data);
                    dG = dGm;
                }
            }
            net.Backward(ctx, dOb.AsMatrix(n, net.OutputWidth), dG, gradientMode);
        }
        be.Synchronize();
        return new(be.ToArray(output.Data), grad, be.ToArray(g.All), (int)net.MlpParamCount);
    }

    /// <summary>d/d∇ of mean (‖∇‖ − 1)²: 2(‖∇‖ − 1)·∇/‖∇‖ / N.</summary>
    static float[] Eikonal(float[] gradient, int n)
    {
        var d = new float[gradient.Length];
        for (int i = 0; i < n; i++)
        {
            float gx = gradient[3 * i], gy = gradient[3 * i + 1], gz = gradient[3 * i + 2];
            float norm = MathF.Max(1e-6f, MathF.Sqrt(gx * gx + gy * gy + gz * gz)), scale = 2f * (norm - 1f) / norm / n;
            d[3 * i] = scale * gx;
            d[3 * i + 1] = scale * gy;
            d[3 * i + 2] = scale * gz;
        }
        return d;
    }

    /// <summary>HashGrid.JacobianVectorProduct and BackwardWithJacobian (θ uniform in ±1, directions in ±1).</summary>
    static ParityCheck GridJacobian(HashGridParityChecks.GridSpec spec, int batch, GradientMode mode) =>
        new(string.Create(CultureInfo.InvariantCulture, $"hashgrid jacobian {spec} B{batch} {mode.ToString().ToLowerInvariant()}"), (cpu, device) =>
        {
            var a = RunGridJacobian(cpu, spec, batch, mode);
            var b = RunGridJacobian(device, spec, batch, mode);
            return ParityResult.Worst(
                new(Parity.RelativeError(a.Product, b.Product), Parity.Fp32Bound, "J·v"),
                new(Parity.RelativeError(a.Gradients, b.Gradients), Parity.Fp32Bound, $"dL/dθ ({mode})"));
        });

    static (float[] Product, float[] Gradients) RunGridJacobian(Backend be, HashGridParityChecks.GridSpec spec, int batch, GradientMode mode)
    {
        using var grid = spec.Create(be);
        int count = (int)grid.ParamCount, dims = grid.InputWidth, width = grid.OutputWidth;
        using var p = be.Upload<float>(Parity.Random(count, 51, -1f, 1f));
        using var g = be.Upload<float>(Parity.Random(count, 52, -0.5f, 0.5f));
        grid.SetParams(p.All, g.All);
        using var x = be.Upload<float>(Parity.Random(batch * dims, 53));
        using var v = be.Upload<float>(Parity.Random(batch * dims, 54, -1f, 1f));
        using var dy = be.Upload<float>(Parity.Random(batch * width, 55, -1f, 1f));
        using var u = be.Upload<float>(Parity.Random(batch * width, 56, -1f, 1f));
        // Garbage in the product's buffer: every column (inactive levels and padding included) must be written.
        using var jv = be.Upload<float>(Parity.Random(batch * width, 57, 5f, 6f));
        var xm = x.AsMatrix(batch, dims);
        var vm = v.AsMatrix(batch, dims);
        grid.JacobianVectorProduct(xm, vm, jv.AsMatrix(batch, width));
        grid.BackwardWithJacobian(xm, dy.AsMatrix(batch, width), vm, u.AsMatrix(batch, width), mode);
        be.Synchronize();
        return (be.ToArray(jv.All), be.ToArray(g.All));
    }
}
