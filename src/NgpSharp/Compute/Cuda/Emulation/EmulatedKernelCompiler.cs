using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace NgpSharp.Compute.Cuda.Emulation;

/// <summary>
/// Builds kernel sources into host shared libraries for the CUDA emulator: the .cu file and the headers it includes
/// are copied into a scratch folder next to the host prelude (ngp_prelude_host.h, saved there as ngp_prelude.cuh),
/// a small main file includes the source and exports <c>ngp_launch_&lt;kernel&gt;</c> for every
/// <c>extern "C" __global__</c> kernel, and g++ compiles it (-std=c++20 -O2 -shared). Libraries are cached on disk
/// under a hash of everything that goes into them (<see cref="KernelCacheKey"/>). Thread-safe.
/// </summary>
public sealed partial class EmulatedKernelCompiler
{
    /// <summary>Exported launch entries are named this plus the kernel's name.</summary>
    public const string LaunchEntryPrefix = "ngp_launch_";

    /// <summary>The embedded host prelude's resource name.</summary>
    public const string HostPreludeName = "ngp_prelude_host.h";

    static readonly IReadOnlyList<string> Options =
        ["-std=c++20", "-O2", "-fPIC", "-shared", "-fvisibility=hidden", "-fno-exceptions", "-fno-rtti", "-fno-strict-aliasing", "-w"];

    readonly string _compiler;
    readonly string _hostPrelude;
    int _compiled, _cacheHits;

    EmulatedKernelCompiler(string compiler, string version, string cacheDirectory)
    {
        _compiler = compiler;
        CompilerVersion = version;
        CacheDirectory = cacheDirectory;
        _hostPrelude = KernelSources.Read(HostPreludeName);
    }

    /// <summary>"g++ 12.2.0".</summary>
    public string CompilerVersion { get; }

    /// <summary>Where built libraries are kept.</summary>
    public string CacheDirectory { get; }

    /// <summary>Libraries compiled in this process / taken from the cache.</summary>
    public int CompiledCount => Volatile.Read(ref _compiled);

    public int CacheHits => Volatile.Read(ref _cacheHits);

    /// <summary>
    /// Finds the compiler (NGP_EMULATOR_CXX, else g++ on PATH); throws <see cref="CudaUnavailableException"/> saying
    /// why the emulator cannot run here (not x86-64 Linux, no g++).
    /// </summary>
    public static EmulatedKernelCompiler Create()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
            throw new CudaUnavailableException($"the CUDA emulator runs on x86-64 Linux only (this is {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture})");
        string compiler = Environment.GetEnvironmentVariable("NGP_EMULATOR_CXX") is { Length: > 0 } cxx ? cxx : "g++";
        var (code, output) = Run(compiler, ["-dumpfullversion"], Environment.CurrentDirectory, TimeSpan.FromSeconds(30));
        if (code != 0) throw new CudaUnavailableException($"the CUDA emulator needs g++ ({compiler}): {output.Trim()}");
        string cache = Environment.GetEnvironmentVariable("NGP_KERNEL_CACHE") is "off" or "0"
            ? Path.Combine(Path.GetTempPath(), $"ngpsharp-emulator-{Environment.ProcessId}")
            : Path.Combine(KernelDiskCache.DefaultDirectory(), "emulator");
        return new EmulatedKernelCompiler(compiler, $"{Path.GetFileName(compiler)} {output.Trim()}", cache);
    }

    /// <summary>
    /// The library for <paramref name="source"/> (its text and the embedded headers it includes) specialised by
    /// <paramref name="defines"/>: its path, and whether it was compiled now (false: from the cache).
    /// </summary>
    public (string Path, bool Compiled) Build(string source, string text, IReadOnlyList<KeyValuePair<string, string>> headers,
        IReadOnlyList<KeyValuePair<string, string>> defines)
    {
        var files = new List<KeyValuePair<string, string>> { new(source, PrepareSource(text)) };
        foreach (var (name, body) in headers)
            files.Add(new(name, name == KernelSources.PreludeName ? _hostPrelude : PrepareSource(body)));
        var kernels = KernelNames(text);
        if (kernels.Count == 0) throw new CudaException($"{source} declares no extern \"C\" __global__ kernel");
        var main = new StringBuilder().Append("#include \"").Append(source).Append("\"\n");
        foreach (var k in kernels) main.Append("NGP_EMU_EXPORT(").Append(k).Append(")\n");
        files.Add(new("ngp_emu_main.cpp", main.ToString()));

        var options = Options.Concat(defines.Select(d => $"-D{d.Key}={d.Value}")).ToList();
        string key = KernelCacheKey.Compute(source, text, files.Skip(1), defines, [.. options, "ngp-emulator-v1"], "emulator " + CompilerVersion, new KernelTarget(80, 80, false));
        string library = Path.Combine(CacheDirectory, key + ".so");
        if (File.Exists(library))
        {
            Interlocked.Increment(ref _cacheHits);
            return (library, false);
        }

        string scratch = Path.Combine(CacheDirectory, $"build-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            foreach (var (name, body) in files) File.WriteAllText(Path.Combine(scratch, name), body);
            var (code, log) = Run(_compiler, [.. options, "-o", "module.so", "ngp_emu_main.cpp"], scratch, TimeSpan.FromMinutes(5));
            if (code != 0)
                throw new CudaException($"the emulator could not compile {source} with defines [{string.Join(", ", defines.Select(d => d.Key + "=" + d.Value))}] ({CompilerVersion}):\n{log}");
            try { File.Move(Path.Combine(scratch, "module.so"), library, overwrite: false); }
            catch (IOException) when (File.Exists(library)) { } // another process built it first: same key, same library
            Interlocked.Increment(ref _compiled);
            return (library, true);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }
    }

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex KernelDeclaration();

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"\bstatic\s+__shared__\b|\b__shared__\s+static\b")]
    private static partial Regex StaticShared();

    [GeneratedRegex(@"\bextern\s+__shared__\s+(?:(?:(?:alignas|__align__)\s*\([^)]*\)|__attribute__\s*\(\([^()]*(?:\([^()]*\))?[^()]*\)\))\s*)?(?<type>[A-Za-z_][A-Za-z0-9_\s\*]*?)\s*(?:(?:(?:alignas|__align__)\s*\([^)]*\)|__attribute__\s*\(\([^()]*(?:\([^()]*\))?[^()]*\)\))\s*)?\b(?<name>[A-Za-z_][A-Za-z0-9_]*)\s*\[\s*\]\s*;")]
    private static partial Regex DynamicShared();

    /// <summary>The kernels <paramref name="text"/> defines (outside comments), in order of appearance, distinct.</summary>
    public static IReadOnlyList<string> KernelNames(string text) =>
        KernelDeclaration().Matches(Comment().Replace(text, " ")).Select(m => m.Groups[1].Value).Distinct().ToList();

    /// <summary>
    /// Rewrites what the host prelude's macros cannot express: <c>static __shared__</c> (the macro already says
    /// static), and <c>extern __shared__ T name[];</c> — inside a function a local <c>T* const name</c> pointing at the
    /// launch's dynamic shared buffer, at namespace scope a macro doing the same.
    /// </summary>
    public static string PrepareSource(string text)
    {
        text = StaticShared().Replace(text, "__shared__");
        return DynamicShared().Replace(text, m =>
        {
            string type = m.Groups["type"].Value.Trim(), name = m.Groups["name"].Value;
            string pointer = $"(({type}*)ngp_emu_dynamic_shared())";
            return BraceDepth(text, m.Index) > 0
                ? $"{type}* const {name} = {pointer};"
                : $"\n#undef {name}\n#define {name} {pointer}\n";
        });
    }

    static int BraceDepth(string text, int end)
    {
        int depth = 0;
        for (int i = 0; i < end; i++)
            if (text[i] == '{') depth++;
            else if (text[i] == '}') depth--;
        return depth;
    }

    static (int Code, string Output) Run(string file, IReadOnlyList<string> arguments, string directory, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info) ?? throw new CudaUnavailableException($"{file} did not start"); }
        catch (System.ComponentModel.Win32Exception e) { return (-1, $"{file} not found ({e.Message})"); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                return (-1, $"{file} timed out after {timeout.TotalSeconds:F0} s");
            }
            return (process.ExitCode, stdout.Result + stderr.Result);
        }
    }
}
