using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Nn.Encodings;
using Xunit;

namespace NgpSharp.Tests.Nn;

/// <summary>The float SIMD kernels of the grid's Jacobian passes against the scalar reference and the double path.</summary>
public class HashGridJacobianSimdTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    static double[] Uniform(int count, ulong seed, double lo, double hi)
    {
        var rng = new Rng(seed);
        var v = new double[count];
        for (int i = 0; i < count; i++) v[i] = lo + (hi - lo) * rng.NextDouble();
        return v;
    }

    /// <summary>J·v [B, OutputWidth] and the gradient of ⟨dy, y⟩ + ⟨u, J·v⟩ [ParamCount] (computed in T).</summary>
    static (T[] Jv, T[] Grad) Run<T>(HashGrid<T> grid, double[] p, double[] x, double[] v, double[] dy, double[] u)
        where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int batch = x.Length / grid.InputDims, w = grid.OutputWidth;
        T[] Cast(double[] a) => a.Select(T.CreateChecked).ToArray();
        using var pb = Cpu.Upload<T>(Cast(p));
        using var gb = Cpu.Allocate<T>(grid.ParamCount);
        grid.SetParams(pb.All, gb.All);
        using var xb = Cpu.Upload<T>(Cast(x));
        using var vb = Cpu.Upload<T>(Cast(v));
        using var dyb = Cpu.Upload<T>(Cast(dy));
        using var ub = Cpu.Upload<T>(Cast(u));
        using var jb = Cpu.AllocateMatrix<T>(batch, w, out var jv);
        var xm = xb.AsMatrix(batch, grid.InputDims);
        var vm = vb.AsMatrix(batch, grid.InputDims);
        grid.JacobianVectorProduct(xm, vm, jv);
        grid.BackwardWithJacobian(xm, dyb.AsMatrix(batch, w), vm, ub.AsMatrix(batch, w));
        return (jv.AsSpan().ToArray(), gb.All.AsSpan().ToArray());
    }

    [Theory]
    [InlineData(3, GridType.Hash, GridInterpolation.Linear, 10)]
    [InlineData(3, GridType.Hash, GridInterpolation.Smoothstep, 10)]
    [InlineData(3, GridType.Hash, GridInterpolation.Linear, 17)]   // tables above the prefetch threshold
    [InlineData(2, GridType.Tiled, GridInterpolation.Linear, 10)]
    [InlineData(4, GridType.Dense, GridInterpolation.Smoothstep, 10)]
    public void FloatSimd_IsBitIdenticalToScalarReference(int dims, GridType type, GridInterpolation interpolation, int log2Size)
    {
        using var grid = new HashGrid<float>(Cpu, dims, 5, 2, log2Size, 8, 1.7, type, interpolation);
        int batch = 2011; // not a multiple of 8: the scalar remainder runs too
        var p = Uniform((int)grid.ParamCount, 1, -1, 1);
        var x = Uniform(batch * dims, 2, -0.2, 1.2);
        var v = Uniform(batch * dims, 3, -1, 1);
        var dy = Uniform(batch * grid.OutputWidth, 4, -1, 1);
        var u = Uniform(batch * grid.OutputWidth, 5, -1, 1);
        var simd = Run(grid, p, x, v, dy, u);
        grid.ForceScalarKernels = true;
        var scalar = Run(grid, p, x, v, dy, u);
        Assert.Equal(scalar.Jv, simd.Jv);
        Assert.Equal(scalar.Grad, simd.Grad);
        Assert.Contains(simd.Jv, value => value != 0);
        Assert.Contains(simd.Grad, value => value != 0);
    }

    [Fact]
    public void Float_AgreesWithDouble()
    {
        using var gf = new HashGrid<float>(Cpu, 3, 6, 2, 12, 6, 1.6, GridType.Hash, GridInterpolation.Smoothstep);
        using var gd = new HashGrid<double>(Cpu, 3, 6, 2, 12, 6, 1.6, GridType.Hash, GridInterpolation.Smoothstep);
        int batch = 999;
        static double[] F(double[] a) => a.Select(v => (double)(float)v).ToArray();
        var p = F(Uniform((int)gf.ParamCount, 6, -1, 1));
        var x = F(Uniform(batch * 3, 7, 0.01, 0.99));
        var v = F(Uniform(batch * 3, 8, -1, 1));
        var dy = F(Uniform(batch * gf.OutputWidth, 9, -1, 1));
        var u = F(Uniform(batch * gf.OutputWidth, 10, -1, 1));
        var f = Run(gf, p, x, v, dy, u);
        var d = Run(gd, p, x, v, dy, u);
        double jScale = d.Jv.Max(Math.Abs), gScale = d.Grad.Max(Math.Abs);
        // J·v carries ×scale of the cell fraction's float rounding.
        for (int i = 0; i < d.Jv.Length; i++) Assert.True(Math.Abs(d.Jv[i] - f.Jv[i]) <= 1e-4 * jScale, $"J·v[{i}]: {d.Jv[i]} vs {f.Jv[i]}");
        for (int i = 0; i < d.Grad.Length; i++) Assert.True(Math.Abs(d.Grad[i] - f.Grad[i]) <= 1e-4 * gScale, $"grad[{i}]: {d.Grad[i]} vs {f.Grad[i]}");
    }

    [Fact]
    public void Results_AreBitIdentical_ForOneAndTwoThreads()
    {
        using var grid = new HashGrid<float>(Cpu, 3, 8, 2, 17, 8, 1.6);
        int batch = 20000; // several chunks per level
        var p = Uniform((int)grid.ParamCount, 11, -1, 1);
        var x = Uniform(batch * 3, 12, 0, 1);
        var v = Uniform(batch * 3, 13, -1, 1);
        var dy = Uniform(batch * grid.OutputWidth, 14, -1, 1);
        var u = Uniform(batch * grid.OutputWidth, 15, -1, 1);
        int keep = CpuParallel.ThreadCount;
        try
        {
            CpuParallel.ThreadCount = 1;
            var one = Run(grid, p, x, v, dy, u);
            CpuParallel.ThreadCount = 2;
            var two = Run(grid, p, x, v, dy, u);
            Assert.Equal(one.Jv, two.Jv);
            Assert.Equal(one.Grad, two.Grad);
        }
        finally { CpuParallel.ThreadCount = keep; }
    }
}
