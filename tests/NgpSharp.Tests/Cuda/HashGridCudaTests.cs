using NgpSharp.Compute;
using NgpSharp.Diagnostics;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// What of the CUDA grid can be checked without a GPU: the parity checks themselves (CPU against CPU), the host-side
/// level table the kernels read, the float-only rule, and that the CPU ignores <see cref="HashGrid{T}.ParameterPrecision"/>.
/// </summary>
public class HashGridCudaTests
{
    static readonly CpuBackend Cpu = CpuBackend.Shared;

    [Fact]
    public void ParityChecks_HaveUniqueNames_AndCoverEveryFamily()
    {
        var names = HashGridParityChecks.Checks().Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (string family in new[] { "1D", "2D", "3D", "4D", "F1", "F2", "F4", "F8", "hash", "dense", "tiled",
                     "nearest", "linear", "smoothstep", "fp32", "fp16", "active", "aligned", "no-dx", "B65537", "accumulate+ignore", "refreshed" })
            Assert.Contains(names, n => n.Contains(family, StringComparison.Ordinal));
    }

    public static TheoryData<string> CheckNames() => [.. HashGridParityChecks.Checks().Select(c => c.Name)];

    /// <summary>Every check runs through on the reference backend and finds no difference (the CPU is deterministic).</summary>
    [Theory]
    [MemberData(nameof(CheckNames))]
    public void ParityCheck_CpuAgainstCpu_IsExact(string name)
    {
        var check = HashGridParityChecks.Checks().Single(c => c.Name == name);
        var result = check.Run(Cpu, Cpu);
        Assert.True(result.Passed, result.ToString());
        Assert.Equal(0, result.Error);
    }

    [Fact]
    public void LevelConstants_AreTheCpuLevels()
    {
        using var grid = HashGridParityChecks.ConfigHash().Create(Cpu);
        var constants = grid.LevelConstants();
        Assert.Equal(grid.NLevels, constants.Length);
        for (int l = 0; l < grid.NLevels; l++)
        {
            var c = constants[l];
            Assert.Equal(grid.LevelScale(l), c.Scale);
            Assert.Equal((uint)grid.LevelResolution(l), c.Resolution);
            Assert.Equal(grid.LevelEntries(l), c.Size);
            Assert.Equal(grid.LevelParamOffset(l), c.Offset * (long)grid.FeaturesPerLevel);
            Assert.Equal(grid.IsLevelHashed(l), (c.Flags & HashGridLevelConstants.Hashed) != 0);
            Assert.Equal((c.Size & (c.Size - 1)) == 0, (c.Flags & HashGridLevelConstants.SizePow2) != 0);
            Assert.True((c.Flags & HashGridLevelConstants.DenseIndexable) != 0); // 2D, res ≤ 2^16 - 1
        }
        Assert.False(grid.IsLevelHashed(0));
        Assert.True(grid.IsLevelHashed(grid.NLevels - 1));
    }

    [Fact]
    public void TiledLevels_HaveNonPowerOfTwoSizes_ForTheModuloPath()
    {
        using var grid = new HashGrid<float>(Cpu, 2, 6, 2, 14, 6, 1.5, GridType.Tiled);
        Assert.All(grid.LevelConstants(), c => Assert.Equal(0u, c.Flags & HashGridLevelConstants.SizePow2));
    }

    [Fact]
    public void OnCuda_OnlyFloatGrids()
    {
        using var backend = new CudaKindBackend();
        var e = Assert.Throws<NotSupportedException>(() => new HashGrid<double>(backend, 2));
        Assert.Contains("HashGrid<float>", e.Message);
        using var grid = new HashGrid<float>(backend, 2);
        Assert.Equal(GridParameterPrecision.Float32, grid.ParameterPrecision);
    }

    [Fact]
    public void ParameterPrecision_IsIgnoredOnCpu()
    {
        float[] Run(GridParameterPrecision precision)
        {
            using var grid = new HashGrid<float>(Cpu, 3, 6, 2, 12, 8, 1.5) { ParameterPrecision = precision };
            int n = (int)grid.ParamCount, batch = 257;
            using var p = Cpu.Upload<float>(Parity.Random(n, 1, -1f, 1f));
            using var g = Cpu.Allocate<float>(n);
            grid.SetParams(p.All, g.All);
            using var x = Cpu.Upload<float>(Parity.Random(batch * 3, 2));
            using var yb = Cpu.AllocateMatrix<float>(batch, grid.OutputWidth, out var y);
            using var dy = Cpu.Upload<float>(Parity.Random(batch * grid.OutputWidth, 3, -1f, 1f));
            var xm = x.AsMatrix(batch, 3);
            using (var ctx = grid.Forward(xm, y))
                grid.Backward(ctx, xm, y, dy.AsMatrix(batch, grid.OutputWidth), null, GradientMode.Overwrite);
            return [.. y.AsSpan().ToArray(), .. g.All.AsSpan().ToArray()];
        }
        var full = Run(GridParameterPrecision.Float32);
        Assert.Contains(full, v => v != 0);
        Assert.Equal(full, Run(GridParameterPrecision.Float16));
    }

    /// <summary>A backend that reports itself as CUDA (no memory ops): enough for construction-time checks.</summary>
    sealed class CudaKindBackend : Backend
    {
        public override BackendKind Kind => BackendKind.Cuda;
        public override string Description => "fake cuda";
        protected override DeviceBuffer<T> AllocateCore<T>(long length) => throw new NotSupportedException();
        public override void CopyFromHost<T>(ReadOnlySpan<T> source, DeviceSpan<T> destination) => throw new NotSupportedException();
        public override void CopyToHost<T>(DeviceSpan<T> source, Span<T> destination) => throw new NotSupportedException();
        public override void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> destination) => throw new NotSupportedException();
        public override void Fill<T>(DeviceSpan<T> destination, T value) => throw new NotSupportedException();
    }
}
