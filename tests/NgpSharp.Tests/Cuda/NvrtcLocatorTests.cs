using NgpSharp.Compute.Cuda.Interop;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>NvrtcLocator on fake folder trees: search order, version ordering, wheels, and the not-found report.</summary>
public sealed class NvrtcLocatorTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("ngp-nvrtc-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Touch(string relative)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, []);
        return path;
    }

    string Dir(string relative) => Directory.CreateDirectory(Path.Combine(_root, relative)).FullName;

    NvrtcSearch Search(Dictionary<string, string>? vars = null) =>
        NvrtcLocator.Search(NvrtcSearchEnvironment.Fake(vars ?? new Dictionary<string, string> { ["HOME"] = Dir("home/u") }, Path.Combine(_root, "sys")));

    [Fact]
    public void LdLibraryPathComesFirst()
    {
        var fromLd = Touch("custom/libnvrtc.so.12");
        Touch("sys/usr/local/cuda/lib64/libnvrtc.so.13");
        Touch("cudahome/lib64/libnvrtc.so.13");
        var s = Search(new() { ["LD_LIBRARY_PATH"] = Path.Combine(_root, "missing") + ":" + Path.Combine(_root, "custom"), ["CUDA_HOME"] = Path.Combine(_root, "cudahome") });
        Assert.Equal(fromLd, s.Found[0]);
        Assert.Equal("LD_LIBRARY_PATH", s.Probes[0].Place);
        Assert.False(s.Probes[0].FolderExists);
        Assert.Equal(Path.Combine(_root, "cudahome/lib64/libnvrtc.so.13"), s.Found[1]);
        Assert.Equal(Path.Combine(_root, "sys/usr/local/cuda/lib64/libnvrtc.so.13"), s.Found[2]);
    }

    [Fact]
    public void CudaHomeIsSearchedInLib64ThenLib()
    {
        var lib = Touch("ch/lib/libnvrtc.so.12");
        var s = Search(new() { ["CUDA_HOME"] = Path.Combine(_root, "ch") });
        Assert.Equal([lib], s.Found);
        var places = s.Probes.Where(p => p.Place == "CUDA_HOME").Select(p => Path.GetFileName(p.Folder)).ToList();
        Assert.Equal(["lib64", "lib"], places);
    }

    [Fact]
    public void VersionedToolkitsAreSearchedNewestFirstAfterUsrLocalCuda()
    {
        var v124 = Touch("sys/usr/local/cuda-12.4/lib64/libnvrtc.so.12");
        var v130 = Touch("sys/usr/local/cuda-13.0/lib64/libnvrtc.so.13");
        var v129 = Touch("sys/usr/local/cuda-12.10/lib64/libnvrtc.so.12"); // numeric, not string, order: 12.10 > 12.4
        var s = Search();
        Assert.Equal([v130, v129, v124], s.Found);
        int plain = s.Probes.ToList().FindIndex(p => p.Folder.EndsWith(Path.Combine("usr", "local", "cuda", "lib64")));
        int versioned = s.Probes.ToList().FindIndex(p => p.Found == v130);
        Assert.True(plain >= 0 && plain < versioned);
    }

    [Fact]
    public void NewestSonameWinsWithinAFolder()
    {
        Touch("ld/libnvrtc.so");
        Touch("ld/libnvrtc.so.12");
        var v13 = Touch("ld/libnvrtc.so.13");
        var s = Search(new() { ["LD_LIBRARY_PATH"] = Path.Combine(_root, "ld") });
        Assert.Equal(v13, s.Found[0]);
    }

    [Fact]
    public void PythonWheelsAreFoundInVirtualEnvUserAndSystemSitePackages()
    {
        var venv = Touch("venv/lib/python3.12/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        var user = Touch("home/u/.local/lib/python3.11/site-packages/nvidia/cu13/lib/libnvrtc.so.13");
        var system = Touch("sys/usr/lib/python3/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        var s = Search(new() { ["VIRTUAL_ENV"] = Path.Combine(_root, "venv"), ["HOME"] = Path.Combine(_root, "home/u") });
        Assert.Equal([venv, user, system], s.Found);
        Assert.Equal("VIRTUAL_ENV", s.Probes.Single(p => p.Found == venv).Place);
    }

    [Fact]
    public void Cuda13WheelFolderIsPreferredOverCuda12WheelInOneEnvironment()
    {
        var cu12 = Touch("conda/lib/python3.10/site-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        var cu13 = Touch("conda/lib/python3.10/site-packages/nvidia/cu13/lib/libnvrtc.so.13");
        var condaLib = Touch("conda/lib/libnvrtc.so.12");
        var s = Search(new() { ["CONDA_PREFIX"] = Path.Combine(_root, "conda") });
        Assert.Equal([cu13, cu12, condaLib], s.Found);
    }

    [Fact]
    public void NewerPythonIsSearchedFirst()
    {
        var py39 = Touch("sys/usr/local/lib/python3.9/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        var py312 = Touch("sys/usr/local/lib/python3.12/dist-packages/nvidia/cuda_nvrtc/lib/libnvrtc.so.12");
        Assert.Equal([py312, py39], Search().Found);
    }

    [Fact]
    public void NothingFoundReportsEveryPlaceAndTheLoaderNames()
    {
        var s = Search(new() { ["LD_LIBRARY_PATH"] = Path.Combine(_root, "a"), ["CUDA_HOME"] = Path.Combine(_root, "b"), ["HOME"] = Path.Combine(_root, "h") });
        Assert.Empty(s.Found);
        string summary = s.Summary;
        foreach (var place in new[] { Path.Combine(_root, "a"), Path.Combine(_root, "b", "lib64"), Path.Combine(_root, "b", "lib"),
                     Path.Combine("usr", "local", "cuda", "lib64"), "cuda-*", Path.Combine(".local", "lib", "python3*"), "libnvrtc.so.13", "libnvrtc.so.12" })
            Assert.Contains(place, summary);
        Assert.Contains("no such folder", summary);
        Assert.Contains("VIRTUAL_ENV", s.UnsetVariables);
        Assert.All(s.Probes, p => Assert.Null(p.Found));
        Assert.Contains("system loader", s.Describe());
    }

    [Fact]
    public void ExistingFolderWithoutNvrtcIsReportedAsSuch()
    {
        Dir("empty");
        var s = Search(new() { ["LD_LIBRARY_PATH"] = Path.Combine(_root, "empty") });
        Assert.True(s.Probes[0].FolderExists);
        Assert.Contains("no nvrtc", s.Probes[0].ToString());
    }

    [Fact]
    public void DuplicateFoldersAreProbedOnce()
    {
        var lib = Touch("sys/usr/local/cuda/lib64/libnvrtc.so.12");
        var s = Search(new() { ["LD_LIBRARY_PATH"] = Path.GetDirectoryName(lib)! + ":" + Path.GetDirectoryName(lib)! });
        Assert.Single(s.Found);
        Assert.Equal("LD_LIBRARY_PATH", s.Probes.Single(p => p.Found is not null).Place);
    }

    [Fact]
    public void WindowsLooksForNvrtc64DllsNewestFirst()
    {
        Touch("cp/bin/x64/nvrtc64_120_0.dll");
        var v13 = Touch("cp/bin/x64/nvrtc64_130_0.dll");
        var s = NvrtcLocator.Search(NvrtcSearchEnvironment.Fake(new Dictionary<string, string> { ["CUDA_PATH"] = Path.Combine(_root, "cp") }, Path.Combine(_root, "sys"), isWindows: true));
        Assert.Equal(v13, s.Found[0]);
        Assert.Contains("nvrtc64_130_0.dll", s.LoaderNames);
    }

    [Fact]
    public void LibrariesNewerThanTheDriverAreTriedLast()
    {
        var v13 = Touch("ld/libnvrtc.so.13");
        var v12 = Touch("sys/usr/local/cuda-12.4/lib64/libnvrtc.so.12");
        var s = Search(new() { ["LD_LIBRARY_PATH"] = Path.Combine(_root, "ld") });
        Assert.Equal([v13, v12], s.Found);
        Assert.Equal([v12, v13], s.FoundFor(driverMajor: 12));
        Assert.Equal([v13, v12], s.FoundFor(driverMajor: 13));
        Assert.Equal(["libnvrtc.so.12", "libnvrtc.so", "libnvrtc.so.13"], s.LoaderNamesFor(12));
    }

    [Theory]
    [InlineData("/x/libnvrtc.so.13", 13)]
    [InlineData("libnvrtc.so.12.4.127", 12)]
    [InlineData("libnvrtc.so", null)]
    [InlineData("C:/cuda/bin/nvrtc64_120_0.dll", 12)]
    [InlineData("nvrtc64_130_0.dll", 13)]
    [InlineData("nvrtc64_112_0.dll", 11)]
    public void MajorVersionsAreReadFromFileNames(string file, int? major) => Assert.Equal(major, NvrtcLocator.MajorVersionOf(file));

    [Theory]
    [InlineData("12.4", "12.10", -1)]
    [InlineData("13.0", "12.9", 1)]
    [InlineData("3.12", "3.9", 1)]
    [InlineData("3", "3.1", -1)]
    public void VersionsCompareNumerically(string a, string b, int sign) =>
        Assert.Equal(sign, Math.Sign(NvrtcLocator.ParseVersion(a)!.CompareTo(NvrtcLocator.ParseVersion(b))));

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("12.4-beta")]
    public void NonVersionsAreRejected(string s) => Assert.Null(NvrtcLocator.ParseVersion(s));
}
