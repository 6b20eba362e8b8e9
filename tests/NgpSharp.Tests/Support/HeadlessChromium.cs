using System.Diagnostics;
using Xunit;

namespace NgpSharp.Tests.Support;

/// <summary>
/// Headless Chromium for page tests: finds a binary ($CHROMIUM, then chromium, chromium-browser, google-chrome on
/// PATH) and dumps a page's DOM after it has loaded (scripts run, images loaded or failed).
/// </summary>
public static class HeadlessChromium
{
    static readonly Lazy<string?> Binary = new(Find);

    /// <summary>The browser's path, or null when none is installed.</summary>
    public static string? Path => Binary.Value;

    static string? Find()
    {
        if (Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } env && File.Exists(env)) return env;
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        foreach (var name in new[] { "chromium", "chromium-browser", "google-chrome", "google-chrome-stable" })
            foreach (var dir in dirs)
                if (File.Exists(System.IO.Path.Combine(dir, name))) return System.IO.Path.Combine(dir, name);
        return null;
    }

    /// <summary>The serialised DOM of <paramref name="htmlFile"/> once loaded; throws when the browser fails or takes over 30 s.</summary>
    public static string DumpDom(string htmlFile)
    {
        string binary = Path ?? throw new InvalidOperationException("no chromium binary");
        string profile = Directory.CreateTempSubdirectory("ngp-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(binary)
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                ArgumentList = { "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--allow-file-access-from-files",
                    $"--user-data-dir={profile}", "--dump-dom", new Uri(System.IO.Path.GetFullPath(htmlFile)).AbsoluteUri },
            };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{binary} did not finish within 30 s");
            }
            if (process.ExitCode != 0) throw new InvalidOperationException($"{binary} exited with {process.ExitCode}: {stderr.Result}");
            return stdout.Result;
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>A test that needs headless Chromium; skipped, saying why, only when no binary is found.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (HeadlessChromium.Path is null)
            Skip = "no chromium binary found on PATH or in $CHROMIUM (install the Debian package chromium: apt-get install -y chromium)";
    }
}
