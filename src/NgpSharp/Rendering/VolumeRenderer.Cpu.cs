using System.Numerics;
using System.Runtime.CompilerServices;
using NgpSharp.Compute;

namespace NgpSharp.Rendering;

// CPU kernels: one ray per "thread", written the way the CUDA twin will be (one loop over the ray's samples).
public sealed partial class VolumeRenderer<T>
{
    /// <summary>Inputs shared by both passes, as host views (built once per tile).</summary>
    ref struct RayInputs
    {
        public ReadOnlySpan<int> Offsets, Counts;
        public ReadOnlySpan<float> TStarts, TEnds;
        public ReadOnlySpan<T> Density; public int DensityStride;
        public ReadOnlySpan<T> Colour; public int ColourStride;
        public ReadOnlySpan<T> Background; public int BackgroundStride;
    }

    readonly struct ForwardArgs(RaySamples samples, ColumnRange<T> density, ColumnRange<T> colour,
        RayBackground<T> background, T threshold, VolumeRenderOutput<T> output)
    {
        public readonly RaySamples Samples = samples;
        public readonly ColumnRange<T> Density = density, Colour = colour;
        public readonly RayBackground<T> Background = background;
        public readonly T Threshold = threshold;
        public readonly VolumeRenderOutput<T> Output = output;
    }

    readonly struct BackwardArgs(RaySamples samples, ColumnRange<T> density, ColumnRange<T> colour,
        RayBackground<T> background, VolumeRenderOutput<T> forward, DeviceMatrix<T> dLdColour, DeviceMatrix<T> dLdOpacity,
        DeviceMatrix<T> dLdDepth, ColumnRange<T> dLdDensity, ColumnRange<T> dLdRawColour)
    {
        public readonly RaySamples Samples = samples;
        public readonly ColumnRange<T> Density = density, Colour = colour, DLdDensity = dLdDensity, DLdRawColour = dLdRawColour;
        public readonly RayBackground<T> Background = background;
        public readonly VolumeRenderOutput<T> Forward = forward;
        public readonly DeviceMatrix<T> DLdColour = dLdColour, DLdOpacity = dLdOpacity, DLdDepth = dLdDepth;
    }

    static RayInputs Inputs(RaySamples s, ColumnRange<T> density, ColumnRange<T> colour, RayBackground<T> bg, Span<T> bgScratch) => new()
    {
        Offsets = s.RayOffsets, Counts = s.RayCounts, TStarts = s.TStarts, TEnds = s.TEnds,
        Density = density.HostSpan(), DensityStride = density.Stride,
        Colour = colour.HostSpan(), ColourStride = colour.Stride,
        Background = bg.HostView(bgScratch, out int bgStride), BackgroundStride = bgStride,
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static T Sigmoid(T x) => T.One / (T.One + T.Exp(-x));

    static void ForwardTile(int start, int end, in ForwardArgs a)
    {
        Span<T> bgScratch = stackalloc T[3];
        var input = Inputs(a.Samples, a.Density, a.Colour, a.Background, bgScratch);
        var o = a.Output;
        Span<T> colour = o.Colour.AsSpan(), foreground = o.Foreground.AsSpan(), opacity = o.Opacity.AsSpan(), depth = o.Depth.AsSpan();
        Span<T> weights = o.Weights.IsNull ? default : o.Weights.AsSpan();
        Span<int> used = o.UsedCountsArray;
        T half = T.CreateChecked(0.5);
        for (int r = start; r < end; r++)
        {
            int first = input.Offsets[r], n = input.Counts[r], i = 0;
            T trans = T.One, cr = T.Zero, cg = T.Zero, cb = T.Zero, acc = T.Zero, dep = T.Zero;
            for (; i < n; i++)
            {
                if (trans < a.Threshold) break;
                int s = first + i;
                T t0 = T.CreateChecked(input.TStarts[s]), t1 = T.CreateChecked(input.TEnds[s]);
                T sigma = T.Exp(input.Density[s * input.DensityStride]);
                T alpha = T.One - T.Exp(-sigma * (t1 - t0));
                T w = alpha * trans;
                int c = s * input.ColourStride;
                cr += w * Sigmoid(input.Colour[c]);
                cg += w * Sigmoid(input.Colour[c + 1]);
                cb += w * Sigmoid(input.Colour[c + 2]);
                acc += w;
                dep += w * (t0 + t1) * half;
                trans *= T.One - alpha;
                if (!weights.IsEmpty) weights[s] = w;
            }
            used[r] = i;
            if (!weights.IsEmpty) weights.Slice(first + i, n - i).Clear();
            foreground[3 * r] = cr; foreground[3 * r + 1] = cg; foreground[3 * r + 2] = cb;
            T rest = T.One - acc;
            int b = r * input.BackgroundStride;
            colour[3 * r] = cr + rest * input.Background[b];
            colour[3 * r + 1] = cg + rest * input.Background[b + 1];
            colour[3 * r + 2] = cb + rest * input.Background[b + 2];
            opacity[r] = acc;
            depth[r] = dep;
        }
    }

    static void BackwardTile(int start, int end, in BackwardArgs a)
    {
        Span<T> bgScratch = stackalloc T[3];
        var input = Inputs(a.Samples, a.Density, a.Colour, a.Background, bgScratch);
        var f = a.Forward;
        ReadOnlySpan<T> foreground = f.Foreground.AsSpan(), opacity = f.Opacity.AsSpan(), depth = f.Depth.AsSpan();
        ReadOnlySpan<int> used = f.UsedCounts;
        ReadOnlySpan<T> dC = a.DLdColour.AsSpan();
        ReadOnlySpan<T> dA = a.DLdOpacity.IsNull ? default : a.DLdOpacity.AsSpan();
        ReadOnlySpan<T> dD = a.DLdDepth.IsNull ? default : a.DLdDepth.AsSpan();
        Span<T> gDensity = a.DLdDensity.HostSpan(), gColour = a.DLdRawColour.HostSpan();
        int gdStride = a.DLdDensity.Stride, gcStride = a.DLdRawColour.Stride;
        T half = T.CreateChecked(0.5), clamp = T.CreateChecked(DensityDerivativeClamp);
        for (int r = start; r < end; r++)
        {
            int first = input.Offsets[r], n = input.Counts[r], m = used[r];
            T gr = dC[3 * r], gg = dC[3 * r + 1], gb = dC[3 * r + 2];
            int b = r * input.BackgroundStride;
            // C_out = C + (1 − A)·bg, so A's total gradient also carries −⟨dL/dC_out, bg⟩.
            T gA = (dA.IsEmpty ? T.Zero : dA[r])
                - (gr * input.Background[b] + gg * input.Background[b + 1] + gb * input.Background[b + 2]);
            T gD = dD.IsEmpty ? T.Zero : dD[r];
            T cR = foreground[3 * r], cG = foreground[3 * r + 1], cB = foreground[3 * r + 2], aTot = opacity[r], dTot = depth[r];
            T trans = T.One, pr = T.Zero, pg = T.Zero, pb = T.Zero, pa = T.Zero, pd = T.Zero;
            for (int i = 0; i < m; i++)
            {
                int s = first + i;
                T t0 = T.CreateChecked(input.TStarts[s]), t1 = T.CreateChecked(input.TEnds[s]), dt = t1 - t0;
                T raw = input.Density[s * input.DensityStride];
                T sigma = T.Exp(raw);
                T alpha = T.One - T.Exp(-sigma * dt);
                T w = alpha * trans;
                int c = s * input.ColourStride;
                T r0 = Sigmoid(input.Colour[c]), r1 = Sigmoid(input.Colour[c + 1]), r2 = Sigmoid(input.Colour[c + 2]);
                T tm = (t0 + t1) * half;
                pr += w * r0; pg += w * r1; pb += w * r2; pa += w; pd += w * tm;
                trans *= T.One - alpha; // now T_{i+1}: ∂w_i/∂σ_i = δ_i T_{i+1}, ∂w_j/∂σ_i = −δ_i w_j for j > i
                // dX/dσ_i = δ_i (T_{i+1} x_i − Σ_{j>i} w_j x_j) for X = C (x = c), A (x = 1), D (x = t).
                T dSigma = dt * (gr * (trans * r0 - (cR - pr)) + gg * (trans * r1 - (cG - pg)) + gb * (trans * r2 - (cB - pb))
                    + gA * (trans - (aTot - pa)) + gD * (trans * tm - (dTot - pd)));
                // instant-ngp: dσ/draw = exp(clamp(raw, −15, 15)) although σ itself is exp(raw) unclamped.
                T dSigmaDRaw = raw >= -clamp && raw <= clamp ? sigma : T.Exp(T.Clamp(raw, -clamp, clamp));
                gDensity[s * gdStride] = dSigma * dSigmaDRaw;
                int g = s * gcStride;
                gColour[g] = gr * w * r0 * (T.One - r0);
                gColour[g + 1] = gg * w * r1 * (T.One - r1);
                gColour[g + 2] = gb * w * r2 * (T.One - r2);
            }
            for (int i = m; i < n; i++)
            {
                int s = first + i;
                gDensity[s * gdStride] = T.Zero;
                int g = s * gcStride;
                gColour[g] = gColour[g + 1] = gColour[g + 2] = T.Zero;
            }
        }
    }
}
