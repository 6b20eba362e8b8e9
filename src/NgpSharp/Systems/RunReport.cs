using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NgpSharp.Compute;

namespace NgpSharp.Systems;

/// <summary>A render next to its ground truth in the report; paths relative to the run folder (truth optional).</summary>
public sealed record ReportImagePair(string Caption, string RenderPath, string? TruthPath);

/// <summary>What a command knows beyond the run folder's files (all optional).</summary>
public sealed class RunReportInfo
{
    public string? Title { get; init; }
    /// <summary>Overrides the device recorded in metrics.json.</summary>
    public string? Device { get; init; }
    public IReadOnlyList<(string Name, string Value)> Metrics { get; init; } = [];
    public IReadOnlyList<(string Name, string Value)> Timings { get; init; } = [];
    /// <summary>Shown before the test renders found in <c>save/test/</c>.</summary>
    public IReadOnlyList<ReportImagePair> Images { get; init; } = [];
}

/// <summary>
/// <c>RUN_DIR/report.html</c>: one page with the loss (log scale), PSNR and learning-rate curves from
/// <c>metrics.csv</c> as inline SVG, the test renders of <c>save/test/</c> beside <c>save/test_gt/</c>, the test
/// metrics of <c>metrics.json</c>, timings, device and <c>config/parsed.yaml</c>. Every input is optional: a missing
/// or unreadable file becomes a note on the page, never an error. Images are relative links, so the page works
/// wherever the run folder is moved. A tiny script marks each image <c>data-loaded="yes|no"</c> once it has loaded.
/// </summary>
public static class RunReport
{
    public const string FileName = "report.html";
    /// <summary>At most this many test views are shown (evenly spaced over the split).</summary>
    public const int MaxTestImages = 12;
    /// <summary>Longer metrics.csv files are thinned to about this many points per curve.</summary>
    public const int MaxChartPoints = 1000;

    static readonly (string Column, string Title, bool Log)[] Curves = [("loss", "loss", true), ("psnr", "PSNR (dB)", false), ("lr", "learning rate", false)];

    /// <summary>Writes <c>report.html</c> into <paramref name="runDir"/> atomically; returns its path.</summary>
    public static string Write(string runDir, RunReportInfo? info = null)
    {
        string path = Path.Combine(runDir, FileName);
        AtomicFile.WriteAllText(path, Build(runDir, info ?? new RunReportInfo()));
        return path;
    }

    /// <summary>The page's HTML for the run folder <paramref name="runDir"/>.</summary>
    public static string Build(string runDir, RunReportInfo info)
    {
        var notes = new List<string>();
        var json = ReadMetricsJson(Path.Combine(runDir, "metrics.json"), notes);
        string title = info.Title ?? Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar));
        string? device = info.Device ?? Str(json?["device"]) ?? Str(json?["train"]?["device"]);

        var body = new StringBuilder();
        body.Append($"<h1>{E(title)}</h1>\n<p class=\"meta\">{E(Path.GetFullPath(runDir))} · written {DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC");
        if (device is not null) body.Append($" · device: <span id=\"device\">{E(device)}</span>");
        body.Append("</p>\n");

        body.Append("<h2>Test metrics</h2>\n").Append(Table("metrics", TestMetrics(json).Concat(info.Metrics).ToList(), "no metrics.json yet (run ngp test)"));
        body.Append("<h2>Training curves</h2>\n<div class=\"charts\">\n");
        foreach (var chart in Charts(Path.Combine(runDir, "metrics.csv"), notes)) body.Append(chart).Append('\n');
        body.Append("</div>\n");
        body.Append("<h2>Renders</h2>\n").Append(Images(runDir, info.Images, notes));
        body.Append("<h2>Timings</h2>\n").Append(Table("timings", Timings(json).Concat(info.Timings).ToList(), "no timings recorded"));
        body.Append("<h2>Config</h2>\n").Append(ConfigText(Path.Combine(runDir, "config", "parsed.yaml")));
        if (notes.Count > 0) body.Append("<h2>Notes</h2>\n<ul class=\"notes\">").Append(string.Concat(notes.Select(n => $"<li>{E(n)}</li>"))).Append("</ul>\n");
        return Page(title, body.ToString());
    }

    static string Page(string title, string body) => $$"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{{E(title)}} · NgpSharp run report</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
        h2 { margin-top: 28px; border-bottom: 1px solid #ddd; }
        .meta { color: #666; } table { border-collapse: collapse; } td, th { padding: 2px 12px 2px 0; text-align: left; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; } .chart text { font-size: 11px; fill: #444; } .chart .chart-title { font-size: 13px; fill: #222; }
        .pairs { display: flex; flex-wrap: wrap; gap: 16px; } figure { margin: 0; } figure img { max-width: 256px; image-rendering: pixelated; }
        img[data-loaded="no"] { outline: 2px solid #c00; } pre { background: #f6f6f6; padding: 8px; overflow: auto; }
        </style></head>
        <body>
        {{body}}<script>
        for (const img of document.images) {
          const mark = () => img.dataset.loaded = img.complete && img.naturalWidth > 0 ? "yes" : "no";
          if (img.complete) mark(); else { img.addEventListener("load", mark); img.addEventListener("error", mark); }
        }
        </script>
        </body></html>

        """;

    static JsonNode? ReadMetricsJson(string path, List<string> notes)
    {
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            notes.Add($"metrics.json is unreadable: {e.Message}");
            return null;
        }
    }

    /// <summary>PSNR, SSIM, then mesh metrics (chamfer, f_score: top level or one object down), then other top-level numbers.</summary>
    static IEnumerable<(string, string)> TestMetrics(JsonNode? json)
    {
        if (json is not JsonObject o) yield break;
        var shown = new HashSet<string>();
        foreach (var (key, label) in new[] { ("psnr", "PSNR (dB)"), ("ssim", "SSIM"), ("chamfer", "Chamfer distance"), ("f_score", "F-score") })
        {
            var node = o[key] ?? o.Select(p => p.Value is JsonObject sub ? sub[key] : null).FirstOrDefault(n => n is not null);
            if (Str(node) is { } v) { yield return (label, v); shown.Add(key); }
        }
        foreach (var (key, value) in o)
            if (!shown.Contains(key) && key is not ("device" or "render_seconds" or "seconds_per_view") && value is JsonValue && Str(value) is { } v)
                yield return (key, v);
    }

    static IEnumerable<(string, string)> Timings(JsonNode? json)
    {
        if (json is not JsonObject o) yield break;
        if (o["train"] is JsonObject train)
            foreach (var (key, value) in train)
                if (key != "device" && value is JsonValue && Str(value) is { } v) yield return ("train " + key.Replace('_', ' '), v);
        if (Str(o["render_seconds"]) is { } r) yield return ("test render seconds", r);
        if (Str(o["seconds_per_view"]) is { } s) yield return ("test seconds per view", s);
    }

    static string? Str(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue(out double d) => d.ToString("G6", CultureInfo.InvariantCulture),
        JsonValue v when v.TryGetValue(out string? s) => s,
        JsonValue v when v.TryGetValue(out bool b) => b ? "true" : "false",
        _ => null,
    };

    static string Table(string id, IReadOnlyList<(string Name, string Value)> rows, string empty) => rows.Count == 0
        ? $"<p id=\"{id}\" class=\"empty\">{E(empty)}</p>\n"
        : $"<table id=\"{id}\">{string.Concat(rows.Select(r => $"<tr><th>{E(r.Name)}</th><td>{E(r.Value)}</td></tr>"))}</table>\n";

    /// <summary>One chart per curve column present in metrics.csv (read by header name); x is the step column or the row number.</summary>
    static List<string> Charts(string csvPath, List<string> notes)
    {
        var charts = new List<string>();
        if (!File.Exists(csvPath)) { notes.Add("no metrics.csv"); return charts; }
        string[] lines;
        try { lines = File.ReadAllLines(csvPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { notes.Add($"metrics.csv is unreadable: {e.Message}"); return charts; }
        if (lines.Length == 0) { notes.Add("metrics.csv is empty"); return charts; }
        var header = lines[0].Split(',').Select(h => h.Trim()).ToList();
        var rows = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(',')).ToList();
        int stride = Math.Max(1, (rows.Count + MaxChartPoints - 1) / MaxChartPoints);
        var kept = rows.Where((_, i) => i % stride == 0 || i == rows.Count - 1).ToList();
        int stepColumn = header.IndexOf("step");
        var xs = kept.Select((r, i) => stepColumn >= 0 ? Cell(r, stepColumn) : i).ToList();
        foreach (var (column, title, log) in Curves)
        {
            int c = header.IndexOf(column);
            if (c < 0) { notes.Add($"metrics.csv has no \"{column}\" column"); continue; }
            charts.Add(SvgLineChart.Write(title, stepColumn >= 0 ? "step" : "row", xs, kept.Select(r => Cell(r, c)).ToList(), log));
        }
        return charts;
    }

    static double Cell(string[] row, int column) =>
        column < row.Length && double.TryParse(row[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;

    /// <summary>The given pairs, then save/test/NNN.png beside save/test_gt/NNN.png (at most <see cref="MaxTestImages"/>).</summary>
    static string Images(string runDir, IReadOnlyList<ReportImagePair> extra, List<string> notes)
    {
        var pairs = new List<ReportImagePair>(extra);
        string testDir = Path.Combine(runDir, "save", "test");
        var renders = Directory.Exists(testDir)
            ? Directory.EnumerateFiles(testDir, "*.png").Select(Path.GetFileName).Where(n => n is not null && !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList()
            : [];
        int shown = Math.Min(renders.Count, MaxTestImages);
        for (int k = 0; k < shown; k++)
        {
            string name = renders[(int)((long)k * renders.Count / shown)]!;
            string truth = Path.Combine(runDir, "save", "test_gt", name);
            pairs.Add(new($"test view {Path.GetFileNameWithoutExtension(name)}", $"save/test/{name}", File.Exists(truth) ? $"save/test_gt/{name}" : null));
        }
        if (renders.Count > shown) notes.Add($"showing {shown} of {renders.Count} test views");
        if (pairs.Count == 0) return "<p id=\"renders\" class=\"empty\">no renders yet (run ngp test)</p>\n";
        var sb = new StringBuilder("<div id=\"renders\" class=\"pairs\">\n");
        foreach (var p in pairs)
        {
            sb.Append($"<div class=\"pair\"><div class=\"caption\">{E(p.Caption)}</div>");
            sb.Append($"<figure><img class=\"render\" src=\"{Url(p.RenderPath)}\" alt=\"render\"><figcaption>render</figcaption></figure>");
            if (p.TruthPath is not null) sb.Append($"<figure><img class=\"truth\" src=\"{Url(p.TruthPath)}\" alt=\"ground truth\"><figcaption>ground truth</figcaption></figure>");
            sb.Append("</div>\n");
        }
        return sb.Append("</div>\n").ToString();
    }

    /// <summary>A relative path as an attribute-safe URL (each segment percent-encoded, '/' separators).</summary>
    static string Url(string relative) =>
        string.Join('/', relative.Replace('\\', '/').Split('/').Select(Uri.EscapeDataString));

    static string ConfigText(string path)
    {
        if (!File.Exists(path)) return "<p id=\"config\" class=\"empty\">no config/parsed.yaml</p>\n";
        try { return $"<pre id=\"config\">{E(File.ReadAllText(path))}</pre>\n"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"<p id=\"config\" class=\"empty\">config/parsed.yaml is unreadable: {E(e.Message)}</p>\n"; }
    }

    static string E(string s) => WebUtility.HtmlEncode(s);
}
