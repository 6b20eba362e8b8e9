using System.Numerics;
using System.Runtime.CompilerServices;
using NgpSharp.Compute;

namespace NgpSharp.Rendering;

// CPU kernels: one ray per "thread", written the way a CUDA twin would be (one loop over the ray's samples).
public sealed partial class NeusRenderer<T>
{
    sealed class ForwardArgs(in NeusRenderInputs<T> inputs, NeusRenderOutput<T> output, T threshold, bool normalizeCos)
    {
        public readonly NeusRenderInputs<T> Inputs = inputs;
        public readonly NeusRenderOutput<T> Output = output;
        public readonly T Threshold = threshold;
        public readonly bool NormalizeCos = normalizeCos;
    }

    sealed class BackwardArgs(in NeusRenderInputs<T> inputs, NeusRenderOutput<T> forward, bool normalizeCos,
        DeviceMatrix<T> dLdColour, DeviceMatrix<T> dLdOpacity, DeviceMatrix<T> dLdDepth, DeviceMatrix<T> dLdNormal,
        DeviceMatrix<T> dLdBackground, ColumnRange<T> dLdSdf, ColumnRange<T> dLdGradient, ColumnRange<T> dLdRgb)
    {
        public readonly NeusRenderInputs<T> Inputs = inputs;
        public readonly NeusRenderOutput<T> Forward = forward;
        public readonly bool NormalizeCos = normalizeCos;
        public readonly DeviceMatrix<T> DLdColour = dLdColour, DLdOpacity = dLdOpacity, DLdDepth = dLdDepth, DLdNormal = dLdNormal, DLdBackground = dLdBackground;
        public readonly ColumnRange<T> DLdSdf = dLdSdf, DLdGradient = dLdGradient, DLdRgb = dLdRgb;
    }

    /// <summary>Host views of the inputs.</summary>
    ref struct Views
    {
        public ReadOnlySpan<int> Offsets, Counts;
        public ReadOnlySpan<float> TStarts, TEnds;
        public ReadOnlySpan<T> Sdf, Gradient, Rgb, Directions, Background;
        public int SdfStride, GradientStride, RgbStride, BackgroundStride;
    }

    static Views ViewsOf(in NeusRenderInputs<T> x, Span<T> bgScratch) => new()
    {
        Offsets = x.Samples.RayOffsets, Counts = x.Samples.RayCounts, TStarts = x.Samples.TStarts, TEnds = x.Samples.TEnds,
        Sdf = x.Sdf.HostSpan(), SdfStride = x.Sdf.Stride,
        Gradient = x.Gradient.HostSpan(), GradientStride = x.Gradient.Stride,
        Rgb = x.Rgb.HostSpan(), RgbStride = x.Rgb.Stride,
        Directions = x.Directions.AsSpan(),
        Background = x.Background.HostView(bgScratch, out int bgStride), BackgroundStride = bgStride,
    };

    /// <summary>n̂ = g / max(‖g‖, 1e-12) and 1 / max(‖g‖, 1e-12).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Normalize(T gx, T gy, T gz, out T nx, out T ny, out T nz)
    {
        T inv = T.One / T.Max(T.Sqrt(gx * gx + gy * gy + gz * gz), T.CreateChecked(NormalizeEpsilon));
        nx = gx * inv; ny = gy * inv; nz = gz * inv;
        return inv;
    }

    static void ForwardTile(int start, int end, ForwardArgs a)
    {
        Span<T> bgScratch = stackalloc T[3];
        var v = ViewsOf(a.Inputs, bgScratch);
        var o = a.Output;
        Span<T> colour = o.Colour.AsSpan(), foreground = o.Foreground.AsSpan(), normal = o.Normal.AsSpan();
        Span<T> opacity = o.Opacity.AsSpan(), depth = o.Depth.AsSpan();
        Span<T> alphas = o.Alpha.AsSpan(), transmittance = o.Transmittance.AsSpan(), weights = o.Weights.AsSpan();
        Span<int> used = o.UsedCountsArray;
        T half = T.CreateChecked(0.5), invS = a.Inputs.InvS, ratio = a.Inputs.CosAnnealRatio;
        for (int r = start; r < end; r++)
        {
            int first = v.Offsets[r], n = v.Counts[r], i = 0;
            T dx = v.Directions[3 * r], dy = v.Directions[3 * r + 1], dz = v.Directions[3 * r + 2];
            T trans = T.One, cr = T.Zero, cg = T.Zero, cb = T.Zero, nx = T.Zero, ny = T.Zero, nz = T.Zero, acc = T.Zero, dep = T.Zero;
            for (; i < n; i++)
            {
                if (trans < a.Threshold) break;
                int s = first + i;
                T t0 = T.CreateChecked(v.TStarts[s]), t1 = T.CreateChecked(v.TEnds[s]);
                int g = s * v.GradientStride;
                T gx = v.Gradient[g], gy = v.Gradient[g + 1], gz = v.Gradient[g + 2];
                Normalize(gx, gy, gz, out T ux, out T uy, out T uz);
                T cos = a.NormalizeCos ? dx * ux + dy * uy + dz * uz : dx * gx + dy * gy + dz * gz;
                T iterCos = NeusAlpha.IterCos(cos, ratio, out _);
                T alpha = NeusAlpha.Alpha(v.Sdf[s * v.SdfStride], iterCos, t1 - t0, invS);
                T w = alpha * trans;
                int c = s * v.RgbStride;
                cr += w * v.Rgb[c]; cg += w * v.Rgb[c + 1]; cb += w * v.Rgb[c + 2];
                nx += w * ux; ny += w * uy; nz += w * uz;
                acc += w;
                dep += w * (t0 + t1) * half;
                alphas[s] = alpha; transmittance[s] = trans; weights[s] = w;
                trans *= T.One - alpha;
            }
            used[r] = i;
            alphas.Slice(first + i, n - i).Clear();
            transmittance.Slice(first + i, n - i).Clear();
            weights.Slice(first + i, n - i).Clear();
            foreground[3 * r] = cr; foreground[3 * r + 1] = cg; foreground[3 * r + 2] = cb;
            normal[3 * r] = nx; normal[3 * r + 1] = ny; normal[3 * r + 2] = nz;
            T rest = T.One - acc;
            int b = r * v.BackgroundStride;
            colour[3 * r] = cr + rest * v.Background[b];
            colour[3 * r + 1] = cg + rest * v.Background[b + 1];
            colour[3 * r + 2] = cb + rest * v.Background[b + 2];
            opacity[r] = acc;
            depth[r] = dep;
        }
    }

    static void BackwardTile(int start, int end, BackwardArgs a)
    {
        Span<T> bgScratch = stackalloc T[3];
        var v = ViewsOf(a.Inputs, bgScratch);
        var f = a.Forward;
        ReadOnlySpan<T> opacity = f.Opacity.AsSpan(), transmittance = f.Transmittance.AsSpan();
        ReadOnlySpan<int> used = f.UsedCounts;
        ReadOnlySpan<T> dC = a.DLdColour.AsSpan();
        ReadOnlySpan<T> dA = a.DLdOpacity.IsNull ? default : a.DLdOpacity.AsSpan();
        ReadOnlySpan<T> dD = a.DLdDepth.IsNull ? default : a.DLdDepth.AsSpan();
        ReadOnlySpan<T> dN = a.DLdNormal.IsNull ? default : a.DLdNormal.AsSpan();
        Span<T> dBg = a.DLdBackground.IsNull ? default : a.DLdBackground.AsSpan();
        Span<T> gSdf = a.DLdSdf.HostSpan(), gGrad = a.DLdGradient.HostSpan(), gRgb = a.DLdRgb.HostSpan();
        int sdfStride = a.DLdSdf.Stride, gradStride = a.DLdGradient.Stride, rgbStride = a.DLdRgb.Stride;
        Span<T> invSPartials = f.InvSPartials;
        T half = T.CreateChecked(0.5), invS = a.Inputs.InvS, ratio = a.Inputs.CosAnnealRatio;
        for (int r = start; r < end; r++)
        {
            int first = v.Offsets[r], n = v.Counts[r], m = used[r];
            T dx = v.Directions[3 * r], dy = v.Directions[3 * r + 1], dz = v.Directions[3 * r + 2];
            T gr = dC[3 * r], gg = dC[3 * r + 1], gb = dC[3 * r + 2];
            int b = r * v.BackgroundStride;
            // C_out = C + (1 − A)·bg: A's total gradient also carries −⟨dL/dC_out, bg⟩.
            T gA = (dA.IsEmpty ? T.Zero : dA[r]) - (gr * v.Background[b] + gg * v.Background[b + 1] + gb * v.Background[b + 2]);
            T gD = dD.IsEmpty ? T.Zero : dD[r];
            T gnx = dN.IsEmpty ? T.Zero : dN[3 * r], gny = dN.IsEmpty ? T.Zero : dN[3 * r + 1], gnz = dN.IsEmpty ? T.Zero : dN[3 * r + 2];
            if (!dBg.IsEmpty)
            {
                T rest = T.One - opacity[r];
                dBg[3 * r] = gr * rest; dBg[3 * r + 1] = gg * rest; dBg[3 * r + 2] = gb * rest;
            }
            T suffix = T.Zero, dInvS = T.Zero; // suffix = Y_{i+1}: what the ray behind sample i contributes per unit of light
            for (int i = m - 1; i >= 0; i--)
            {
                int s = first + i;
                T t0 = T.CreateChecked(v.TStarts[s]), t1 = T.CreateChecked(v.TEnds[s]);
                int g = s * v.GradientStride, c = s * v.RgbStride;
                T gx = v.Gradient[g], gy = v.Gradient[g + 1], gz = v.Gradient[g + 2];
                T invNorm = Normalize(gx, gy, gz, out T ux, out T uy, out T uz);
                T cos = a.NormalizeCos ? dx * ux + dy * uy + dz * uz : dx * gx + dy * gy + dz * gz;
                T iterCos = NeusAlpha.IterCos(cos, ratio, out T dIterCosDCos);
                T alpha = NeusAlpha.Alpha(v.Sdf[s * v.SdfStride], iterCos, t1 - t0, invS, out T dAlphaDSdf, out T dAlphaDIterCos, out T dAlphaDInvS);
                T trans = transmittance[s], w = alpha * trans;
                T y = gr * v.Rgb[c] + gg * v.Rgb[c + 1] + gb * v.Rgb[c + 2] + gA + gD * (t0 + t1) * half + gnx * ux + gny * uy + gnz * uz;
                T dAlpha = trans * (y - suffix);
                suffix = alpha * y + (T.One - alpha) * suffix;

                int o = s * rgbStride;
                gRgb[o] = w * gr; gRgb[o + 1] = w * gg; gRgb[o + 2] = w * gb;
                gSdf[s * sdfStride] = dAlpha * dAlphaDSdf;
                dInvS += dAlpha * dAlphaDInvS;
                T dCos = dAlpha * dAlphaDIterCos * dIterCosDCos;
                // Through n̂ = g / ‖g‖: the normal map always; the cosine only when it uses n̂.
                T vx = w * gnx, vy = w * gny, vz = w * gnz;
                if (a.NormalizeCos) { vx += dCos * dx; vy += dCos * dy; vz += dCos * dz; }
                T along = ux * vx + uy * vy + uz * vz;
                bool projected = invNorm < T.CreateChecked(1 / NormalizeEpsilon); // below eps, n̂ = g·1e12 is linear in g
                T ox = (projected ? vx - ux * along : vx) * invNorm, oy = (projected ? vy - uy * along : vy) * invNorm, oz = (projected ? vz - uz * along : vz) * invNorm;
                if (!a.NormalizeCos) { ox += dCos * dx; oy += dCos * dy; oz += dCos * dz; }
                int q = s * gradStride;
                gGrad[q] = ox; gGrad[q + 1] = oy; gGrad[q + 2] = oz;
            }
            invSPartials[r] = dInvS;
            for (int i = m; i < n; i++)
            {
                int s = first + i;
                gSdf[s * sdfStride] = T.Zero;
                int o = s * rgbStride, q = s * gradStride;
                gRgb[o] = gRgb[o + 1] = gRgb[o + 2] = T.Zero;
                gGrad[q] = gGrad[q + 1] = gGrad[q + 2] = T.Zero;
            }
        }
    }
}
