using System.Globalization;
using System.Text.RegularExpressions;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Systems;

/// <summary>
/// A run folder (DESIGN.md §6): <c>exp/&lt;name&gt;/&lt;tag&gt;@&lt;yyyyMMdd-HHmmss&gt;/</c> or an explicit <c>--out</c> folder,
/// with <c>config/parsed.yaml</c>, <c>ckpt/step-NNNNNN.ckpt</c>, <c>save/</c>, <c>metrics.csv</c>, <c>metrics.json</c>.
/// </summary>
public sealed partial class RunDirectory
{
    RunDirectory(string root)
    {
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }
    public string ConfigDir => Path.Combine(Root, "config");
    public string CheckpointDir => Path.Combine(Root, "ckpt");
    public string SaveDir => Path.Combine(Root, "save");
    public string ParsedConfigPath => Path.Combine(ConfigDir, "parsed.yaml");
    public string MetricsCsvPath => Path.Combine(Root, "metrics.csv");
    public string MetricsJsonPath => Path.Combine(Root, "metrics.json");

    /// <summary>
    /// Creates <c>&lt;expRoot&gt;/&lt;name&gt;/&lt;tag&gt;@&lt;yyyyMMdd-HHmmss&gt;</c> (local time <paramref name="now"/>, default now); a
    /// folder that already exists (two runs in one second) gets "-1", "-2"... appended. Characters that cannot be
    /// in a folder name become '_'.
    /// </summary>
    public static RunDirectory Create(string expRoot, string name, string tag, DateTime? now = null)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ConfigException("run name is empty (set the config's name)");
        string stamp = (now ?? DateTime.Now).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string parent = Path.Combine(expRoot, SafeName(name));
        string baseName = $"{SafeName(tag)}@{stamp}";
        string root = Path.Combine(parent, baseName);
        for (int i = 1; Directory.Exists(root); i++) root = Path.Combine(parent, $"{baseName}-{i}");
        return CreateAt(root);
    }

    /// <summary>Uses <paramref name="root"/> as the run folder (created with its sub-folders when missing).</summary>
    public static RunDirectory CreateAt(string root)
    {
        var run = new RunDirectory(root);
        Directory.CreateDirectory(run.ConfigDir);
        Directory.CreateDirectory(run.CheckpointDir);
        Directory.CreateDirectory(run.SaveDir);
        return run;
    }

    /// <summary>An existing run folder (for <c>ngp test</c>, resume): it must hold <c>config/parsed.yaml</c>.</summary>
    public static RunDirectory Open(string root)
    {
        var run = new RunDirectory(root);
        if (!Directory.Exists(run.Root)) throw new DirectoryNotFoundException($"{root}: run folder not found");
        if (!File.Exists(run.ParsedConfigPath)) throw new FileNotFoundException($"{root}: not a run folder (no config/parsed.yaml)", run.ParsedConfigPath);
        return run;
    }

    static string SafeName(string s)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var chars = s.Trim().Select(c => invalid.Contains(c) || c is '/' or '\\' or ':' ? '_' : c).ToArray();
        string result = new(chars);
        return result is "." or ".." ? result.Replace('.', '_') : result;
    }

    /// <summary>A folder under <c>save/</c> (created), e.g. "test", "test_depth".</summary>
    public string SaveSubdir(string name)
    {
        string dir = Path.Combine(SaveDir, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary><c>ckpt/step-NNNNNN.ckpt</c> (at least six digits).</summary>
    public string CheckpointPath(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        return Path.Combine(CheckpointDir, $"step-{step.ToString("D6", CultureInfo.InvariantCulture)}.ckpt");
    }

    [GeneratedRegex(@"^step-(\d+)\.ckpt$")]
    private static partial Regex CheckpointName();

    /// <summary>The checkpoints in <c>ckpt/</c> by step, oldest first (temp files and other names ignored).</summary>
    public IReadOnlyList<(long Step, string Path)> Checkpoints()
    {
        if (!Directory.Exists(CheckpointDir)) return [];
        var list = new List<(long, string)>();
        foreach (var f in Directory.EnumerateFiles(CheckpointDir))
        {
            var m = CheckpointName().Match(Path.GetFileName(f));
            if (m.Success && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long step)) list.Add((step, f));
        }
        list.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return list;
    }

    /// <summary>The checkpoint with the highest step, or null.</summary>
    public string? LatestCheckpoint() => Checkpoints() is { Count: > 0 } c ? c[^1].Path : null;

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints (keep ≤ 0: keep all); returns the deleted paths.</summary>
    public IReadOnlyList<string> KeepLastCheckpoints(int keep)
    {
        if (keep <= 0) return [];
        var all = Checkpoints();
        var deleted = new List<string>();
        for (int i = 0; i < all.Count - keep; i++)
        {
            File.Delete(all[i].Path);
            deleted.Add(all[i].Path);
        }
        return deleted;
    }

    /// <summary>Writes the resolved settings to <c>config/parsed.yaml</c> (atomically).</summary>
    public void WriteParsedConfig(object settings) => ConfigWriter.Write(ParsedConfigPath, settings);

    /// <summary>Writes a text file under the run folder atomically (path relative to <see cref="Root"/>).</summary>
    public string WriteText(string relativePath, string text)
    {
        string path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.WriteAllText(path, text);
        return path;
    }

    /// <summary>Opens <c>metrics.csv</c> (see <see cref="MetricsLog.Open"/>).</summary>
    public MetricsLog OpenMetrics(IReadOnlyList<string> columns, long? resumeStep = null) => MetricsLog.Open(MetricsCsvPath, columns, resumeStep);

    public override string ToString() => Root;
}
