using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>The disk-cache key (stable, and sensitive to everything that changes the image) and the cache files.</summary>
public sealed class KernelCacheTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("ngp-kcache-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly KernelTarget Sm86 = new(86, 86, false);
    static readonly Dictionary<string, string> Prelude = new() { ["ngp_prelude.cuh"] = "#pragma once\nint x;" };
    static readonly Dictionary<string, string> Defines = new() { ["N_DIMS"] = "3", ["N_FEATURES"] = "2" };
    static readonly string[] Options = ["--gpu-architecture=sm_86", "-std=c++17", "-DN_DIMS=3", "-DN_FEATURES=2"];

    static string Key(string text = "kernel", IReadOnlyDictionary<string, string>? headers = null, IReadOnlyDictionary<string, string>? defines = null,
        string nvrtc = "12.4", KernelTarget? target = null, string[]? options = null) =>
        KernelCacheKey.Compute("HashGrid.cu", text, headers ?? Prelude, defines ?? Defines, options ?? Options, nvrtc, target ?? Sm86);

    [Fact]
    public void KeyIsStableAndIndependentOfDefineOrder()
    {
        var reversed = new Dictionary<string, string> { ["N_FEATURES"] = "2", ["N_DIMS"] = "3" };
        Assert.Equal(Key(), Key());
        Assert.Equal(Key(), Key(defines: reversed));
        Assert.Matches("^[0-9a-f]{64}$", Key());
    }

    [Fact]
    public void KeyChangesWithEveryInput()
    {
        string k = Key();
        Assert.NotEqual(k, Key(text: "kernel "));
        Assert.NotEqual(k, Key(headers: new Dictionary<string, string> { ["ngp_prelude.cuh"] = "#pragma once\nint y;" }));
        Assert.NotEqual(k, Key(defines: new Dictionary<string, string> { ["N_DIMS"] = "2", ["N_FEATURES"] = "2" }));
        Assert.NotEqual(k, Key(nvrtc: "12.5"));
        Assert.NotEqual(k, Key(target: new KernelTarget(89, 89, false)));
        Assert.NotEqual(k, Key(target: new KernelTarget(86, 86, true)));
        Assert.NotEqual(k, Key(options: [.. Options, "-lineinfo"]));
    }

    [Fact]
    public void FieldBoundariesCannotBeShifted()
    {
        // "AB" + "C" and "A" + "BC" must not collide.
        var a = KernelCacheKey.Compute("s", "t", [], new Dictionary<string, string> { ["AB"] = "C" }, [], "1", Sm86);
        var b = KernelCacheKey.Compute("s", "t", [], new Dictionary<string, string> { ["A"] = "BC" }, [], "1", Sm86);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void WriteThenReadRoundTripsAndLeavesNoTempFiles()
    {
        var cache = new KernelDiskCache(Path.Combine(_dir, "nested", "kernels"));
        byte[] image = [1, 2, 3, 4, 5, 0];
        Assert.Null(cache.TryRead("k1"));
        Assert.True(cache.Write("k1", image));
        Assert.Equal(image, cache.TryRead("k1"));
        Assert.Equal(["k1.bin"], Directory.GetFiles(cache.Directory).Select(Path.GetFileName));
        Assert.True(cache.Write("k1", [9, 9]));       // overwrite replaces atomically
        Assert.Equal([9, 9], cache.TryRead("k1"));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("flipped")]
    [InlineData("empty")]
    [InlineData("garbage")]
    public void CorruptFileIsDeletedAndReportedAsMiss(string damage)
    {
        var cache = new KernelDiskCache(_dir);
        Assert.True(cache.Write("k", Enumerable.Range(0, 100).Select(i => (byte)i).ToArray()));
        string path = cache.PathFor("k");
        byte[] bytes = File.ReadAllBytes(path);
        byte[] damaged = damage switch
        {
            "truncated" => bytes[..^10],
            "flipped" => bytes.Select((b, i) => i == bytes.Length - 1 ? (byte)(b ^ 1) : b).ToArray(),
            "empty" => [],
            _ => "not a kernel image at all, just text"u8.ToArray(),
        };
        File.WriteAllBytes(path, damaged);
        Assert.Null(cache.TryRead("k"));
        Assert.False(File.Exists(path));
        Assert.True(cache.Write("k", [7])); // and it is written anew
        Assert.Equal([7], cache.TryRead("k"));
    }

    [Fact]
    public void UnwritableFolderMakesWriteReturnFalse()
    {
        string file = Path.Combine(_dir, "a-file");
        File.WriteAllText(file, "x");
        var cache = new KernelDiskCache(Path.Combine(file, "sub")); // a folder under a file cannot exist
        Assert.False(cache.Write("k", [1]));
        Assert.Null(cache.TryRead("k"));
    }

    [Fact]
    public void DefaultDirectoryHonoursNgpKernelCacheThenXdgThenHome()
    {
        Func<string, string?> Vars(params (string, string)[] v) => n => v.FirstOrDefault(x => x.Item1 == n).Item2;
        Assert.Equal("/x/k", KernelDiskCache.DefaultDirectory(Vars(("NGP_KERNEL_CACHE", "/x/k"), ("XDG_CACHE_HOME", "/xdg")), "/home/u"));
        Assert.Equal(Path.Combine("/xdg", "ngpsharp", "kernels"), KernelDiskCache.DefaultDirectory(Vars(("XDG_CACHE_HOME", "/xdg")), "/home/u"));
        Assert.Equal(Path.Combine("/home/u", ".cache", "ngpsharp", "kernels"), KernelDiskCache.DefaultDirectory(Vars(), "/home/u"));
    }
}
