using System.Runtime.CompilerServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Nn.Encodings;

// Second-order support for surface networks (NeuS): the grid's Jacobian J(x) = ∂y/∂x is linear in the parameters θ,
// so a loss that uses J (an eikonal term on an analytic normal) has a parameter gradient computed by the same
// corner sums as the forward pass. The CUDA twin (T = float) is HashGrid.Jacobian.Cuda.cs + HashGridJacobian.cu.
public sealed partial class HashGrid<T>
{
    /// <summary>
    /// The Jacobian-vector product J(x)·v: output[b, l·F + f] = Σ_d ∂y_{l,f}/∂x_d · direction[b, d] (the directional
    /// derivative of the encoding along v). input: [B, d]; direction: [B, d]; output: [B, OutputWidth] (inactive levels
    /// and padding get 0). Linear or Smoothstep interpolation only.
    /// </summary>
    public unsafe void JacobianVectorProduct(DeviceMatrix<T> input, DeviceMatrix<T> direction, DeviceMatrix<T> output)
    {
        CheckJacobianCall(input, direction, output, "output", nameof(JacobianVectorProduct));
        if (Backend.Kind == BackendKind.Cuda) { JacobianVectorProductCuda(input, direction, output); return; }
        var (p, pOff) = Host(Params);
        int dims = InputDims, features = FeaturesPerLevel, active = _activeLevels, batch = input.Rows;
        if (batch == 0) return;
        var xSoa = PositionsToSoa(input);
        var vSoa = RowsToSoa(direction, ref _vSoa);
        var soa = Grow(ref _featureSoa, (long)active * features * batch);
        bool simd = UseFloatSimdDerivatives;
        // Level-major work items (one table hot at a time), each writing its own block of the [L, B, F] scratch.
        int chunks = CpuParallel.TileCount(batch, ForwardChunk);
        CpuParallel.ForTiles((long)active * chunks, 1, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int l = item / chunks, start = item % chunks * ForwardChunk, end = Math.Min(batch, start + ForwardChunk);
                ref readonly GridLevel level = ref _levels[l];
                int tableStart = (int)(pOff + level.Offset * features), tableLength = (int)level.Size * features;
                if (simd)
                {
                    fixed (float* x = Unsafe.As<float[]>(xSoa), v = Unsafe.As<float[]>(vSoa), table = Unsafe.As<float[]>(p), y = Unsafe.As<float[]>(soa))
                        HashGridKernelsFloat.JacobianVectorProductLevel(level, dims, Interpolation, x, v, batch, table + tableStart,
                            y + l * features * batch, start, end);
                }
                else
                {
                    HashGridJacobianKernels<T>.JacobianVectorProductLevel(level, dims, features, Interpolation, xSoa.AsSpan(0, dims * batch),
                        vSoa.AsSpan(0, dims * batch), batch, p.AsSpan(tableStart, tableLength),
                        soa.AsSpan(l * features * batch, features * batch), start, end);
                }
            }
        });
        FeaturesToRows(soa, active, output);
        int encoded = EncodedWidth, width = output.Cols;
        if (encoded < width)
        {
            var y = output.AsSpan();
            for (int i = 0; i < batch; i++) y.Slice(i * width + encoded, width - encoded).Clear();
        }
    }

    /// <summary>
    /// dL/dθ for L = Σ_b ⟨dLdOutput[b], y(x_b)⟩ + ⟨jacobianCotangent[b], J(x_b)·direction[b]⟩: the ordinary backward
    /// plus the gradient of a term that uses the grid's Jacobian (the double backward of an input gradient).
    /// input, direction: [B, d]; dLdOutput, jacobianCotangent: [B, OutputWidth]. Each level is summed by one thread
    /// in sample order (deterministic). Linear or Smoothstep interpolation only. CUDA: fp32 atomics (not
    /// bit-reproducible) and fp32 parameters whatever <see cref="ParameterPrecision"/> says.
    /// </summary>
    public unsafe void BackwardWithJacobian(DeviceMatrix<T> input, DeviceMatrix<T> dLdOutput, DeviceMatrix<T> direction,
        DeviceMatrix<T> jacobianCotangent, GradientMode paramGradients = GradientMode.Overwrite)
    {
        CheckJacobianCall(input, direction, dLdOutput, "dLdOutput", nameof(BackwardWithJacobian));
        if (jacobianCotangent.Rows != input.Rows || jacobianCotangent.Cols != OutputWidth)
            throw new ArgumentException($"HashGrid.{nameof(BackwardWithJacobian)}: jacobianCotangent is {jacobianCotangent}, expected [{input.Rows}, {OutputWidth}]");
        if (paramGradients == GradientMode.Ignore) return;
        if (Gradients.IsEmpty) throw new InvalidOperationException("HashGrid: parameter gradients requested before SetParams");
        if (Backend.Kind == BackendKind.Cuda) { BackwardWithJacobianCuda(input, dLdOutput, direction, jacobianCotangent, paramGradients); return; }
        var (g, gOff) = Host(Gradients);
        int dims = InputDims, features = FeaturesPerLevel, active = _activeLevels, batch = input.Rows;
        var xSoa = PositionsToSoa(input);
        var vSoa = RowsToSoa(direction, ref _vSoa);
        var dySoa = RowsToFeatures(dLdOutput, active, ref _featureSoa);
        var uSoa = RowsToFeatures(jacobianCotangent, active, ref _cotangentSoa);
        bool simd = UseFloatSimdDerivatives;
        CpuParallel.ForTiles(NLevels, 1, (first, last) =>
        {
            for (int l = first; l < last; l++)
            {
                ref readonly GridLevel level = ref _levels[l];
                int gradStart = (int)(gOff + level.Offset * features), gradLength = (int)level.Size * features;
                var grad = g.AsSpan(gradStart, gradLength);
                if (paramGradients == GradientMode.Overwrite) grad.Clear();
                if (l >= active || batch == 0) continue;
                int block = l * features * batch;
                if (simd)
                {
                    fixed (float* x = Unsafe.As<float[]>(xSoa), v = Unsafe.As<float[]>(vSoa), dy = Unsafe.As<float[]>(dySoa),
                           u = Unsafe.As<float[]>(uSoa), gr = Unsafe.As<float[]>(g))
                        HashGridKernelsFloat.BackwardJacobianLevel(level, dims, Interpolation, x, v, batch, dy + block, u + block, gr + gradStart);
                }
                else
                {
                    HashGridJacobianKernels<T>.BackwardLevel(level, dims, features, Interpolation, xSoa.AsSpan(0, dims * batch),
                        vSoa.AsSpan(0, dims * batch), batch, dySoa.AsSpan(block, features * batch), uSoa.AsSpan(block, features * batch),
                        grad, 0, batch);
                }
            }
        });
    }

    void CheckJacobianCall(DeviceMatrix<T> input, DeviceMatrix<T> direction, DeviceMatrix<T> perFeature, string perFeatureName, string op)
    {
        if (Interpolation == GridInterpolation.Nearest)
            throw new NotSupportedException($"HashGrid.{op}: Nearest interpolation has no Jacobian (use Linear or Smoothstep)");
        if (Params.IsEmpty) throw new InvalidOperationException($"HashGrid.{op}: SetParams has not been called");
        if (input.Cols != InputDims) throw new ArgumentException($"HashGrid.{op}: input is {input}, expected [B, {InputDims}]");
        if (direction.Rows != input.Rows || direction.Cols != InputDims)
            throw new ArgumentException($"HashGrid.{op}: direction is {direction}, expected [{input.Rows}, {InputDims}]");
        if (perFeature.Rows != input.Rows || perFeature.Cols != OutputWidth)
            throw new ArgumentException($"HashGrid.{op}: {perFeatureName} is {perFeature}, expected [{input.Rows}, {OutputWidth}]");
    }
}
