using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Rendering;

namespace NgpSharp.Tests.Rendering;

/// <summary>A batch of rays with per-sample SDF values, SDF gradients and colours on the CPU, for the NeuS renderer.</summary>
sealed class NeusFixture<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;
    readonly List<IDisposable> _owned = [];

    public RaySamples Samples { get; }
    public T[] Sdf { get; }
    /// <summary>[S, 3]</summary>
    public T[] Gradient { get; }
    /// <summary>[S, 3]</summary>
    public T[] Rgb { get; }
    /// <summary>[R, 3]</summary>
    public T[] Directions { get; }
    /// <summary>[R, 3] per-ray background, or null for the constant one.</summary>
    public T[]? BackgroundPerRay { get; set; }
    public (T R, T G, T B) BackgroundConstant { get; set; }
    public T InvS { get; set; }
    public T CosAnnealRatio { get; set; } = T.One;

    public NeusFixture(IReadOnlyList<(float T0, float T1)[]> rays, T[] sdf, T[] gradient, T[] rgb, T[] directions, T invS)
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
        Sdf = sdf; Gradient = gradient; Rgb = rgb; Directions = directions; InvS = invS;
    }

    public int RayCount => Samples.RayCount;
    public int SampleCount => Samples.Count;

    public DeviceMatrix<T> Matrix(T[] data, int cols)
    {
        var buffer = Cpu.Upload<T>(data);
        _owned.Add(buffer);
        return buffer.AsMatrix(data.Length / cols, cols);
    }

    public DeviceMatrix<T> Filled(int rows, int cols, T value) => Matrix(Enumerable.Repeat(value, rows * cols).ToArray(), cols);

    public RayBackground<T> Background => BackgroundPerRay is { } b
        ? RayBackground<T>.PerRay(Matrix(b, 3))
        : RayBackground<T>.Constant(BackgroundConstant.R, BackgroundConstant.G, BackgroundConstant.B);

    public NeusRenderInputs<T> Inputs() => new(Samples, Matrix(Sdf, 1), Matrix(Gradient, 3), Matrix(Rgb, 3), Matrix(Directions, 3),
        InvS, CosAnnealRatio, Background);

    public NeusRenderOutput<T> Forward(NeusRenderer<T> renderer)
    {
        var output = new NeusRenderOutput<T>(Cpu);
        _owned.Add(output);
        renderer.Forward(Inputs(), output);
        return output;
    }

    public sealed record Gradients(NeusRenderOutput<T> Output, T[] Sdf, T[] Gradient, T[] Rgb, double InvS, T[]? Background);

    /// <summary>Forward then backward with the given upstream gradients (null: none).</summary>
    public Gradients ForwardBackward(NeusRenderer<T> renderer, T[] dLdColour, T[]? dLdOpacity = null, T[]? dLdDepth = null,
        T[]? dLdNormal = null, T fill = default)
    {
        var inputs = Inputs();
        var output = new NeusRenderOutput<T>(Cpu);
        _owned.Add(output);
        renderer.Forward(inputs, output);
        var gs = Filled(SampleCount, 1, fill);
        var gg = Filled(SampleCount, 3, fill);
        var gc = Filled(SampleCount, 3, fill);
        var gb = BackgroundPerRay is null ? default : Filled(RayCount, 3, fill);
        double gInvS = renderer.Backward(inputs, output, Matrix(dLdColour, 3), gs, gg, gc,
            dLdOpacity is null ? default : Matrix(dLdOpacity, 1), dLdDepth is null ? default : Matrix(dLdDepth, 1),
            dLdNormal is null ? default : Matrix(dLdNormal, 3), gb);
        return new(output, gs.AsSpan().ToArray(), gg.AsSpan().ToArray(), gc.AsSpan().ToArray(), gInvS,
            gb.IsNull ? null : gb.AsSpan().ToArray());
    }

    /// <summary>
    /// Random rays: 1–maxSamples contiguous samples each; SDF values uniform in ±sdfRange, gradients with random
    /// direction and length in [0.5, 1.5], colours in [0, 1], unit directions.
    /// </summary>
    public static NeusFixture<T> Random(ulong seed, int rays, int maxSamples, double invS = 20, double sdfRange = 0.2,
        double maxDelta = 0.05, bool perRayBackground = true)
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
                float t0 = t + rng.NextFloat(0, 0.01f), t1 = t0 + rng.NextFloat(0.001f, (float)maxDelta);
                ray[i] = (t0, t1);
                t = t1;
            }
            list.Add(ray);
        }
        int s = list.Sum(x => x.Length);
        T U(double lo, double hi) => T.CreateChecked(lo + (hi - lo) * rng.NextDouble());
        var sdf = Enumerable.Range(0, s).Select(_ => U(-sdfRange, sdfRange)).ToArray();
        var gradient = new T[3 * s];
        for (int i = 0; i < s; i++)
        {
            var (x, y, z) = UnitVector(ref rng);
            T len = U(0.5, 1.5);
            gradient[3 * i] = T.CreateChecked(x) * len; gradient[3 * i + 1] = T.CreateChecked(y) * len; gradient[3 * i + 2] = T.CreateChecked(z) * len;
        }
        var rgb = Enumerable.Range(0, 3 * s).Select(_ => U(0, 1)).ToArray();
        var directions = new T[3 * rays];
        for (int r = 0; r < rays; r++)
        {
            var (x, y, z) = UnitVector(ref rng);
            directions[3 * r] = T.CreateChecked(x); directions[3 * r + 1] = T.CreateChecked(y); directions[3 * r + 2] = T.CreateChecked(z);
        }
        var f = new NeusFixture<T>(list, sdf, gradient, rgb, directions, T.CreateChecked(invS));
        if (perRayBackground) f.BackgroundPerRay = Enumerable.Range(0, 3 * rays).Select(_ => U(0, 1)).ToArray();
        else f.BackgroundConstant = (T.CreateChecked(0.3), T.CreateChecked(0.6), T.CreateChecked(0.9));
        return f;
    }

    static (double, double, double) UnitVector(ref Rng rng)
    {
        while (true)
        {
            double x = rng.NextDouble() * 2 - 1, y = rng.NextDouble() * 2 - 1, z = rng.NextDouble() * 2 - 1, n = Math.Sqrt(x * x + y * y + z * z);
            if (n > 0.1 && n <= 1) return (x / n, y / n, z / n);
        }
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
