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
    public void JacobianVectorProduct(DeviceMatrix<T> input, DeviceMatrix<T> direction, DeviceMatrix<T> output)
    {
        CheckJacobianCall(input, direction, output, "output", nameof(JacobianVectorProduct));
        if (Backend.Kind == BackendKind.Cuda) { JacobianVectorProductCuda(input, direction, output); return; }
        var (x, xOff) = Host(input.Data);
        var (v, vOff) = Host(direction.Data);
        var (y, yOff) = Host(output.Data);
        var (p, pOff) = Host(Params);
        int dims = InputDims, features = FeaturesPerLevel, active = _activeLevels, width = output.Cols, batch = input.Rows;
        // Level-major work items (one table hot at a time), each writing its own columns.
        int chunks = CpuParallel.TileCount(batch, ForwardChunk);
        CpuParallel.ForTiles((long)active * chunks, 1, (first, last) =>
        {
            for (int item = first; item < last; item++)
            {
                int l = item / chunks, start = item % chunks * ForwardChunk, end = Math.Min(batch, start + ForwardChunk);
                ref readonly GridLevel level = ref _levels[l];
                HashGridJacobianKernels<T>.JacobianVectorProductLevel(level, l, dims, features, Interpolation,
                    x.AsSpan(xOff, batch * dims), v.AsSpan(vOff, batch * dims),
                    p.AsSpan((int)(pOff + level.Offset * features), (int)level.Size * features), y.AsSpan(yOff, batch * width), width, start, end);
            }
        });
        int zeroFrom = active * features;
        if (zeroFrom < width)
            for (int i = 0; i < batch; i++) y.AsSpan(yOff + i * width + zeroFrom, width - zeroFrom).Clear();
    }

    /// <summary>
    /// dL/dθ for L = Σ_b ⟨dLdOutput[b], y(x_b)⟩ + ⟨jacobianCotangent[b], J(x_b)·direction[b]⟩: the ordinary backward
    /// plus the gradient of a term that uses the grid's Jacobian (the double backward of an input gradient).
    /// input, direction: [B, d]; dLdOutput, jacobianCotangent: [B, OutputWidth]. Each level is summed by one thread
    /// in sample order (deterministic). Linear or Smoothstep interpolation only. CUDA: fp32 atomics (not
    /// bit-reproducible) and fp32 parameters whatever <see cref="ParameterPrecision"/> says.
    /// </summary>
    public void BackwardWithJacobian(DeviceMatrix<T> input, DeviceMatrix<T> dLdOutput, DeviceMatrix<T> direction,
        DeviceMatrix<T> jacobianCotangent, GradientMode paramGradients = GradientMode.Overwrite)
    {
        CheckJacobianCall(input, direction, dLdOutput, "dLdOutput", nameof(BackwardWithJacobian));
        if (jacobianCotangent.Rows != input.Rows || jacobianCotangent.Cols != OutputWidth)
            throw new ArgumentException($"HashGrid.{nameof(BackwardWithJacobian)}: jacobianCotangent is {jacobianCotangent}, expected [{input.Rows}, {OutputWidth}]");
        if (paramGradients == GradientMode.Ignore) return;
        if (Gradients.IsEmpty) throw new InvalidOperationException("HashGrid: parameter gradients requested before SetParams");
        if (Backend.Kind == BackendKind.Cuda) { BackwardWithJacobianCuda(input, dLdOutput, direction, jacobianCotangent, paramGradients); return; }
        var (x, xOff) = Host(input.Data);
        var (v, vOff) = Host(direction.Data);
        var (dy, dyOff) = Host(dLdOutput.Data);
        var (cot, cotOff) = Host(jacobianCotangent.Data);
        var (g, gOff) = Host(Gradients);
        int dims = InputDims, features = FeaturesPerLevel, active = _activeLevels, width = OutputWidth, batch = input.Rows;
        CpuParallel.ForTiles(NLevels, 1, (first, last) =>
        {
            for (int l = first; l < last; l++)
            {
                ref readonly GridLevel level = ref _levels[l];
                var grad = g.AsSpan((int)(gOff + level.Offset * features), (int)level.Size * features);
                if (paramGradients == GradientMode.Overwrite) grad.Clear();
                if (l >= active || batch == 0) continue;
                HashGridJacobianKernels<T>.BackwardLevel(level, l, dims, features, Interpolation,
                    x.AsSpan(xOff, batch * dims), v.AsSpan(vOff, batch * dims), dy.AsSpan(dyOff, batch * width),
                    cot.AsSpan(cotOff, batch * width), width, grad, batch);
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
