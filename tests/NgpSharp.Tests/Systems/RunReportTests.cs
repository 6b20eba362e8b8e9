using System.Text.RegularExpressions;
using NgpSharp.Systems;
using Xunit;

namespace NgpSharp.Tests.Systems;

public sealed class RunReportTests
{
    const string Csv = "step,loss,lr,psnr,samples_per_s\n10,0.5,0.01,12.5,1e6\n20,nan,0.01,13,1e6\n30,0.05,0.005,,1e6\n40,0.004,0.005,20.25,1e6\n";

    /// <summary>The &lt;svg&gt; of one series, its data-points count and the number of "x,y" vertices in its polyline.</summary>
    static (int Declared, int Vertices, string Svg) Chart(string html, string series)
    {
        var m = Regex.Match(html, $"<svg[^>]*data-series=\"{Regex.Escape(series)}\" data-points=\"(\\d+)\".*?</svg>");
        Assert.True(m.Success, $"no chart \"{series}\"");
        var poly = Regex.Match(m.Value, "<polyline[^>]*points=\"([^\"]*)\"");
        int vertices = poly.Success ? poly.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length : 0;
        return (int.Parse(m.Groups[1].Value), vertices, m.Value);
    }

    static (int Declared, int Vertices) Counts(string html, string series)
    {
        var (declared, vertices, _) = Chart(html, series);
        return (declared, vertices);
    }

    [Fact]
    public void Curves_HaveOnePolylineVertexPerFiniteRow()
    {
        using var run = new ReportTestRun().WriteFile("metrics.csv", Csv);
        string html = RunReport.Build(run.Root, new RunReportInfo());
        Assert.Equal((3, 3), Counts(html, "loss"));             // the NaN row is skipped
        Assert.Equal((3, 3), Counts(html, "PSNR (dB)"));        // the empty cell is skipped
        Assert.Equal((4, 4), Counts(html, "learning rate"));
        Assert.DoesNotContain("data-series=\"samples_per_s\"", html);
    }

    [Fact]
    public void LossChart_IsLogScaleWithDecadeTicks()
    {
        using var run = new ReportTestRun().WriteFile("metrics.csv", Csv);
        var (_, _, svg) = Chart(RunReport.Build(run.Root, new RunReportInfo()), "loss");
        Assert.Contains("(log scale)", svg);
        foreach (var tick in new[] { "1e-3", "1e-2", "1e-1", "1e0" }) Assert.Contains($">{tick}</text>", svg);
        // 0.5, 0.05, 0.004 span log10 -0.30 … -2.40 of the axis -3 … 0: the y values must be evenly spaced in log.
        var ys = Regex.Match(svg, " points=\"([^\"]*)\"").Groups[1].Value.Split(' ').Select(p => double.Parse(p.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        double top = 28, height = 260 - 28 - 40;
        Assert.Equal(top + height * (1 - (Math.Log10(0.5) + 3) / 3), ys[0], 0.01);
        Assert.Equal(top + height * (1 - (Math.Log10(0.004) + 3) / 3), ys[2], 0.01);
    }

    [Fact]
    public void MissingColumnsAndFiles_AreTolerated()
    {
        using var run = new ReportTestRun().WriteFile("metrics.csv", "loss,psnr\n1,2\n0.5\n\n0.25,x\n");
        string html = RunReport.Build(run.Root, new RunReportInfo());
        Assert.Equal((3, 3), Counts(html, "loss"));             // no step column: x is the row number
        Assert.Equal((1, 1), Counts(html, "PSNR (dB)"));        // short row and "x" skipped
        Assert.Contains("metrics.csv has no &quot;lr&quot; column", html);
        Assert.Contains("no metrics.json yet", html);
        Assert.Contains("no renders yet", html);
        Assert.Contains("no config/parsed.yaml", html);

        using var empty = new ReportTestRun();
        string bare = RunReport.Build(empty.Root, new RunReportInfo());
        Assert.Contains("no metrics.csv", bare);
        Assert.DoesNotContain("<svg", bare);
        using var gone = new ReportTestRun();
        Directory.Delete(gone.Root);
        Assert.Contains("no metrics.csv", RunReport.Build(gone.Root, new RunReportInfo()));
    }

    [Fact]
    public void UntrustedText_IsEscaped()
    {
        using var run = new ReportTestRun()
            .WriteFile("config/parsed.yaml", "name: <script>alert(1)</script>\ntag: \"a & b\"\n")
            .WriteFile("metrics.json", """{"psnr": 30.5, "note": "<b>bold</b>"}""");
        string html = RunReport.Build(run.Root, new RunReportInfo { Title = "x<y", Metrics = [("m&m", "<1>")] });
        Assert.Contains("name: &lt;script&gt;alert(1)&lt;/script&gt;", html);
        Assert.Contains("tag: &quot;a &amp; b&quot;", html);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt;", html);
        Assert.Contains("<h1>x&lt;y</h1>", html);
        Assert.Contains("<th>m&amp;m</th><td>&lt;1&gt;</td>", html);
        Assert.DoesNotContain("<script>alert", html);
        Assert.DoesNotContain("<b>bold", html);
    }

    [Fact]
    public void Metrics_ShowPsnrSsimAndNestedMeshMetrics()
    {
        using var run = new ReportTestRun().WriteFile("metrics.json",
            """{"device": "cpu (test)", "psnr": 33.5712, "ssim": 0.977, "mesh": {"chamfer": 0.0123, "f_score": 0.91}, "render_seconds": 4.5, "train": {"seconds": 120.25, "device": "cpu"}}""");
        string html = RunReport.Build(run.Root, new RunReportInfo());
        Assert.Contains("<th>PSNR (dB)</th><td>33.5712</td>", html);
        Assert.Contains("<th>SSIM</th><td>0.977</td>", html);
        Assert.Contains("<th>Chamfer distance</th><td>0.0123</td>", html);
        Assert.Contains("<th>F-score</th><td>0.91</td>", html);
        Assert.Contains("<th>train seconds</th><td>120.25</td>", html);
        Assert.Contains("<th>test render seconds</th><td>4.5</td>", html);
        Assert.Contains("<span id=\"device\">cpu (test)</span>", html);
    }

    [Fact]
    public void MalformedMetricsJson_BecomesANote()
    {
        using var run = new ReportTestRun().WriteFile("metrics.json", "{\"psnr\": 3");
        string html = RunReport.Build(run.Root, new RunReportInfo());
        Assert.Contains("metrics.json is unreadable", html);
        Assert.Contains("no metrics.json yet", html);
    }

    [Fact]
    public void TestViews_PairRendersWithGroundTruth_AndAreThinned()
    {
        using var run = new ReportTestRun().WriteTestViews(30);
        File.WriteAllText(Path.Combine(run.Root, "save", "test", ".000.png.123.tmp.png"), "");   // a temp file is no view
        string html = RunReport.Build(run.Root, new RunReportInfo { Images = [new("picture", "final.png", null)] });
        var renders = Regex.Matches(html, "<img class=\"render\" src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        var truths = Regex.Matches(html, "<img class=\"truth\" src=\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(1 + RunReport.MaxTestImages, renders.Count);
        Assert.Equal("final.png", renders[0]);
        Assert.Equal(["save/test/000.png", "save/test/002.png", "save/test/005.png"], renders.Skip(1).Take(3));   // ⌊k·30/12⌋
        Assert.Equal(renders.Skip(1).Select(r => r.Replace("save/test/", "save/test_gt/")), truths);
        Assert.Contains("showing 12 of 30 test views", html);
    }

    [Fact]
    public void TestViewsWithoutGroundTruth_ShowTheRenderAlone()
    {
        using var run = new ReportTestRun().WriteTestViews(2, truth: false);
        string html = RunReport.Build(run.Root, new RunReportInfo());
        Assert.Equal(2, Regex.Matches(html, "<img class=\"render\"").Count);
        Assert.DoesNotContain("class=\"truth\"", html);
    }

    [Fact]
    public void Write_ReplacesTheFileAtomically()
    {
        using var run = new ReportTestRun().WriteFile("metrics.csv", Csv).WriteFile("report.html", "old");
        string path = RunReport.Write(run.Root);
        Assert.Equal(Path.Combine(run.Root, "report.html"), path);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(path));
        Assert.Equal(["metrics.csv", "report.html"], Directory.GetFiles(run.Root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void SvgLineChart_WithoutUsablePoints_SaysNoData()
    {
        string svg = SvgLineChart.Write("loss", "step", [1, 2], [-1, 0], logY: true);
        Assert.Contains("data-points=\"0\"", svg);
        Assert.Contains(">no data</text>", svg);
        Assert.DoesNotContain("<polyline", svg);
        Assert.Throws<ArgumentException>(() => SvgLineChart.Write("x", "step", [1], [1, 2]));
    }

    [Fact]
    public void SvgLineChart_ConstantSeries_HasAFiniteScale()
    {
        string svg = SvgLineChart.Write("lr", "step", [5, 5, 5], [0.01, 0.01, 0.01]);
        Assert.Contains("data-points=\"3\"", svg);
        Assert.DoesNotContain("NaN", svg);
        Assert.DoesNotContain("Infinity", svg);
    }
}
