using System.Globalization;

namespace NgpSharp.Compute.Cuda.Interop;

/// <summary>
/// What the NVRTC search may look at: environment variables and a file-system root that fixed system folders
/// (/usr/local/cuda, /usr/lib/python3*) are resolved under — "/" in production, a temp folder in tests.
/// Folders named by variables (LD_LIBRARY_PATH, CUDA_HOME, HOME, ...) are used as given.
/// </summary>
public sealed class NvrtcSearchEnvironment(Func<string, string?> variable, string systemRoot, bool isWindows, string? homeFallback = null)
{
    /// <summary>The real environment of this process.</summary>
    public static NvrtcSearchEnvironment Current => new(Environment.GetEnvironmentVariable,
        OperatingSystem.IsWindows() ? Path.GetPathRoot(Environment.SystemDirectory) ?? "C:\\" : "/", OperatingSystem.IsWindows(),
        Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));

    /// <summary>A fake environment: <paramref name="variables"/> and system folders under <paramref name="systemRoot"/>.</summary>
    public static NvrtcSearchEnvironment Fake(IReadOnlyDictionary<string, string> variables, string systemRoot, bool isWindows = false) =>
        new(name => variables.TryGetValue(name, out var v) ? v : null, systemRoot, isWindows);

    public string? Variable(string name) => variable(name) is { Length: > 0 } v ? v : null;

    public bool IsWindows { get; } = isWindows;

    /// <summary>A fixed system path ("/usr/local/cuda") under the root.</summary>
    public string SystemPath(string absolute) => Path.Combine(systemRoot, absolute.TrimStart('/', '\\'));

    /// <summary>The user's home folder (HOME, or USERPROFILE on Windows), or null.</summary>
    public string? Home => Variable(IsWindows ? "USERPROFILE" : "HOME") ?? (homeFallback is { Length: > 0 } h ? h : null);
}

/// <summary>One folder the search looked in, and the NVRTC library it found there (null when none).</summary>
public sealed record NvrtcProbe(string Place, string Folder, bool FolderExists, string? Found)
{
    public override string ToString() => $"{Place}: {Folder} — {(Found is not null ? "found " + Path.GetFileName(Found) : FolderExists ? "no nvrtc" : "no such folder")}";
}

/// <summary>The result of <see cref="NvrtcLocator.Search"/>: every place looked at, in order, and what was found.</summary>
public sealed class NvrtcSearch(IReadOnlyList<NvrtcProbe> probes, IReadOnlyList<string> loaderNames, IReadOnlyList<string>? unsetVariables = null)
{
    /// <summary>The variables the search consults that were not set (LD_LIBRARY_PATH, CUDA_HOME, ...).</summary>
    public IReadOnlyList<string> UnsetVariables { get; } = unsetVariables ?? [];

    /// <summary>Every folder examined, in search order.</summary>
    public IReadOnlyList<NvrtcProbe> Probes { get; } = probes;

    /// <summary>Library files found, best first (the loader tries them in this order).</summary>
    public IReadOnlyList<string> Found { get; } = probes.Where(p => p.Found is not null).Select(p => p.Found!).ToList();

    /// <summary>
    /// <see cref="Found"/> with libraries no newer than the driver first (a CUDA 12 driver cannot load code from
    /// NVRTC 13), keeping the search order otherwise. Unversioned names count as compatible.
    /// </summary>
    public IReadOnlyList<string> FoundFor(int driverMajor) => NvrtcLocator.NoNewerThanFirst(Found, driverMajor);

    /// <summary><see cref="LoaderNames"/> reordered like <see cref="FoundFor"/>.</summary>
    public IReadOnlyList<string> LoaderNamesFor(int driverMajor) => NvrtcLocator.NoNewerThanFirst(LoaderNames, driverMajor);

    /// <summary>Names handed to the system loader when no folder had NVRTC (its own search: ld.so.cache, PATH).</summary>
    public IReadOnlyList<string> LoaderNames { get; } = loaderNames;

    /// <summary>One line for error messages: "LD_LIBRARY_PATH /a (no such folder), CUDA_HOME ..., then the loader for ...".</summary>
    public string Summary =>
        string.Join(", ", Probes.Select(p => $"{p.Place} {p.Folder} ({(p.Found is not null ? "found " + Path.GetFileName(p.Found) : p.FolderExists ? "no nvrtc" : "no such folder")})"))
        + (Probes.Count > 0 ? ", then " : "") + "the system loader for " + string.Join(", ", LoaderNames)
        + (UnsetVariables.Count > 0 ? "; not set: " + string.Join(", ", UnsetVariables) : "");

    /// <summary>Multi-line listing for `ngp info`.</summary>
    public string Describe(string indent = "  ") =>
        string.Join(Environment.NewLine, Probes.Select(p => indent + p)
            .Append(indent + "system loader: " + string.Join(", ", LoaderNames))
            .Concat(UnsetVariables.Count > 0 ? [indent + "not set: " + string.Join(", ", UnsetVariables)] : []));
}

/// <summary>
/// Finds NVRTC (libnvrtc.so.13 / .so.12 / .so; nvrtc64_*.dll on Windows) without a CUDA toolkit install on the
/// loader path. Order (Linux): LD_LIBRARY_PATH folders; CUDA_HOME and CUDA_PATH (lib64, lib);
/// /usr/local/cuda/lib64; /usr/local/cuda-*/lib64 newest version first; then Python environments' NVIDIA wheels
/// (nvidia/cu13/lib for CUDA 13, nvidia/cuda_nvrtc/lib for CUDA 12) in VIRTUAL_ENV, CONDA_PREFIX (also its lib/,
/// where conda's cuda-nvrtc lives), ~/.local/lib/python3*/site-packages, /usr/local/lib/python3*/{dist,site}-packages,
/// /usr/lib/python3*/{dist,site}-packages (newest Python first); finally the plain names through the system loader.
/// Within a folder the newest major version wins.
/// </summary>
public static class NvrtcLocator
{
    static readonly string[] LinuxNames = ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"];
    static readonly string[] WheelFoldersLinux = ["nvidia/cu13/lib", "nvidia/cuda_nvrtc/lib"];
    static readonly string[] WheelFoldersWindows = ["nvidia/cu13/bin/x86_64", "nvidia/cuda_nvrtc/bin"];

    /// <summary>Looks in every place, in order, recording each; never throws.</summary>
    public static NvrtcSearch Search(NvrtcSearchEnvironment env)
    {
        var folders = env.IsWindows ? WindowsFolders(env) : LinuxFolders(env);
        var seen = new HashSet<string>(env.IsWindows ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        var probes = new List<NvrtcProbe>();
        foreach (var (place, folder) in folders)
        {
            string full;
            try { full = Path.GetFullPath(folder); } catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { continue; }
            if (!seen.Add(full.TrimEnd('/', '\\'))) continue;
            bool exists = SafeDirectoryExists(full);
            probes.Add(new NvrtcProbe(place, full, exists, exists ? FindIn(full, env.IsWindows) : null));
        }
        string[] loaderNames = env.IsWindows ? ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"] : LinuxNames;
        string[] consulted = env.IsWindows ? ["PATH", "CUDA_PATH", "CUDA_HOME", "VIRTUAL_ENV", "CONDA_PREFIX"] : ["LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "VIRTUAL_ENV", "CONDA_PREFIX"];
        return new NvrtcSearch(probes, loaderNames, consulted.Where(v => env.Variable(v) is null).ToList());
    }

    static IEnumerable<(string Place, string Folder)> LinuxFolders(NvrtcSearchEnvironment env)
    {
        foreach (var f in SplitPathList(env.Variable("LD_LIBRARY_PATH"), ':')) yield return ("LD_LIBRARY_PATH", f);
        foreach (var name in new[] { "CUDA_HOME", "CUDA_PATH" })
            if (env.Variable(name) is { } root)
            {
                yield return (name, Path.Combine(root, "lib64"));
                yield return (name, Path.Combine(root, "lib"));
            }
        yield return ("toolkit", env.SystemPath("/usr/local/cuda/lib64"));
        foreach (var d in VersionedChildren(env.SystemPath("/usr/local"), "cuda-", "cuda-"))
            yield return ("toolkit", Path.Combine(d, "lib64"));

        foreach (var (place, sitePackages) in PythonSitePackages(env))
            foreach (var wheel in WheelFoldersLinux)
                yield return (place, Path.Combine(sitePackages, wheel));
        if (env.Variable("CONDA_PREFIX") is { } conda) yield return ("CONDA_PREFIX", Path.Combine(conda, "lib"));
    }

    /// <summary>site-packages folders of Python environments, active ones first, newest Python first within each.</summary>
    static IEnumerable<(string Place, string Folder)> PythonSitePackages(NvrtcSearchEnvironment env)
    {
        foreach (var name in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (env.Variable(name) is { } prefix)
                foreach (var py in VersionedChildren(Path.Combine(prefix, "lib"), "python3", "python"))
                    yield return (name, Path.Combine(py, "site-packages"));
        if (env.Home is { } home)
            foreach (var py in VersionedChildren(Path.Combine(home, ".local", "lib"), "python3", "python"))
                yield return ("user site-packages", Path.Combine(py, "site-packages"));
        foreach (var lib in new[] { "/usr/local/lib", "/usr/lib" })
            foreach (var py in VersionedChildren(env.SystemPath(lib), "python3", "python"))
            {
                yield return ("system Python", Path.Combine(py, "dist-packages"));
                yield return ("system Python", Path.Combine(py, "site-packages"));
            }
    }

    static IEnumerable<(string Place, string Folder)> WindowsFolders(NvrtcSearchEnvironment env)
    {
        foreach (var f in SplitPathList(env.Variable("PATH"), ';')) yield return ("PATH", f);
        foreach (var name in new[] { "CUDA_PATH", "CUDA_HOME" })
            if (env.Variable(name) is { } root)
            {
                yield return (name, Path.Combine(root, "bin", "x64")); // CUDA 13 moved the DLLs here
                yield return (name, Path.Combine(root, "bin"));
            }
        foreach (var d in VersionedChildren(env.SystemPath("/Program Files/NVIDIA GPU Computing Toolkit/CUDA"), "v", "v"))
        {
            yield return ("toolkit", Path.Combine(d, "bin", "x64"));
            yield return ("toolkit", Path.Combine(d, "bin"));
        }
        foreach (var name in new[] { "VIRTUAL_ENV", "CONDA_PREFIX" })
            if (env.Variable(name) is { } prefix)
            {
                foreach (var wheel in WheelFoldersWindows) yield return (name, Path.Combine(prefix, "Lib", "site-packages", wheel));
                if (name == "CONDA_PREFIX") yield return (name, Path.Combine(prefix, "Library", "bin"));
            }
    }

    static string? FindIn(string folder, bool windows)
    {
        if (!windows)
        {
            foreach (var n in LinuxNames)
                if (File.Exists(Path.Combine(folder, n))) return Path.Combine(folder, n);
            return null;
        }
        try
        {
            // nvrtc64_130_0.dll, nvrtc64_120_0.dll, ...: the highest version first.
            return Directory.GetFiles(folder, "nvrtc64_*.dll").OrderByDescending(f => Path.GetFileName(f), StringComparer.OrdinalIgnoreCase).FirstOrDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>Child folders of <paramref name="parent"/> named prefix + version ("cuda-12.4", "python3.12"), highest version first.</summary>
    internal static IEnumerable<string> VersionedChildren(string parent, string prefix, string stripPrefix)
    {
        string[] dirs;
        try { dirs = Directory.GetDirectories(parent, prefix + "*"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { dirs = []; }
        var matches = dirs.Select(d => (Dir: d, Version: ParseVersion(Path.GetFileName(d)[stripPrefix.Length..])))
            .Where(x => x.Version is not null)
            .OrderByDescending(x => x.Version)
            .ThenBy(x => x.Dir, StringComparer.Ordinal)
            .Select(x => x.Dir)
            .ToList();
        // Nothing matched: report the pattern itself, so the search list still shows the place was considered.
        return matches.Count > 0 ? matches : [Path.Combine(parent, prefix + "*")];
    }

    /// <summary>Libraries whose major version is ≤ <paramref name="driverMajor"/> (or unknown) first; order otherwise kept.</summary>
    public static IReadOnlyList<string> NoNewerThanFirst(IEnumerable<string> files, int driverMajor) =>
        files.OrderBy(f => MajorVersionOf(f) is int m && m > driverMajor ? 1 : 0).ToList();

    /// <summary>The CUDA major version in an NVRTC file name: libnvrtc.so.13 → 13, nvrtc64_120_0.dll → 12; null when unversioned.</summary>
    public static int? MajorVersionOf(string file)
    {
        string name = Path.GetFileName(file);
        if (name.StartsWith("libnvrtc.so.", StringComparison.Ordinal))
        {
            string rest = name["libnvrtc.so.".Length..];
            int dot = rest.IndexOf('.');
            return int.TryParse(dot < 0 ? rest : rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out int m) ? m : null;
        }
        if (name.StartsWith("nvrtc64_", StringComparison.OrdinalIgnoreCase))
        {
            string digits = new(name["nvrtc64_".Length..].TakeWhile(char.IsAsciiDigit).ToArray());
            return digits.Length >= 2 && int.TryParse(digits[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out int m) ? m : null;
        }
        return null;
    }

    /// <summary>"12.4" → 12.4, "13" → 13.0, "3.12" → 3.12 (components compared numerically); null when not a version.</summary>
    internal static Version? ParseVersion(string s)
    {
        var parts = s.Split('.');
        if (parts.Length is 0 or > 4) return null;
        var numbers = new int[Math.Max(parts.Length, 2)];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i])) return null;
        return numbers.Length switch
        {
            2 => new Version(numbers[0], numbers[1]),
            3 => new Version(numbers[0], numbers[1], numbers[2]),
            _ => new Version(numbers[0], numbers[1], numbers[2], numbers[3]),
        };
    }

    static IEnumerable<string> SplitPathList(string? list, char separator) =>
        list is null ? [] : list.Split(separator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    static bool SafeDirectoryExists(string path)
    {
        try { return Directory.Exists(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}
