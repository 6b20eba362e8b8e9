using System.Buffers;
using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;

namespace NgpSharp.Nn.Sdf;

// The CPU passes. The MLP runs over tiles of TileRows rows with the library GEMM (Gemm.MultiplyUnchecked, whose
// column counts are padded to 16): per tile
//   forward   A = Z·W₁ᵀ + b₁, H = σ_β(A), S = σ_β'(A), O = H·W₂ᵀ + b₂, and for ∇: Γ = w₂₀ ⊙ S, DZ = Γ·W₁
//   backward  q = [G/r, J_h(sG)], p = q·W₁ᵀ, δ = (dO·W₂) ⊙ S + p ⊙ w₂₀ ⊙ σ_β''(A),
//             dW₂ += dOᵀH (+ row 0: Σ p ⊙ S), dW₁ += δᵀZ + Γᵀq, dZ = δ·W₁ → the grid's dL/dh,
// where w₂₀ = W₂[0, :] (the sdf row), s = 1/(2r) and G = dL/d∇ₓsdf. The grid contributes ∇ₓ += s·J_hᵀ·DZ_h and, in
// backward, the parameter gradient of ⟨DZ_h, J_h·(sG)⟩ (HashGrid.BackwardWithJacobian).
// Weight gradients are summed per chunk of ChunkRows and the chunks added in order: deterministic for any thread count.
public sealed partial class SdfNetwork<T>
{
    const int TileRows = 128;
    const int ChunkRows = TileRows * 4;

    /// <summary>Test hook: the scalar reference kernels (activation and grid) even where the float SIMD ones apply.</summary>
    internal bool ForceScalarKernels
    {
        get => _forceScalar;
        set { _forceScalar = value; Grid.ForceScalarKernels = value; }
    }
    bool _forceScalar;

    /// <summary>Effective weights for one Forward (and its Backward), packed for the GEMMs.</summary>
    sealed class Weights
    {
        public required T[] W1T, W1P, W2T, W2P, B1, B2, W2Row0;   // [in, hPad], [n, inPad], [n, fPad], [F, hPad], [hPad], [F], [hPad]
        public required T[] W1, W2;                               // effective [n, in], [F, n]
    }

    sealed class Context : ForwardContext
    {
        public required object Owner;
        public required int Points, Rows;            // N, and rows through the MLP (N or 7N)
        public required bool HasGradient, Analytic;
        public required T Eps;
        public required Weights W;
        public required DeviceMatrix<T> U, H, V;     // [Rows, 3], [Rows, LF], [Rows, LF] (V: analytic only)
        public required ForwardContext GridCtx;
        public required T[] Z, Hid, S;               // [Rows, inPad], [Rows, hPad] × 2 (pooled)

        public override void Dispose()
        {
            if (IsDisposed) return;
            GridCtx.Dispose();
            ArrayPool<T>.Shared.Return(Z);
            ArrayPool<T>.Shared.Return(Hid);
            ArrayPool<T>.Shared.Return(S);
            base.Dispose();
        }
    }

    int InPad => Gemm.PaddedWidth(_in);
    int HPad => Gemm.PaddedWidth(_hidden);
    int FPad => Gemm.PaddedWidth(_out);
    int LF => Grid.OutputWidth;
    T Radius => T.CreateChecked(Settings.Radius);
    T Beta => T.CreateChecked(Settings.SoftplusBeta);

    ForwardContext ForwardCpu(DeviceMatrix<T> positions, DeviceMatrix<T> output, DeviceMatrix<T>? gradient, bool prepareBackward)
    {
        int n = positions.Rows;
        bool analytic = Settings.GradType == SdfGradientType.Analytic;
        bool fd = gradient is not null && !analytic;
        T eps = T.CreateChecked(FiniteDifferenceStep);
        int rows = fd ? 7 * n : n;
        var ctx = new Context
        {
            Owner = this, Points = n, Rows = rows, HasGradient = gradient is not null, Analytic = analytic && gradient is not null, Eps = eps,
            W = PackWeights(),
            U = default, H = default, V = default, GridCtx = ForwardContext.Empty,
            Z = ArrayPool<T>.Shared.Rent(Math.Max(1, rows * InPad)),
            Hid = ArrayPool<T>.Shared.Rent(Math.Max(1, rows * HPad)),
            S = ArrayPool<T>.Shared.Rent(Math.Max(1, rows * HPad)),
        };
        try
        {
            var p = positions;
            DeviceMatrix<T> o = output;
            if (fd)
            {
                ctx.Own(Backend.AllocateMatrix<T>(rows, 3, out p));
                FillOffsetPoints(positions.AsSpan(), p.AsSpan(), n, eps);
                ctx.Own(Backend.AllocateMatrix<T>(rows, _out, out o));
            }
            RunForward(ctx, p, o, ctx.Analytic ? gradient : null);
            if (fd)
            {
                o.AsSpan()[..(n * _out)].CopyTo(output.AsSpan());
                CentralDifferences(o.AsSpan(), gradient!.Value.AsSpan(), n, eps);
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

    /// <summary>Rows [N + 6i + 2d + k]: x_i ± eps·e_d (k = 0: +, 1: −) clamped to [−r, r]³, after the N centre rows.</summary>
    void FillOffsetPoints(ReadOnlySpan<T> x, Span<T> p7, int n, T eps)
    {
        T r = Radius;
        x[..(3 * n)].CopyTo(p7);
        for (int i = 0; i < n; i++)
            for (int d = 0; d < 3; d++)
                for (int k = 0; k < 2; k++)
                {
                    var row = p7.Slice(3 * (n + 6 * i + 2 * d + k), 3);
                    x.Slice(3 * i, 3).CopyTo(row);
                    row[d] = T.Clamp(row[d] + (k == 0 ? eps : -eps), -r, r);
                }
    }

    /// <summary>∇_d = (sdf(x + eps e_d) − sdf(x − eps e_d)) / (2 eps), from the offset rows of the [7N, F] output.</summary>
    void CentralDifferences(ReadOnlySpan<T> o7, Span<T> gradient, int n, T eps)
    {
        T inv = T.One / (eps + eps);
        for (int i = 0; i < n; i++)
            for (int d = 0; d < 3; d++)
                gradient[3 * i + d] = (o7[(n + 6 * i + 2 * d) * _out] - o7[(n + 6 * i + 2 * d + 1) * _out]) * inv;
    }

    void RunForward(Context ctx, DeviceMatrix<T> positions, DeviceMatrix<T> output, DeviceMatrix<T>? gradient)
    {
        int rows = ctx.Rows;
        T r = Radius, half = T.One / (r + r);
        ctx.Own(Backend.AllocateMatrix<T>(rows, 3, out var U));
        ctx.U = U;
        var x = positions.AsSpan();
        var us = U.AsSpan();
        for (int i = 0; i < 3 * rows; i++) us[i] = (x[i] + r) * half;
        ctx.Own(Backend.AllocateMatrix<T>(rows, LF, out var h));
        ctx.H = h;
        ctx.GridCtx = Grid.Forward(U, h);
        if (gradient is not null) { ctx.Own(Backend.AllocateMatrix<T>(rows, LF, out var v)); ctx.V = v; }
        CpuParallel.ForTiles(rows, TileRows, (start, end) => ForwardTile(ctx, start, end, positions, output, gradient));
        if (gradient is { } g)
        {
            // ∇ₓ = DZ_xyz / r (written by the tiles) + s · J_hᵀ·DZ_h.
            using var du = Backend.AllocateMatrix<T>(rows, 3, out var dU);
            Grid.Backward(ctx.GridCtx, U, ctx.H, ctx.V, dU, GradientMode.Ignore);
            var gs = g.AsSpan();
            var ds = dU.AsSpan();
            for (int i = 0; i < gs.Length; i++) gs[i] = T.FusedMultiplyAdd(half, ds[i], gs[i]);
        }
    }

    void ForwardTile(Context ctx, int start, int end, DeviceMatrix<T> positions, DeviceMatrix<T> output, DeviceMatrix<T>? gradient)
    {
        int rows = end - start, inPad = InPad, hPad = HPad, fPad = FPad, lf = LF;
        var W = ctx.W;
        var scratch = TileScratch.Get(TileRows * (fPad + hPad + inPad));
        var z = ctx.Z.AsSpan(start * inPad, rows * inPad);
        var hid = ctx.Hid.AsSpan(start * hPad, rows * hPad);
        var s = ctx.S.AsSpan(start * hPad, rows * hPad);
        FillZ(z, positions.AsSpan().Slice(3 * start, 3 * rows), ctx.H.AsSpan().Slice(lf * start, lf * rows), rows);
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(z), inPad, 1, ref W.W1T[0], hPad, ref MemoryMarshal.GetReference(hid), hPad, rows, hPad, _in, false);
        SdfActivationKernels.Forward(Settings.Activation, Beta, W.B1, hid, s, rows, hPad, !_forceScalar);

        var o = scratch.AsSpan(0, rows * fPad);
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(hid), hPad, 1, ref W.W2T[0], fPad, ref MemoryMarshal.GetReference(o), fPad, rows, fPad, _hidden, false);
        var y = output.AsSpan().Slice(start * _out, rows * _out);
        for (int i = 0; i < rows; i++)
            for (int f = 0; f < _out; f++) y[i * _out + f] = o[i * fPad + f] + W.B2[f];
        if (gradient is not { } g) return;

        var gamma = scratch.AsSpan(rows * fPad, rows * hPad);
        var dz = scratch.AsSpan(rows * (fPad + hPad), rows * inPad);
        SdfActivationKernels.ScaleColumns<T>(W.W2Row0, s, gamma, rows, hPad);
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(gamma), hPad, 1, ref W.W1P[0], inPad, ref MemoryMarshal.GetReference(dz), inPad, rows, inPad, _hidden, false);
        var gr = g.AsSpan().Slice(3 * start, 3 * rows);
        var v = ctx.V.AsSpan().Slice(lf * start, lf * rows);
        T invR = T.One / Radius;
        for (int i = 0; i < rows; i++)
        {
            for (int d = 0; d < 3; d++) gr[3 * i + d] = _xyz == 3 ? dz[i * inPad + d] * invR : T.Zero;
            dz.Slice(i * inPad + _xyz, lf).CopyTo(v.Slice(i * lf, lf));
        }
    }

    /// <summary>z rows [rows, inPad]: x/r (include_xyz), the grid features, zero padding.</summary>
    void FillZ(Span<T> z, ReadOnlySpan<T> x, ReadOnlySpan<T> h, int rows)
    {
        int inPad = InPad, lf = LF;
        T invR = T.One / Radius;
        for (int i = 0; i < rows; i++)
        {
            var row = z.Slice(i * inPad, inPad);
            for (int d = 0; d < _xyz; d++) row[d] = x[3 * i + d] * invR;
            h.Slice(i * lf, lf).CopyTo(row.Slice(_xyz));
            row.Slice(_in).Clear();
        }
    }

    void BackwardCpu(Context ctx, DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdGradient, GradientMode mode)
    {
        int n = ctx.Points, rows = ctx.Rows, lf = LF;
        DeviceMatrix<T> dO = dLdOutput;
        DeviceMatrix<T>? G = ctx.Analytic ? dLdGradient : null;
        using var owned = new ForwardContext();
        if (ctx.Rows != n)
        {
            // Finite differences: the offset rows' sdf gets ±dL/d∇_d / (2 eps); then an ordinary backward of all 7N rows.
            owned.Own(Backend.AllocateMatrix<T>(rows, _out, out dO));
            var d7 = dO.AsSpan();
            d7.Clear();
            dLdOutput.AsSpan().CopyTo(d7);
            if (dLdGradient is { } dg)
            {
                var gs = dg.AsSpan();
                T inv = T.One / (ctx.Eps + ctx.Eps);
                for (int i = 0; i < n; i++)
                    for (int d = 0; d < 3; d++)
                    {
                        d7[(n + 6 * i + 2 * d) * _out] = gs[3 * i + d] * inv;
                        d7[(n + 6 * i + 2 * d + 1) * _out] = -gs[3 * i + d] * inv;
                    }
            }
        }

        T half = T.One / (Radius + Radius);
        DeviceMatrix<T> direction = default, jg = default;
        if (G is { } g)
        {
            owned.Own(Backend.AllocateMatrix<T>(rows, 3, out direction));
            var gs = g.AsSpan();
            var ds = direction.AsSpan();
            for (int i = 0; i < ds.Length; i++) ds[i] = half * gs[i];
            owned.Own(Backend.AllocateMatrix<T>(rows, lf, out jg));
            Grid.JacobianVectorProduct(ctx.U, direction, jg);
        }
        owned.Own(Backend.AllocateMatrix<T>(rows, lf, out var dh));

        var part = PartialLayout();
        int chunks = CpuParallel.TileCount(rows, ChunkRows);
        var partials = ArrayPool<T>.Shared.Rent(Math.Max(1, chunks) * part.Size);
        try
        {
            CpuParallel.ForTilesIndexed(rows, ChunkRows, (chunk, start, end) =>
            {
                var partial = partials.AsSpan(chunk * part.Size, part.Size);
                partial.Clear();
                for (int t = start; t < end; t += TileRows)
                    BackwardTile(ctx, t, Math.Min(end, t + TileRows), dO, G, jg, dh, partial, part);
            });
            var sum = partials.AsSpan(0, part.Size);
            for (int c = 1; c < chunks; c++)
            {
                var add = partials.AsSpan(c * part.Size, part.Size);
                for (int i = 0; i < sum.Length; i++) sum[i] += add[i];
            }
            if (rows == 0) sum.Clear();
            WriteMlpGradients(ctx.W, sum, part, mode);
        }
        finally { ArrayPool<T>.Shared.Return(partials); }

        if (G is not null) Grid.BackwardWithJacobian(ctx.U, dh, direction, ctx.V, mode);
        else Grid.Backward(ctx.GridCtx, ctx.U, ctx.H, dh, null, mode);
    }

    /// <summary>Per-chunk partial sums: dW₁ [n, inPad], db₁ [n], dW₂ [F, hPad], db₂ [F].</summary>
    readonly record struct Partial(int W1, int B1, int W2, int B2, int Size);

    Partial PartialLayout()
    {
        int w1 = 0, b1 = _hidden * InPad, w2 = b1 + _hidden, b2 = w2 + _out * HPad;
        return new Partial(w1, b1, w2, b2, b2 + _out);
    }

    void BackwardTile(Context ctx, int start, int end, DeviceMatrix<T> dO, DeviceMatrix<T>? G, DeviceMatrix<T> jg,
        DeviceMatrix<T> dh, Span<T> partial, Partial part)
    {
        int rows = end - start, inPad = InPad, hPad = HPad, lf = LF;
        var W = ctx.W;
        var scratch = TileScratch.Get(TileRows * (inPad + 3 * hPad));
        var q = scratch.AsSpan(0, rows * inPad);
        var pv = scratch.AsSpan(rows * inPad, rows * hPad);
        var delta = scratch.AsSpan(rows * (inPad + hPad), rows * hPad);
        var gamma = scratch.AsSpan(rows * (inPad + 2 * hPad), rows * hPad);
        var z = ctx.Z.AsSpan(start * inPad, rows * inPad);
        var hid = ctx.Hid.AsSpan(start * hPad, rows * hPad);
        var s = ctx.S.AsSpan(start * hPad, rows * hPad);
        var dOut = dO.AsSpan().Slice(start * _out, rows * _out);

        // δ = (dO·W₂) ⊙ S.
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(dOut), _out, 1, ref W.W2P[0], hPad, ref MemoryMarshal.GetReference(delta), hPad, rows, hPad, _out, false);
        SdfActivationKernels.MultiplyInPlace(delta, s);
        if (G is { } g)
        {
            T invR = T.One / Radius;
            var gs = g.AsSpan().Slice(3 * start, 3 * rows);
            var jgs = jg.AsSpan().Slice(lf * start, lf * rows);
            for (int i = 0; i < rows; i++)
            {
                var row = q.Slice(i * inPad, inPad);
                for (int d = 0; d < _xyz; d++) row[d] = gs[3 * i + d] * invR;
                jgs.Slice(i * lf, lf).CopyTo(row.Slice(_xyz));
                row.Slice(_in).Clear();
            }
            Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(q), inPad, 1, ref W.W1T[0], hPad, ref MemoryMarshal.GetReference(pv), hPad, rows, hPad, _in, false);
            SdfActivationKernels.SecondOrder(Settings.Activation, Beta, W.W2Row0, s, pv, delta, gamma, partial.Slice(part.W2, hPad), rows, hPad);
        }

        // dW₂ += dOᵀ·H; db₂ += Σ dO.
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(dOut), 1, _out, ref MemoryMarshal.GetReference(hid), hPad, ref partial[part.W2], hPad, _out, hPad, rows, true);
        SdfActivationKernels.AddColumnSums<T>(dOut, partial.Slice(part.B2, _out), rows, _out, _out);
        // dW₁ += δᵀ·Z (+ Γᵀ·q); db₁ += Σ δ.
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(delta), 1, hPad, ref MemoryMarshal.GetReference(z), inPad, ref partial[part.W1], inPad, _hidden, inPad, rows, true);
        if (G is not null)
            Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(gamma), 1, hPad, ref MemoryMarshal.GetReference(q), inPad, ref partial[part.W1], inPad, _hidden, inPad, rows, true);
        SdfActivationKernels.AddColumnSums<T>(delta, partial.Slice(part.B1, _hidden), rows, hPad, _hidden);
        // dZ = δ·W₁ → the grid's dL/dh.
        var dz = q; // q is no longer needed
        Gemm.MultiplyUnchecked(ref MemoryMarshal.GetReference(delta), hPad, 1, ref W.W1P[0], inPad, ref MemoryMarshal.GetReference(dz), inPad, rows, inPad, _hidden, false);
        var dhs = dh.AsSpan().Slice(lf * start, lf * rows);
        for (int i = 0; i < rows; i++) dz.Slice(i * inPad + _xyz, lf).CopyTo(dhs.Slice(i * lf, lf));
    }

    /// <summary>Summed dW (effective weights), db → Gradients, through the weight norm when it is on.</summary>
    void WriteMlpGradients(Weights W, ReadOnlySpan<T> sum, Partial part, GradientMode mode)
    {
        var layout = Layout;
        var grads = Gradients.AsSpan();
        var p = Params.AsSpan();
        for (int layer = 0; layer < 2; layer++)
        {
            bool last = layer == 1;
            int fanIn = last ? _hidden : _in, fanOut = last ? _out : _hidden, ld = last ? HPad : InPad;
            int dwAt = last ? part.W2 : part.W1, dbAt = last ? part.B2 : part.B1;
            var v = p.Slice((int)(last ? layout.V2 : layout.V1), fanOut * fanIn);
            var gv = grads.Slice((int)(last ? layout.V2 : layout.V1), fanOut * fanIn);
            var gb = grads.Slice((int)(last ? layout.B2 : layout.B1), fanOut);
            Span<T> gg = Settings.WeightNorm ? grads.Slice((int)(last ? layout.G2 : layout.G1), fanOut) : default;
            for (int o = 0; o < fanOut; o++)
            {
                var dw = sum.Slice(dwAt + o * ld, fanIn);
                var dst = gv.Slice(o * fanIn, fanIn);
                T db = sum[dbAt + o];
                gb[o] = mode == GradientMode.Accumulate ? gb[o] + db : db;
                if (!Settings.WeightNorm)
                {
                    for (int i = 0; i < fanIn; i++) dst[i] = mode == GradientMode.Accumulate ? dst[i] + dw[i] : dw[i];
                    continue;
                }
                // w = g·v/‖v‖: dL/dg = ⟨dW, v⟩/‖v‖, dL/dv = (g/‖v‖)(dW − (dL/dg/‖v‖)·v).
                var vr = v.Slice(o * fanIn, fanIn);
                T norm = RowNorm(vr), gScale = p[(int)(last ? layout.G2 : layout.G1) + o];
                T dg = T.Zero, factor = T.Zero, proj = T.Zero;
                if (norm > T.Zero)
                {
                    for (int i = 0; i < fanIn; i++) dg += dw[i] * vr[i];
                    dg /= norm;
                    factor = gScale / norm;
                    proj = dg / norm;
                }
                gg[o] = mode == GradientMode.Accumulate ? gg[o] + dg : dg;
                for (int i = 0; i < fanIn; i++)
                {
                    T dv = factor * (dw[i] - proj * vr[i]);
                    dst[i] = mode == GradientMode.Accumulate ? dst[i] + dv : dv;
                }
            }
        }
    }

    /// <summary>The effective weights (weight norm applied) packed for the tile GEMMs.</summary>
    Weights PackWeights()
    {
        var layout = Layout;
        var p = Params.AsSpan();
        int inPad = InPad, hPad = HPad, fPad = FPad;
        var w1 = Effective(p, layout.V1, layout.G1, _hidden, _in);
        var w2 = Effective(p, layout.V2, layout.G2, _out, _hidden);
        var W = new Weights
        {
            W1 = w1, W2 = w2,
            W1T = new T[_in * hPad], W1P = new T[_hidden * inPad], W2T = new T[_hidden * fPad], W2P = new T[_out * hPad],
            B1 = new T[hPad], B2 = p.Slice((int)layout.B2, _out).ToArray(), W2Row0 = new T[hPad],
        };
        p.Slice((int)layout.B1, _hidden).CopyTo(W.B1);
        for (int o = 0; o < _hidden; o++)
            for (int i = 0; i < _in; i++) { W.W1T[i * hPad + o] = w1[o * _in + i]; W.W1P[o * inPad + i] = w1[o * _in + i]; }
        for (int o = 0; o < _out; o++)
            for (int i = 0; i < _hidden; i++) { W.W2T[i * fPad + o] = w2[o * _hidden + i]; W.W2P[o * hPad + i] = w2[o * _hidden + i]; }
        w2.AsSpan(0, _hidden).CopyTo(W.W2Row0);
        return W;
    }

    T[] Effective(ReadOnlySpan<T> p, long vAt, long gAt, int fanOut, int fanIn)
    {
        var w = p.Slice((int)vAt, fanOut * fanIn).ToArray();
        if (gAt < 0) return w;
        for (int o = 0; o < fanOut; o++)
        {
            var row = w.AsSpan(o * fanIn, fanIn);
            T norm = RowNorm(row), scale = norm > T.Zero ? p[(int)gAt + o] / norm : T.Zero;
            for (int i = 0; i < fanIn; i++) row[i] *= scale;
        }
        return w;
    }

    /// <summary>One growing scratch array per thread.</summary>
    static class TileScratch
    {
        [ThreadStatic] static T[]? _buffer;

        public static T[] Get(int length)
        {
            var b = _buffer;
            if (b is null || b.Length < length) _buffer = b = new T[length];
            return b;
        }
    }
}
