using System.Reflection;
using System.Runtime.InteropServices;

namespace NgpSharp.Compute.Cuda.Interop;

/// <summary>
/// The assembly's ONE DllImport resolver (.NET allows one per assembly): maps the library names "cuda" (the
/// driver) and "nvrtc" to the libraries found here. The driver is libcuda.so.1, then libcuda.so (nvcuda.dll on
/// Windows), by the loader's search; NVRTC comes from <see cref="NvrtcLocator"/>. Loads are attempted once and
/// their outcome (with every failure message) is kept for diagnostics.
/// </summary>
internal static class NativeLibraries
{
    public const string CudaName = "cuda";
    public const string NvrtcName = "nvrtc";

    // Separate locks: the runtime may call Resolve for the driver while another thread is loading NVRTC.
    static readonly object RegisterGate = new(), DriverGate = new(), NvrtcGate = new();
    static bool _registered;

    /// <summary>Set when another resolver was already registered for this assembly (ours could not be).</summary>
    public static string? ResolverError { get; private set; }
    static DriverLoad? _driver;
    static NvrtcLoad? _nvrtc;

    /// <summary>Outcome of loading the driver: Handle ≠ 0 on success; Attempts lists each name tried and its result.</summary>
    public sealed record DriverLoad(nint Handle, string? LoadedFrom, IReadOnlyList<string> Attempts);

    /// <summary>Outcome of loading NVRTC: the folder search and each load attempt.</summary>
    public sealed record NvrtcLoad(nint Handle, string? LoadedFrom, NvrtcSearch Search, IReadOnlyList<string> Attempts);

    /// <summary>Registers the resolver (idempotent). Called by the interop classes' static constructors.</summary>
    public static void EnsureResolver()
    {
        lock (RegisterGate)
        {
            if (_registered) return;
            _registered = true;
            try { NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve); }
            catch (InvalidOperationException e)
            {
                // Only one resolver per assembly: some other code registered one. Default probing still finds
                // libcuda.so / libnvrtc.so when they are on the loader path; Create reports this.
                ResolverError = $"another DllImport resolver is registered for {typeof(NativeLibraries).Assembly.GetName().Name} ({e.Message}); " +
                                "NativeLibraries must be the only one (it resolves \"cuda\" and \"nvrtc\")";
            }
        }
    }

    static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        CudaName => LoadDriver().Handle,
        NvrtcName => LoadNvrtc().Handle,
        _ => 0, // not ours: the default probing continues
    };

    /// <summary>Loads the CUDA driver library once; never throws.</summary>
    public static DriverLoad LoadDriver()
    {
        lock (DriverGate)
        {
            if (_driver is not null) return _driver;
            string[] names = OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];
            var attempts = new List<string>();
            foreach (var n in names)
            {
                if (TryLoad(n, out nint handle, out string error))
                {
                    attempts.Add($"{n}: loaded");
                    return _driver = new DriverLoad(handle, n, attempts);
                }
                attempts.Add($"{n}: {error}");
            }
            return _driver = new DriverLoad(0, null, attempts);
        }
    }

    /// <summary>
    /// Finds and loads NVRTC once (folders first, then the loader's own search); never throws. With the driver's
    /// CUDA major version, libraries no newer than it are tried first. The first call's outcome is kept.
    /// </summary>
    public static NvrtcLoad LoadNvrtc(int driverMajor = int.MaxValue)
    {
        lock (NvrtcGate)
        {
            if (_nvrtc is not null) return _nvrtc;
            var search = NvrtcLocator.Search(NvrtcSearchEnvironment.Current);
            var attempts = new List<string>();
            foreach (var file in search.FoundFor(driverMajor))
            {
                // NVRTC dlopens libnvrtc-builtins by soname at compile time; wheels and conda folders are not on the
                // loader path, so load the builtins beside it first (glibc then matches the soname already loaded).
                PreloadBuiltins(Path.GetDirectoryName(file)!, attempts);
                if (TryLoad(file, out nint handle, out string error))
                {
                    attempts.Add($"{file}: loaded");
                    return _nvrtc = new NvrtcLoad(handle, file, search, attempts);
                }
                attempts.Add($"{file}: {error}");
            }
            foreach (var n in search.LoaderNamesFor(driverMajor))
            {
                if (TryLoad(n, out nint handle, out string error))
                {
                    attempts.Add($"{n} (loader search): loaded");
                    return _nvrtc = new NvrtcLoad(handle, n, search, attempts);
                }
                attempts.Add($"{n} (loader search): {error}");
            }
            return _nvrtc = new NvrtcLoad(0, null, search, attempts);
        }
    }

    static void PreloadBuiltins(string folder, List<string> attempts)
    {
        string pattern = OperatingSystem.IsWindows() ? "nvrtc-builtins64_*.dll" : "libnvrtc-builtins.so.*";
        string[] files;
        try { files = Directory.GetFiles(folder, pattern); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return; }
        // Versioned sonames (libnvrtc-builtins.so.13.0) before their fully versioned targets; newest first.
        foreach (var f in files.OrderBy(f => f.Length).ThenByDescending(f => f, StringComparer.Ordinal))
        {
            if (TryLoad(f, out _, out string error)) { attempts.Add($"{f}: preloaded"); return; }
            attempts.Add($"{f}: {error}");
        }
    }

    static bool TryLoad(string nameOrPath, out nint handle, out string error)
    {
        try
        {
            handle = NativeLibrary.Load(nameOrPath);
            error = "";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or ArgumentException)
        {
            handle = 0;
            error = LoaderError(e.Message);
            return false;
        }
    }

    /// <summary>The loader's own lines (dlerror: "libcuda.so.1: cannot open shared object file ...") without .NET's generic hint.</summary>
    static string LoaderError(string message)
    {
        var lines = message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var specific = lines.Where(l => !l.StartsWith("Unable to load shared library", StringComparison.Ordinal)).ToList();
        return specific.Count > 0 ? string.Join("; ", specific) : lines.FirstOrDefault() ?? message;
    }
}
