using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using NgpSharp.Compute.Cuda.Emulation;
using NgpSharp.Compute.Cuda.Interop;
using static NgpSharp.Compute.Cuda.Interop.CudaDriver;

namespace NgpSharp.Compute.Cuda;

/// <summary>
/// Compiles embedded kernel sources with NVRTC for the device's architecture and loads them. A source is
/// specialised by #defines; the image (cubin, or PTX for devices newer than NVRTC) is cached on disk under a hash
/// of source + included headers + defines + options + NVRTC version + arch (<see cref="KernelCacheKey"/>), and
/// in memory per (source, defines). Thread-safe.
/// </summary>
public sealed partial class CudaModuleCache : IDisposable
{
    /// <summary>Options for every compilation (tiny-cuda-nn's JIT uses fast math too); the arch and -D defines are added.</summary>
    public static readonly IReadOnlyList<string> BaseOptions = ["-std=c++17", "--use_fast_math", "-default-device", "-lineinfo"];

    const int CUDA_ERROR_NOT_FOUND = 500;

    readonly CudaBackend _backend;
    readonly EmulatedKernelCompiler? _emulator;
    readonly ConcurrentDictionary<string, Lazy<nint>> _modules = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<(string Module, string Kernel), CudaFunction> _functions = new();
    bool _disposed;
    int _compiled, _diskHits;

    internal CudaModuleCache(CudaBackend backend, KernelTarget target, string nvrtcVersion, KernelDiskCache? disk)
    {
        _backend = backend;
        Target = target;
        NvrtcVersion = nvrtcVersion;
        Disk = disk;
    }

    /// <summary>The emulator's cache: modules are g++-built shared libraries, functions their launch entries.</summary>
    internal CudaModuleCache(CudaBackend backend, EmulatedKernelCompiler emulator)
    {
        _backend = backend;
        _emulator = emulator;
        Target = new KernelTarget(80, 80, false);
        NvrtcVersion = "none (emulator, " + emulator.CompilerVersion + ")";
    }

    /// <summary>What kernels are compiled for on this device.</summary>
    public KernelTarget Target { get; }

    /// <summary>The NVRTC version ("13.0").</summary>
    public string NvrtcVersion { get; }

    /// <summary>The on-disk cache, or null when disabled.</summary>
    public KernelDiskCache? Disk { get; }

    /// <summary>Compilations run by NVRTC in this process (disk-cache misses).</summary>
    public int CompiledCount => Volatile.Read(ref _compiled);

    /// <summary>Images taken from the disk cache.</summary>
    public int DiskHits => Volatile.Read(ref _diskHits);

    /// <summary>
    /// The kernel <paramref name="kernel"/> of the embedded source <paramref name="source"/> ("HashGrid.cu"),
    /// compiled with <paramref name="defines"/> (name → value, e.g. N_FEATURES → "2").
    /// </summary>
    public CudaFunction GetFunction(string source, string kernel, IReadOnlyDictionary<string, string>? defines = null) =>
        GetFunction(source, null, kernel, defines);

    /// <summary>
    /// Like <see cref="GetFunction(string, string, IReadOnlyDictionary{string, string}?)"/> for a source given as
    /// text (tests' own kernels); it may include the embedded headers. Null <paramref name="text"/>: the embedded file.
    /// </summary>
    internal CudaFunction GetFunction(string source, string? text, string kernel, IReadOnlyDictionary<string, string>? defines)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var sorted = SortedDefines(defines);
        string moduleKey = source + "|" + string.Join(";", sorted.Select(d => d.Key + "=" + d.Value))
            + (text is null ? "" : "|text:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text))));
        if (_functions.TryGetValue((moduleKey, kernel), out var cached)) return cached;

        var lazy = _modules.GetOrAdd(moduleKey, _ => new Lazy<nint>(() => Build(source, text ?? KernelSources.Read(source), sorted), LazyThreadSafetyMode.ExecutionAndPublication));
        nint module;
        try { module = lazy.Value; }
        catch
        {
            _modules.TryRemove(new KeyValuePair<string, Lazy<nint>>(moduleKey, lazy)); // let a later call retry
            throw;
        }
        return _functions.GetOrAdd((moduleKey, kernel), _ =>
        {
            if (_emulator is not null)
            {
                if (!NativeLibrary.TryGetExport(module, EmulatedKernelCompiler.LaunchEntryPrefix + kernel, out nint entry))
                    throw new CudaException($"kernel {kernel} is not in {source} (declare it extern \"C\" __global__)");
                return new CudaFunction(entry, kernel, source, emulated: true);
            }
            _backend.EnsureCurrent();
            int r = cuModuleGetFunction(out nint f, module, kernel);
            if (r == CUDA_ERROR_NOT_FOUND)
                throw new CudaException($"kernel {kernel} is not in {source} (declare it extern \"C\" __global__)", r);
            if (r != CUDA_SUCCESS) throw Failure(r, $"cuModuleGetFunction({source}, {kernel})");
            return new CudaFunction(f, kernel, source);
        });
    }

    nint Build(string source, string text, IReadOnlyList<KeyValuePair<string, string>> defines)
    {
        var headers = IncludedHeaders(source, text);
        if (_emulator is not null)
        {
            var (library, compiled) = _emulator.Build(source, text, headers, defines);
            Interlocked.Increment(ref compiled ? ref _compiled : ref _diskHits);
            return NativeLibrary.Load(library);
        }
        var options = new List<string> { Target.Option };
        options.AddRange(BaseOptions);
        options.AddRange(defines.Select(d => $"-D{d.Key}={d.Value}"));
        string key = KernelCacheKey.Compute(source, text, headers, defines, options, NvrtcVersion, Target);

        if (Disk?.TryRead(key) is { } image)
        {
            Interlocked.Increment(ref _diskHits);
            if (TryLoad(image, out nint m, out _)) return m;
            try { File.Delete(Disk.PathFor(key)); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        }

        image = Compile(source, text, headers, defines, options);
        Disk?.Write(key, image);
        if (TryLoad(image, out nint module, out int result)) return module;
        throw new CudaException(
            $"the driver could not load {source} compiled for {Target} by NVRTC {NvrtcVersion}: {ErrorName(result)} ({ErrorDescription(result)}). " +
            $"The driver ({_backend.DriverVersionText}) must be at least as new as NVRTC; update the driver or use an older NVRTC.", result);
    }

    byte[] Compile(string source, string text, IReadOnlyList<KeyValuePair<string, string>> headers,
        IReadOnlyList<KeyValuePair<string, string>> defines, IReadOnlyList<string> options)
    {
        var output = Nvrtc.Compile(text, source, headers, options, Target.Ptx);
        Interlocked.Increment(ref _compiled);
        if (output.Image is null)
            throw new CudaException(
                $"NVRTC {NvrtcVersion} could not compile {source} for {Target} with defines [{FormatDefines(defines)}]:\n{output.Log}", output.Result);
        return output.Image;
    }

    unsafe bool TryLoad(byte[] image, out nint module, out int result)
    {
        _backend.EnsureCurrent();
        fixed (byte* p = image) result = cuModuleLoadData(out module, p);
        return result == CUDA_SUCCESS;
    }

    /// <summary>Unloads every module (the backend calls this before releasing its context).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _backend.EnsureCurrent();
        foreach (var lazy in _modules.Values)
            if (lazy.IsValueCreated)
            {
                if (_emulator is not null) NativeLibrary.Free(lazy.Value);
                else cuModuleUnload(lazy.Value); // best effort: the context release frees them anyway
            }
        _modules.Clear();
        _functions.Clear();
    }

    [GeneratedRegex(@"^[ \t]*#[ \t]*include[ \t]*""([^""]+)""", RegexOptions.Multiline)]
    private static partial Regex IncludeDirective();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex Identifier();

    /// <summary>Every embedded header <paramref name="text"/> includes, directly or through other headers, as (include name, text).</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> IncludedHeaders(string source, string text)
    {
        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var pending = new Queue<(string From, string Text)>([(source, text)]);
        while (pending.Count > 0)
        {
            var (from, body) = pending.Dequeue();
            foreach (Match m in IncludeDirective().Matches(body))
            {
                string name = m.Groups[1].Value;
                if (found.ContainsKey(name)) continue;
                string header;
                try { header = KernelSources.Read(name); }
                catch (CudaException) { throw new CudaException($"{from} includes \"{name}\", which is not an embedded kernel header (.cuh under src/)"); }
                found.Add(name, header);
                pending.Enqueue((name, header));
            }
        }
        return [.. found];
    }

    /// <summary>Defines sorted by name (ordinal), validated: names are C identifiers, values are one line.</summary>
    internal static IReadOnlyList<KeyValuePair<string, string>> SortedDefines(IReadOnlyDictionary<string, string>? defines)
    {
        if (defines is null || defines.Count == 0) return [];
        foreach (var (name, value) in defines)
        {
            if (!Identifier().IsMatch(name)) throw new ArgumentException($"kernel define name \"{name}\" is not a C identifier", nameof(defines));
            if (value is null || value.AsSpan().IndexOfAny('\n', '\r', '\0') >= 0)
                throw new ArgumentException($"kernel define {name} has a value that is null or spans lines", nameof(defines));
        }
        return [.. defines.OrderBy(d => d.Key, StringComparer.Ordinal)];
    }

    static string FormatDefines(IReadOnlyList<KeyValuePair<string, string>> defines) =>
        defines.Count == 0 ? "none" : string.Join(", ", defines.Select(d => $"{d.Key}={d.Value}"));
}
