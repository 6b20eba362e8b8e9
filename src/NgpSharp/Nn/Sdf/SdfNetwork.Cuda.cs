using System.Globalization;
using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Nn.Sdf;

// The CUDA passes (T = float; kernels in SdfNetwork.cu, the grid's in HashGrid.cu and HashGridJacobian.cu). Same
// steps and formulas as SdfNetwork.Cpu.cs:
//   Forward   effective weights (weight norm, once per call) → points (N, or 7N for finite differences) and
//             u = (x + r)/(2r) → grid h(u) → per-sample MLP (+ its input gradient dz) → ∇ₓ += (1/2r)·J_hᵀ dz_h
//             (the grid's input-gradient kernel) or central differences.
//   Backward  finite differences: ±dL/d∇/(2eps) on the offset rows' sdf. Analytic with dL/d∇ = G: J_h·(G/2r) by the
//             grid's Jacobian kernel; per-sample δ, γ, p⊙s, dL/dh; weight gradients by ordered chunk sums (no atomics,
//             deterministic), weight-norm chain rule; the grid's gradient of ⟨dL/dh, h⟩ + ⟨dz_h, J_h·(G/2r)⟩ by
//             atomics (HashGrid.BackwardWithJacobian), or the ordinary grid backward without G.
public sealed partial class SdfNetwork<T>
{
    const string CudaSource = "SdfNetwork.cu";
    const uint SampleThreads = 128, ElementThreads = 256, PartialThreads = 128;
    /// <summary>Rows per weight-gradient chunk (one partial sum per chunk, then summed in order).</summary>
    const int CudaChunkRows = 512;

    SdfCudaKernels? _cudaKernels;

    sealed record SdfCudaKernels(CudaFunction EffectiveWeights, CudaFunction PreparePoints, CudaFunction Forward,
        CudaFunction ScaleAdd, CudaFunction CentralDifferences, CudaFunction FdOutputGradient, CudaFunction BackwardSamples,
        CudaFunction WeightPartials, CudaFunction ReducePartials, CudaFunction WeightGradients);

    /// <summary>What a CUDA Forward keeps (buffers owned: freed with the context).</summary>
    sealed class CudaContext : ForwardContext
    {
        public required object Owner;
        public required int Points, Rows;            // N, and rows through the MLP (N or 7N)
        public required bool HasGradient, Analytic;
        public required float Eps;
        public DeviceBuffer<T> Weights = null!;      // effective [W₁, b₁, W₂, b₂]
        public DeviceMatrix<T> X, U, H, V;            // [Rows, 3] points, [Rows, 3] grid input, [Rows, LF] × 2 (V: analytic ∇ only)
        public ForwardContext GridCtx = ForwardContext.Empty;

        public override void Dispose()
        {
            if (IsDisposed) return;
            GridCtx.Dispose();
            base.Dispose();
        }
    }

    /// <summary>Effective MLP parameters: W₁ [n, in], b₁ [n], W₂ [F, n], b₂ [F].</summary>
    long EffectiveParamCount => (long)_hidden * _in + _hidden + (long)_out * _hidden + _out;
    float CudaRadius => (float)Settings.Radius;
    float CudaHalf => 1f / (CudaRadius + CudaRadius);

    ForwardContext ForwardCuda(DeviceMatrix<T> positions, DeviceMatrix<T> output, DeviceMatrix<T>? gradient, bool prepareBackward)
    {
        var cuda = (CudaBackend)Backend;
        var k = CudaKernels(cuda);
        int n = positions.Rows, lf = Grid.OutputWidth;
        bool analytic = Settings.GradType == SdfGradientType.Analytic;
        bool fd = gradient is not null && !analytic;
        float eps = (float)FiniteDifferenceStep, r = CudaRadius;
        int rows = fd ? checked(7 * n) : n;
        var ctx = new CudaContext { Owner = this, Points = n, Rows = rows, HasGradient = gradient is not null, Analytic = analytic && gradient is not null, Eps = eps };
        try
        {
            ctx.Weights = ctx.Own(Backend.Allocate<T>(EffectiveParamCount));
            cuda.Launch(k.EffectiveWeights, LaunchShape.Linear(_hidden + _out, 64), new SdfEffectiveWeightsArgs
            {
                Params = Params.Pointer(), Weights = ctx.Weights.All.Pointer(), WeightNorm = Settings.WeightNorm ? 1u : 0u,
            });
            ctx.Own(Backend.AllocateMatrix<T>(rows, 3, out ctx.X));
            ctx.Own(Backend.AllocateMatrix<T>(rows, 3, out ctx.U));
            ctx.Own(Backend.AllocateMatrix<T>(rows, lf, out ctx.H));
            DeviceMatrix<T> o = output;
            if (fd) ctx.Own(Backend.AllocateMatrix<T>(rows, _out, out o));
            DeviceMatrix<T>? analyticGradient = ctx.Analytic ? gradient : null;
            if (analyticGradient is not null) ctx.Own(Backend.AllocateMatrix<T>(rows, lf, out ctx.V));
            if (rows > 0)
            {
                cuda.Launch(k.PreparePoints, LaunchShape.Linear(rows, ElementThreads), new SdfPreparePointsArgs
                {
                    Positions = positions.Pointer(), Points = ctx.X.Pointer(), Unit = ctx.U.Pointer(),
                    N = (uint)n, Rows = (uint)rows, Radius = r, Half = CudaHalf, Eps = eps,
                });
            }
            ctx.GridCtx = Grid.Forward(ctx.U, ctx.H);
            if (rows > 0)
            {
                cuda.Launch(k.Forward, LaunchShape.Linear(rows, SampleThreads), new SdfForwardArgs
                {
                    Points = ctx.X.Pointer(), Features = ctx.H.Pointer(), Weights = ctx.Weights.All.Pointer(), Output = o.Pointer(),
                    Gradient = analyticGradient.Pointer(), GridCotangent = analyticGradient is null ? 0 : ctx.V.Pointer(),
                    Rows = (uint)rows, InvRadius = 1f / r, Beta = (float)Settings.SoftplusBeta,
                });
            }
            if (analyticGradient is { } g && rows > 0)
            {
                // ∇ₓ = dz_xyz/r (written above) + (1/2r)·J_hᵀ dz_h.
                using var du = Backend.AllocateMatrix<T>(rows, 3, out var dU);
                Grid.Backward(ctx.GridCtx, ctx.U, ctx.H, ctx.V, dU, GradientMode.Ignore);
                ScaleAdd(cuda, k, dU, g, CudaHalf, add: true);
            }
            if (fd && n > 0)
            {
                cuda.Launch(k.CentralDifferences, LaunchShape.Linear(n, ElementThreads), new SdfCentralDifferencesArgs
                {
                    Output7 = o.Pointer(), Output = output.Pointer(), Gradient = gradient.Pointer(), N = (uint)n, Inv = 1f / (eps + eps),
                });
            }
        }
        catch
        {
            ctx.Dispose();
            throw;
        }
        if (!prepareBackward) { ctx.Dispose(); return ForwardContext.Empty; }
        return ctx;
    }

    void BackwardCuda(CudaContext ctx, DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdGradient, GradientMode mode)
    {
        var cuda = (CudaBackend)Backend;
        var k = CudaKernels(cuda);
        int n = ctx.Points, rows = ctx.Rows, lf = Grid.OutputWidth;
        DeviceMatrix<T> dO = dLdOutput;
        DeviceMatrix<T>? G = ctx.Analytic ? dLdGradient : null;
        using var owned = new ForwardContext();
        if (rows != n)
        {
            owned.Own(Backend.AllocateMatrix<T>(rows, _out, out dO));
            if (rows > 0)
            {
                cuda.Launch(k.FdOutputGradient, LaunchShape.Linear(rows, ElementThreads), new SdfFdOutputGradientArgs
                {
                    DLdOutput = dLdOutput.Pointer(), DLdGradient = dLdGradient.Pointer(), DLdOutput7 = dO.Pointer(),
                    N = (uint)n, Inv = 1f / (ctx.Eps + ctx.Eps),
                });
            }
        }

        DeviceMatrix<T> direction = default, jg = default;
        if (G is { } g)
        {
            owned.Own(Backend.AllocateMatrix<T>(rows, 3, out direction));
            ScaleAdd(cuda, k, g, direction, CudaHalf, add: false);
            owned.Own(Backend.AllocateMatrix<T>(rows, lf, out jg));
            Grid.JacobianVectorProduct(ctx.U, direction, jg);
        }
        owned.Own(Backend.AllocateMatrix<T>(rows, lf, out var dh));
        owned.Own(Backend.AllocateMatrix<T>(rows, _hidden, out var hidden));
        owned.Own(Backend.AllocateMatrix<T>(rows, _hidden, out var delta));
        DeviceMatrix<T> gamma = default, ps = default;
        if (G is not null)
        {
            owned.Own(Backend.AllocateMatrix<T>(rows, _hidden, out gamma));
            owned.Own(Backend.AllocateMatrix<T>(rows, _hidden, out ps));
        }

        long p = EffectiveParamCount;
        var sum = owned.Own(Backend.Allocate<T>(p));
        float invR = 1f / CudaRadius, beta = (float)Settings.SoftplusBeta;
        if (rows > 0)
        {
            cuda.Launch(k.BackwardSamples, LaunchShape.Linear(rows, SampleThreads), new SdfBackwardSamplesArgs
            {
                Points = ctx.X.Pointer(), Features = ctx.H.Pointer(), Weights = ctx.Weights.All.Pointer(), DLdOutput = dO.Pointer(),
                DLdGradient = G.Pointer(), Jacobian = G is null ? 0 : jg.Pointer(),
                Hidden = hidden.Pointer(), Delta = delta.Pointer(), Gamma = G is null ? 0 : gamma.Pointer(), Ps = G is null ? 0 : ps.Pointer(),
                DLdFeatures = dh.Pointer(), Rows = (uint)rows, InvRadius = invR, Beta = beta,
            });
            // Chunks of ≥ 512 rows, at most 65535 of them (grid.y limit).
            int chunkRows = Math.Max(CudaChunkRows, (int)((rows + 65534L) / 65535));
            int chunks = (rows + chunkRows - 1) / chunkRows;
            var partials = owned.Own(Backend.Allocate<T>((long)chunks * p));
            cuda.Launch(k.WeightPartials, LaunchShape.Linear(p, PartialThreads) with { GridY = (uint)chunks }, new SdfWeightPartialsArgs
            {
                Points = ctx.X.Pointer(), Features = ctx.H.Pointer(), DLdOutput = dO.Pointer(),
                DLdGradient = G.Pointer(), Jacobian = G is null ? 0 : jg.Pointer(),
                Hidden = hidden.Pointer(), Delta = delta.Pointer(), Gamma = G is null ? 0 : gamma.Pointer(), Ps = G is null ? 0 : ps.Pointer(),
                Partials = partials.All.Pointer(), Rows = (uint)rows, ChunkRows = (uint)chunkRows, InvRadius = invR,
            });
            cuda.Launch(k.ReducePartials, LaunchShape.Linear(p, ElementThreads), new SdfReducePartialsArgs
            {
                Partials = partials.All.Pointer(), Sum = sum.All.Pointer(), Chunks = (uint)chunks,
            });
        }
        else Backend.Fill(sum.All, T.Zero);
        cuda.Launch(k.WeightGradients, LaunchShape.Linear(_hidden + _out, 64), new SdfWeightGradientsArgs
        {
            Params = Params.Pointer(), Sum = sum.All.Pointer(), Gradients = Gradients.Pointer(),
            WeightNorm = Settings.WeightNorm ? 1u : 0u, Accumulate = mode == GradientMode.Accumulate ? 1u : 0u,
        });

        if (G is not null) Grid.BackwardWithJacobian(ctx.U, dh, direction, ctx.V, mode);
        else Grid.Backward(ctx.GridCtx, ctx.U, ctx.H, dh, null, mode);
    }

    /// <summary>y = a·x (+ y) elementwise over two matrices of the same shape.</summary>
    static void ScaleAdd(CudaBackend cuda, SdfCudaKernels k, DeviceMatrix<T> x, DeviceMatrix<T> y, float a, bool add)
    {
        long count = (long)x.Rows * x.Cols;
        if (count == 0) return;
        cuda.Launch(k.ScaleAdd, LaunchShape.Linear(count, ElementThreads), new SdfScaleAddArgs
        {
            X = x.Pointer(), Y = y.Pointer(), Count = (uint)count, A = a, Add = add ? 1u : 0u,
        });
    }

    SdfCudaKernels CudaKernels(CudaBackend cuda)
    {
        if (_cudaKernels is { } kernels) return kernels;
        var defines = new Dictionary<string, string>
        {
            ["SDF_XYZ"] = _xyz.ToString(CultureInfo.InvariantCulture),
            ["SDF_GRID"] = Grid.OutputWidth.ToString(CultureInfo.InvariantCulture),
            ["SDF_HIDDEN"] = _hidden.ToString(CultureInfo.InvariantCulture),
            ["SDF_OUT"] = _out.ToString(CultureInfo.InvariantCulture),
            ["SDF_ACTIVATION"] = Settings.Activation == SdfActivation.ReLU ? "1" : "0",
        };
        CudaFunction Get(string name) => cuda.Modules.GetFunction(CudaSource, name, defines);
        return _cudaKernels = new SdfCudaKernels(Get("kernel_sdf_effective_weights"), Get("kernel_sdf_prepare_points"),
            Get("kernel_sdf_forward"), Get("kernel_sdf_scale_add"), Get("kernel_sdf_central_differences"),
            Get("kernel_sdf_fd_output_gradient"), Get("kernel_sdf_backward_samples"), Get("kernel_sdf_weight_partials"),
            Get("kernel_sdf_reduce_partials"), Get("kernel_sdf_weight_gradients"));
    }
}

// ---- argument structs: C# twins of the structs in SdfNetwork.cu (same order; pointers as ulong) ----

[StructLayout(LayoutKind.Sequential)]
internal struct SdfEffectiveWeightsArgs
{
    public ulong Params, Weights;
    public uint WeightNorm, Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfPreparePointsArgs
{
    public ulong Positions, Points, Unit;
    public uint N, Rows;
    public float Radius, Half, Eps;
    public uint Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfForwardArgs
{
    public ulong Points, Features, Weights, Output, Gradient, GridCotangent;
    public uint Rows;
    public float InvRadius, Beta;
    public uint Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfScaleAddArgs
{
    public ulong X, Y;
    public uint Count;
    public float A;
    public uint Add, Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfCentralDifferencesArgs
{
    public ulong Output7, Output, Gradient;
    public uint N;
    public float Inv;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfFdOutputGradientArgs
{
    public ulong DLdOutput, DLdGradient, DLdOutput7;
    public uint N;
    public float Inv;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfBackwardSamplesArgs
{
    public ulong Points, Features, Weights, DLdOutput, DLdGradient, Jacobian, Hidden, Delta, Gamma, Ps, DLdFeatures;
    public uint Rows;
    public float InvRadius, Beta;
    public uint Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfWeightPartialsArgs
{
    public ulong Points, Features, DLdOutput, DLdGradient, Jacobian, Hidden, Delta, Gamma, Ps, Partials;
    public uint Rows, ChunkRows;
    public float InvRadius;
    public uint Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfReducePartialsArgs
{
    public ulong Partials, Sum;
    public uint Chunks, Reserved;
}

[StructLayout(LayoutKind.Sequential)]
internal struct SdfWeightGradientsArgs
{
    public ulong Params, Sum, Gradients;
    public uint WeightNorm, Accumulate;
}
