using NgpSharp.Compute;
using NgpSharp.Rendering;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-CUDA checks of the NeuS renderer (NeusRenderer.cu): forward (colour, normal map, opacity, depth, per-sample
/// α and weights; used counts must be equal exactly) and backward (dL/dsdf, dL/d∇f, dL/drgb, dL/dbackground and
/// dL/dinv_s).
/// </summary>
/// <remarks>
/// Inputs: rays of 1–100 samples (one ray of 0) with random gaps, f in ±0.3 near a surface at s = 50, ∇f of random
/// direction and length 0.5–1.5, unit directions; f and ∇f are read from (and their gradients written to) a padded
/// [S, 8] geometry-output layout (f in column 0, ∇f in 1–3; columns 4–7 must stay untouched). The kernels do the
/// CPU's operations in the CPU's order, so errors are rounding only (exp and FMA contraction on a GPU): bound
/// <see cref="Parity.Fp32Bound"/>; dL/dinv_s is one sum over all samples, compared relative to its size.
/// </remarks>
public static class NeusParityChecks
{
    const int GeometryColumns = 8;
    const float Untouched = 7.25f;

    /// <summary>All NeuS renderer parity checks.</summary>
    public static IEnumerable<ParityCheck> Checks()
    {
        yield return new("neus renderer: 3000 rays, per-ray background, r 0.3, no termination",
            (cpu, device) => Renderer(cpu, device, rays: 3000, perRayBackground: true, threshold: 0, ratio: 0.3f, normalizeCos: true, seed: 31));
        yield return new("neus renderer: 2001 rays, constant background, r 1, threshold 1e-4",
            (cpu, device) => Renderer(cpu, device, rays: 2001, perRayBackground: false, threshold: 1e-4, ratio: 1f, normalizeCos: true, seed: 32));
        yield return new("neus renderer: 500 rays, raw-gradient cosine (NeuS), threshold 0.01",
            (cpu, device) => Renderer(cpu, device, rays: 500, perRayBackground: true, threshold: 0.01, ratio: 0.8f, normalizeCos: false, seed: 33));
    }

    sealed record Inputs(RaySamples Samples, float[] Geometry, float[] Rgb, float[] Directions, float[] Background,
        float[] DColour, float[] DOpacity, float[] DDepth, float[] DNormal);

    static Inputs MakeInputs(int rays, ulong seed)
    {
        var rng = new Rng(seed);
        var counts = new int[rays];
        int total = 0;
        for (int r = 0; r < rays; r++) total += counts[r] = r == 0 ? 0 : 1 + (int)(rng.NextUInt() % 100);
        var samples = new RaySamples(rays, total) { Count = total };
        var geometry = new float[total * GeometryColumns];
        int s = 0;
        for (int r = 0; r < rays; r++)
        {
            samples.RayOffsets[r] = s;
            samples.RayCounts[r] = counts[r];
            float t = 0.05f + 0.5f * rng.NextFloat();
            for (int i = 0; i < counts[r]; i++, s++)
            {
                if (rng.NextFloat() < 0.2f) t += 0.1f * rng.NextFloat();
                float dt = 0.002f + 0.03f * rng.NextFloat();
                samples.RayIndices[s] = r;
                samples.TStarts[s] = t;
                samples.TEnds[s] = t + dt;
                t += dt;
                for (int c = 0; c < GeometryColumns; c++) geometry[s * GeometryColumns + c] = -1f + 2f * rng.NextFloat();
                geometry[s * GeometryColumns] = -0.3f + 0.6f * rng.NextFloat();
                float scale = (0.5f + rng.NextFloat()) / MathF.Max(1e-3f, Length(geometry.AsSpan(s * GeometryColumns + 1, 3)));
                for (int c = 1; c <= 3; c++) geometry[s * GeometryColumns + c] *= scale;
            }
        }
        var directions = Parity.Random(3 * rays, seed + 1, -1f, 1f);
        for (int r = 0; r < rays; r++)
        {
            float inv = 1f / MathF.Max(1e-3f, Length(directions.AsSpan(3 * r, 3)));
            for (int c = 0; c < 3; c++) directions[3 * r + c] *= inv;
        }
        return new(samples, geometry, Parity.Random(3 * total, seed + 2), directions, Parity.Random(3 * rays, seed + 3),
            Parity.Random(3 * rays, seed + 4, -1f, 1f), Parity.Random(rays, seed + 5, -1f, 1f), Parity.Random(rays, seed + 6, -0.3f, 0.3f),
            Parity.Random(3 * rays, seed + 7, -1f, 1f));
    }

    /// <summary>Columns [first, first + count) of a padded [S, 8] matrix, row by row.</summary>
    static float[] Columns(float[] padded, int first, int count)
    {
        int rows = padded.Length / GeometryColumns;
        var result = new float[rows * count];
        for (int s = 0; s < rows; s++)
            for (int c = 0; c < count; c++) result[s * count + c] = padded[s * GeometryColumns + first + c];
        return result;
    }

    static float Length(ReadOnlySpan<float> v) => MathF.Sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);

    sealed record Result(float[] Colour, float[] Normal, float[] Opacity, float[] Depth, float[] Alpha, float[] Weights, int[] Used,
        float[] GeometryGradients, float[] RgbGradients, float[] BackgroundGradients, double InvSGradient);

    static Result Render(Backend be, Inputs input, double threshold, float ratio, bool normalizeCos, bool perRayBackground)
    {
        var samples = input.Samples;
        int rays = samples.RayCount, count = samples.Count;
        using var geometryBuffer = be.Upload<float>(input.Geometry);
        var geometry = geometryBuffer.AsMatrix(count, GeometryColumns);
        using var rgb = be.Upload<float>(input.Rgb);
        using var directions = be.Upload<float>(input.Directions);
        using var backgroundBuffer = be.Upload<float>(input.Background);
        var background = perRayBackground ? RayBackground<float>.PerRay(backgroundBuffer.AsMatrix(rays, 3)) : RayBackground<float>.Constant(0.2f, 0.5f, 0.9f);
        using var dColour = be.Upload<float>(input.DColour);
        using var dOpacity = be.Upload<float>(input.DOpacity);
        using var dDepth = be.Upload<float>(input.DDepth);
        using var dNormal = be.Upload<float>(input.DNormal);
        using var gGeometryBuffer = be.Allocate<float>(Math.Max(1L, (long)count * GeometryColumns));
        be.Fill(gGeometryBuffer.All, Untouched);
        var gGeometry = gGeometryBuffer.All.Slice(0, (long)count * GeometryColumns).AsMatrix(count, GeometryColumns);
        using var gRgb = be.Allocate<float>(Math.Max(1L, 3L * count));
        using var gBackground = be.Allocate<float>(Math.Max(1L, 3L * rays));

        var inputs = new NeusRenderInputs<float>(samples, new ColumnRange<float>(geometry, 0, 1), new ColumnRange<float>(geometry, 1, 3),
            rgb.All.Slice(0, 3L * count).AsMatrix(count, 3), directions.AsMatrix(rays, 3), 50f, ratio, background);
        var renderer = new NeusRenderer<float>(threshold, normalizeCos);
        using var output = new NeusRenderOutput<float>(be);
        renderer.Forward(inputs, output);
        double dInvS = renderer.Backward(inputs, output, dColour.AsMatrix(rays, 3),
            new ColumnRange<float>(gGeometry, 0, 1), new ColumnRange<float>(gGeometry, 1, 3), gRgb.All.Slice(0, 3L * count).AsMatrix(count, 3),
            dOpacity.AsMatrix(rays, 1), dDepth.AsMatrix(rays, 1), dNormal.AsMatrix(rays, 3),
            perRayBackground ? gBackground.All.Slice(0, 3L * rays).AsMatrix(rays, 3) : default);
        be.Synchronize();
        return new(be.ToArray(output.Colour.Data), be.ToArray(output.Normal.Data), be.ToArray(output.Opacity.Data), be.ToArray(output.Depth.Data),
            be.ToArray(output.Alpha.Data), be.ToArray(output.Weights.Data), output.UsedCounts.ToArray(),
            be.ToArray(gGeometry.Data), be.ToArray(gRgb.All.Slice(0, 3L * count)),
            perRayBackground ? be.ToArray(gBackground.All.Slice(0, 3L * rays)) : [], dInvS);
    }

    static ParityResult Renderer(Backend cpu, Backend device, int rays, bool perRayBackground, double threshold, float ratio,
        bool normalizeCos, ulong seed)
    {
        var input = MakeInputs(rays, seed);
        var a = Render(cpu, input, threshold, ratio, normalizeCos, perRayBackground);
        var b = Render(device, input, threshold, ratio, normalizeCos, perRayBackground);
        double bound = Parity.Fp32Bound;
        int terminated = 0;
        for (int r = 0; r < rays; r++)
        {
            if (a.Used[r] != b.Used[r])
                return new(double.PositiveInfinity, bound, $"used counts differ at ray {r}: cpu {a.Used[r]}, device {b.Used[r]} of {input.Samples.RayCounts[r]}");
            if (a.Used[r] < input.Samples.RayCounts[r]) terminated++;
        }
        if (threshold > 0 && (terminated == 0 || terminated == rays))
            return new(double.PositiveInfinity, bound, $"{terminated} of {rays} rays terminated early: the inputs do not test termination");
        for (int i = 0; i < a.GeometryGradients.Length; i++)
            if (i % GeometryColumns >= 4 && (a.GeometryGradients[i] != Untouched || b.GeometryGradients[i] != Untouched))
                return new(double.PositiveInfinity, bound, "the backward wrote outside the sdf and gradient columns");
        string tag = $"{terminated}/{rays} rays terminated";
        double invSError = Math.Abs(a.InvSGradient - b.InvSGradient) / Math.Max(1e-6, Math.Abs(a.InvSGradient));
        return ParityResult.Worst(
            new(Parity.RelativeError(a.Colour, b.Colour), bound, "colour; " + tag),
            new(Parity.RelativeError(a.Normal, b.Normal), bound, "normal; " + tag),
            new(Parity.RelativeError(a.Opacity, b.Opacity), bound, "opacity; " + tag),
            new(Parity.RelativeError(a.Depth, b.Depth), bound, "depth; " + tag),
            new(Parity.RelativeError(a.Alpha, b.Alpha), bound, "alpha; " + tag),
            new(Parity.RelativeError(a.Weights, b.Weights), bound, "weights; " + tag),
            new(Parity.RelativeError(Columns(a.GeometryGradients, 0, 1), Columns(b.GeometryGradients, 0, 1)), bound, "dL/dsdf; " + tag),
            new(Parity.RelativeError(Columns(a.GeometryGradients, 1, 3), Columns(b.GeometryGradients, 1, 3)), bound, "dL/dgradient; " + tag),
            new(Parity.RelativeError(a.RgbGradients, b.RgbGradients), bound, "dL/drgb; " + tag),
            new(Parity.RelativeError(a.BackgroundGradients, b.BackgroundGradients), bound, "dL/dbackground; " + tag),
            new(invSError, bound, $"dL/dinv_s = {a.InvSGradient:G6}; " + tag));
    }
}
