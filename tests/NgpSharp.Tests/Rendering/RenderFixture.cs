using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Rendering;

namespace NgpSharp.Tests.Rendering;

/// <summary>A batch of rays with raw network outputs on the CPU, built from per-ray sample intervals.</summary>
sealed class RenderFixture<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;
    readonly List<IDisposable> _owned = [];

    public RaySamples Samples { get; }
    public T[] RawDensity { get; }
    public T[] RawColour { get; }
    /// <summary>[R, 3] per-ray background, or null for the constant one.</summary>
    public T[]? BackgroundPerRay { get; set; }
    public (T R, T G, T B) BackgroundConstant { get; set; }

    public RenderFixture(IReadOnlyList<(float T0, float T1)[]> rays, T[] rawDensity, T[] rawColour)
    {
        int total = rays.Sum(r => r.Length);
        Samples = new RaySamples(rays.Count, total) { Count = total };
        int s = 0;
        for (int r = 0; r < rays.Count; r++)
        {
            Samples.RayOffsets[r] = s;
            Samples.RayCounts[r] = rays[r].Length;
            foreach (var (t0, t1) in rays[r]) { Samples.RayIndices[s] = r; Samples.TStarts[s] = t0; Samples.TEnds[s] = t1; s++; }
        }
        RawDensity = rawDensity;
        RawColour = rawColour;
    }

    public int RayCount => Samples.RayCount;
    public int SampleCount => Samples.Count;

    public DeviceMatrix<T> Matrix(T[] data, int cols)
    {
        var buffer = Cpu.Upload<T>(data);
        _owned.Add(buffer);
        return buffer.AsMatrix(data.Length / cols, cols);
    }

    public DeviceMatrix<T> Zeros(int rows, int cols)
    {
        _owned.Add(Cpu.AllocateMatrix<T>(rows, cols, out var m));
        return m;
    }

    public RayBackground<T> Background => BackgroundPerRay is { } b
        ? RayBackground<T>.PerRay(Matrix(b, 3))
        : RayBackground<T>.Constant(BackgroundConstant.R, BackgroundConstant.G, BackgroundConstant.B);

    public VolumeRenderOutput<T> Forward(VolumeRenderer<T> renderer, bool weights = false)
    {
        var output = new VolumeRenderOutput<T>(Cpu);
        _owned.Add(output);
        renderer.Forward(Samples, Matrix(RawDensity, 1), Matrix(RawColour, 3), Background, output, weights);
        return output;
    }

    /// <summary>Forward then backward; returns the output and (dL/draw_density [S], dL/draw_colour [S, 3]).</summary>
    public (VolumeRenderOutput<T> Output, T[] GradDensity, T[] GradColour) ForwardBackward(VolumeRenderer<T> renderer,
        T[] dLdColour, T[]? dLdOpacity = null, T[]? dLdDepth = null, T fill = default)
    {
        var output = Forward(renderer);
        var gd = Matrix(Enumerable.Repeat(fill, SampleCount).ToArray(), 1);
        var gc = Matrix(Enumerable.Repeat(fill, SampleCount * 3).ToArray(), 3);
        renderer.Backward(Samples, Matrix(RawDensity, 1), Matrix(RawColour, 3), Background, output, Matrix(dLdColour, 3), gd, gc,
            dLdOpacity is null ? default : Matrix(dLdOpacity, 1), dLdDepth is null ? default : Matrix(dLdDepth, 1));
        return (output, gd.AsSpan().ToArray(), gc.AsSpan().ToArray());
    }

    /// <summary>Random rays: 1–maxSamples samples each, random δ, raw values uniform in ±rawRange.</summary>
    public static RenderFixture<T> Random(ulong seed, int rays, int maxSamples, double rawRange = 3, double maxDelta = 0.3, bool perRayBackground = true)
    {
        var rng = new Rng(seed);
        var list = new List<(float, float)[]>();
        for (int r = 0; r < rays; r++)
        {
            int n = 1 + (int)rng.NextUInt((uint)maxSamples);
            var ray = new (float, float)[n];
            float t = rng.NextFloat(0.1f, 1f);
            for (int i = 0; i < n; i++)
            {
                float t0 = t + rng.NextFloat(0, 0.05f), t1 = t0 + rng.NextFloat(0.001f, (float)maxDelta);
                ray[i] = (t0, t1);
                t = t1;
            }
            list.Add(ray);
        }
        int s = list.Sum(x => x.Length);
        T U() => T.CreateChecked(rng.NextFloat(-(float)rawRange, (float)rawRange));
        var density = Enumerable.Range(0, s).Select(_ => U()).ToArray();
        var colour = Enumerable.Range(0, 3 * s).Select(_ => U()).ToArray();
        var f = new RenderFixture<T>(list, density, colour);
        if (perRayBackground) f.BackgroundPerRay = Enumerable.Range(0, 3 * rays).Select(_ => T.CreateChecked(rng.NextFloat())).ToArray();
        else f.BackgroundConstant = (T.CreateChecked(0.3), T.CreateChecked(0.6), T.CreateChecked(0.9));
        return f;
    }

    public static T[] RandomVector(ulong seed, int length)
    {
        var rng = new Rng(seed);
        return Enumerable.Range(0, length).Select(_ => T.CreateChecked(rng.NextFloat(-1, 1))).ToArray();
    }

    public void Dispose()
    {
        foreach (var d in _owned) d.Dispose();
        _owned.Clear();
    }
}
