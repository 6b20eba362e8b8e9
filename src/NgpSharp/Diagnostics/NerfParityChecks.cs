using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Rendering;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-CUDA checks of the NeRF pieces: the volume renderer's forward (VolumeRenderer.cu: colour, foreground,
/// opacity, depth, weights, and the used-sample counts, which must be equal exactly) and backward (dL/draw density,
/// dL/draw colour), and <see cref="NerfNetwork{T}"/> forward / dL/dparams / dL/dinput (NerfNetwork.cu plus the
/// hash grid, MLP and spherical-harmonics kernels it calls).
/// </summary>
/// <remarks>
/// Renderer inputs: rays of 1–100 samples (one ray of 0) with random gaps between samples, read from and written to
/// a padded [S, 16] network-output layout (rgb in columns 0–2, density in 3, the others must stay untouched). Half
/// the rays are dense (raw density in [−1, 6), so most terminate early), half sparse ([−6, 1)); the check fails when
/// no ray terminates early or every ray does, since it would not test termination. The kernel does the CPU's
/// operations in the CPU's order, so errors are rounding only (exp and FMA contraction on a GPU): bound
/// <see cref="Parity.Fp32Bound"/>. Used counts could in principle differ on a GPU where T_i lands within rounding
/// of the threshold (probability ~1e-7 per ray); the check reports the first ray that differs.
/// NerfNetwork: a small grid (4 levels, 2^12 entries) and fp32 "MLP"s with Tanh (smooth, so no ReLU kink flips;
/// see <see cref="MlpParityChecks"/>), bound <see cref="Parity.Fp32Bound"/>.
/// </remarks>
public static class NerfParityChecks
{
    const int PaddedColumns = 16, DensityColumn = 3;

    /// <summary>All NeRF parity checks.</summary>
    public static IEnumerable<ParityCheck> Checks()
    {
        yield return new("nerf renderer: 3000 rays, constant background, training threshold",
            (cpu, device) => Renderer(cpu, device, rays: 3000, perRayBackground: false, VolumeRenderer<float>.TrainingThreshold, seed: 11));
        yield return new("nerf renderer: 2001 rays, per-ray background, rendering threshold",
            (cpu, device) => Renderer(cpu, device, rays: 2001, perRayBackground: true, VolumeRenderer<float>.RenderingThreshold, seed: 12));
        yield return new("nerf renderer: 500 rays, no early termination (threshold 0), no weights",
            (cpu, device) => Renderer(cpu, device, rays: 500, perRayBackground: true, 0.0, seed: 13, requireTermination: false, storeWeights: false));
        yield return new("nerf network: HashGrid L4 + MLP Tanh, batch 2001",
            (cpu, device) => Parity.CompareModule(cpu, device, be => SmallNerfNetwork(be), 2001, Parity.Fp32Bound, paramScale: 0.3f, seed: 21));
        yield return new("nerf network: HashGrid L4 + MLP Tanh, batch 37",
            (cpu, device) => Parity.CompareModule(cpu, device, be => SmallNerfNetwork(be), 37, Parity.Fp32Bound, paramScale: 0.3f, seed: 22));
        yield return new("nerf network: DensityOnly, 4099 positions", (cpu, device) => DensityOnly(cpu, device, 4099, seed: 23));
    }

    /// <summary>A NeRF network small enough for the emulator: 4 grid levels, 32-wide fp32 MLPs with Tanh.</summary>
    static NerfNetwork<float> SmallNerfNetwork(Backend backend) => NerfNetwork<float>.FromJson(backend, 1, JsonConfig.From(new JsonObject
    {
        ["encoding"] = new JsonObject { ["otype"] = "HashGrid", ["n_levels"] = 4, ["n_features_per_level"] = 2, ["log2_hashmap_size"] = 12, ["base_resolution"] = 8, ["per_level_scale"] = 2.0 },
        ["network"] = new JsonObject { ["otype"] = "MLP", ["activation"] = "Tanh", ["n_neurons"] = 32, ["n_hidden_layers"] = 1, ["n_output_dims"] = 16 },
        ["dir_encoding"] = new JsonObject { ["otype"] = "SphericalHarmonics", ["degree"] = 4 },
        ["rgb_network"] = new JsonObject { ["otype"] = "MLP", ["activation"] = "Tanh", ["n_neurons"] = 32, ["n_hidden_layers"] = 1 },
    }));

    /// <summary>The grid update's density query (<see cref="NerfNetwork{T}.DensityOnly"/>) on both backends.</summary>
    static ParityResult DensityOnly(Backend cpu, Backend device, int count, ulong seed)
    {
        var positions = Parity.Random(3 * count, seed + 1);
        float[] Run(Backend be)
        {
            using var net = SmallNerfNetwork(be);
            var theta = Parity.Random((int)net.ParamCount, seed, -0.3f, 0.3f);
            using var p = be.Upload<float>(theta);
            using var g = be.Allocate<float>(theta.Length);
            net.SetParams(p.All, g.All);
            using var x = be.Upload<float>(positions);
            using var density = be.Allocate<float>(count);
            net.DensityOnly(x.AsMatrix(count, 3), density.All);
            be.Synchronize();
            return be.ToArray(density.All);
        }
        return new(Parity.RelativeError(Run(cpu), Run(device)), Parity.Fp32Bound, "raw density");
    }

    /// <summary>Host inputs of one renderer check.</summary>
    sealed record RendererInputs(RaySamples Samples, float[] Network, float[] Background, float[] DColour, float[] DOpacity, float[] DDepth);

    static RendererInputs MakeInputs(int rays, ulong seed)
    {
        var rng = new Rng(seed);
        var counts = new int[rays];
        int total = 0;
        for (int r = 0; r < rays; r++) total += counts[r] = r == 0 ? 0 : 1 + (int)(rng.NextUInt() % 100);
        var samples = new RaySamples(rays, total) { Count = total };
        var network = new float[total * PaddedColumns];
        int s = 0;
        for (int r = 0; r < rays; r++)
        {
            samples.RayOffsets[r] = s;
            samples.RayCounts[r] = counts[r];
            bool dense = (r & 1) == 0;
            float t = 0.05f + 0.5f * rng.NextFloat();
            for (int i = 0; i < counts[r]; i++, s++)
            {
                if (rng.NextFloat() < 0.2f) t += 0.1f * rng.NextFloat(); // a skipped (empty) stretch
                float dt = 0.002f + 0.03f * rng.NextFloat();
                samples.RayIndices[s] = r;
                samples.TStarts[s] = t;
                samples.TEnds[s] = t + dt;
                t += dt;
                for (int c = 0; c < PaddedColumns; c++) network[s * PaddedColumns + c] = -4f + 8f * rng.NextFloat();
                network[s * PaddedColumns + DensityColumn] = dense ? -1f + 7f * rng.NextFloat() : -6f + 7f * rng.NextFloat();
            }
        }
        return new(samples, network, Parity.Random(3 * rays, seed + 1), Parity.Random(3 * rays, seed + 2, -1f, 1f),
            Parity.Random(rays, seed + 3, -1f, 1f), Parity.Random(rays, seed + 4, -0.3f, 0.3f));
    }

    /// <summary>What one backend computed: per-ray outputs, weights, used counts and the padded gradient matrix.</summary>
    sealed record RendererResult(float[] Colour, float[] Foreground, float[] Opacity, float[] Depth, float[] Weights, int[] Used, long TotalUsed, float[] Gradients);

    /// <summary>Sentinel in the gradient matrix: columns the renderer must not write keep it.</summary>
    const float Untouched = 7.25f;

    static RendererResult Render(Backend be, RendererInputs input, double threshold, bool perRayBackground, bool storeWeights)
    {
        var samples = input.Samples;
        int rays = samples.RayCount, count = samples.Count;
        using var networkBuffer = be.Upload<float>(input.Network);
        var network = networkBuffer.AsMatrix(count, PaddedColumns);
        using var backgroundBuffer = be.Upload<float>(input.Background);
        var background = perRayBackground ? RayBackground<float>.PerRay(backgroundBuffer.AsMatrix(rays, 3)) : RayBackground<float>.Constant(0.2f, 0.5f, 0.9f);
        using var dColour = be.Upload<float>(input.DColour);
        using var dOpacity = be.Upload<float>(input.DOpacity);
        using var dDepth = be.Upload<float>(input.DDepth);
        using var gradientBuffer = be.Allocate<float>((long)count * PaddedColumns);
        be.Fill(gradientBuffer.All, Untouched);
        var gradients = gradientBuffer.AsMatrix(count, PaddedColumns);

        var renderer = new VolumeRenderer<float>(threshold);
        using var output = new VolumeRenderOutput<float>(be);
        var density = new ColumnRange<float>(network, DensityColumn, 1);
        var colour = new ColumnRange<float>(network, 0, 3);
        renderer.Forward(samples, density, colour, background, output, storeWeights);
        renderer.Backward(samples, density, colour, background, output, dColour.AsMatrix(rays, 3),
            new ColumnRange<float>(gradients, DensityColumn, 1), new ColumnRange<float>(gradients, 0, 3),
            dOpacity.AsMatrix(rays, 1), dDepth.AsMatrix(rays, 1));
        be.Synchronize();
        return new(be.ToArray(output.Colour.Data), be.ToArray(output.Foreground.Data), be.ToArray(output.Opacity.Data),
            be.ToArray(output.Depth.Data), storeWeights ? be.ToArray(output.Weights.Data) : [], output.UsedCounts.ToArray(), output.TotalUsed,
            be.ToArray(gradientBuffer.All));
    }

    static ParityResult Renderer(Backend cpu, Backend device, int rays, bool perRayBackground, double threshold, ulong seed,
        bool requireTermination = true, bool storeWeights = true)
    {
        var input = MakeInputs(rays, seed);
        var a = Render(cpu, input, threshold, perRayBackground, storeWeights);
        var b = Render(device, input, threshold, perRayBackground, storeWeights);
        double bound = Parity.Fp32Bound;

        int terminated = 0;
        for (int r = 0; r < rays; r++)
        {
            if (a.Used[r] != b.Used[r])
                return new(double.PositiveInfinity, bound, $"used counts differ at ray {r}: cpu {a.Used[r]}, device {b.Used[r]} of {input.Samples.RayCounts[r]}");
            if (a.Used[r] < input.Samples.RayCounts[r]) terminated++;
        }
        if (a.TotalUsed != b.TotalUsed) return new(double.PositiveInfinity, bound, $"total used differs: cpu {a.TotalUsed}, device {b.TotalUsed}");
        if (requireTermination && (terminated == 0 || terminated == rays))
            return new(double.PositiveInfinity, bound, $"{terminated} of {rays} rays terminated early: the inputs do not test termination");

        var (densityA, colourA, restA) = SplitGradients(a.Gradients);
        var (densityB, colourB, restB) = SplitGradients(b.Gradients);
        for (int i = 0; i < restB.Length; i++)
            if (restB[i] != Untouched || restA[i] != Untouched)
                return new(double.PositiveInfinity, bound, "the backward wrote outside the density and colour columns");
        string tag = $"{terminated}/{rays} rays terminated, {a.TotalUsed} samples used";
        return ParityResult.Worst(
            new(Parity.RelativeError(a.Colour, b.Colour), bound, "colour; " + tag),
            new(Parity.RelativeError(a.Foreground, b.Foreground), bound, "foreground; " + tag),
            new(Parity.RelativeError(a.Opacity, b.Opacity), bound, "opacity; " + tag),
            new(Parity.RelativeError(a.Depth, b.Depth), bound, "depth; " + tag),
            new(Parity.RelativeError(a.Weights, b.Weights), bound, "weights; " + tag),
            new(Parity.RelativeError(densityA, densityB), bound, "dL/draw_density; " + tag),
            new(Parity.RelativeError(colourA, colourB), bound, "dL/draw_colour; " + tag));
    }

    /// <summary>The padded gradient matrix [S, 16] as its density column, its colour columns and the rest.</summary>
    static (float[] Density, float[] Colour, float[] Others) SplitGradients(float[] padded)
    {
        int rows = padded.Length / PaddedColumns;
        var density = new float[rows];
        var colour = new float[3 * rows];
        var rest = new float[(PaddedColumns - 4) * rows];
        for (int s = 0; s < rows; s++)
        {
            density[s] = padded[s * PaddedColumns + DensityColumn];
            for (int c = 0; c < 3; c++) colour[3 * s + c] = padded[s * PaddedColumns + c];
            for (int c = 4; c < PaddedColumns; c++) rest[(PaddedColumns - 4) * s + c - 4] = padded[s * PaddedColumns + c];
        }
        return (density, colour, rest);
    }
}
