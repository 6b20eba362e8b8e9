using System.Text.RegularExpressions;
using NgpSharp.Systems;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Systems;

/// <summary>report.html as a browser sees it: the curves are in the DOM and every image really loads.</summary>
public sealed class RunReportBrowserTests
{
    [ChromiumFact]
    public void Report_InChromium_ShowsCurvesAndLoadsImages()
    {
        using var run = new ReportTestRun()
            .WriteFile("metrics.csv", "step,loss,lr,psnr\n1,0.5,0.01,10\n2,0.25,0.01,12\n3,0.125,0.005,14\n")
            .WriteFile("metrics.json", """{"psnr": 14.5, "ssim": 0.5}""")
            .WriteFile("config/parsed.yaml", "name: bunny\n")
            .WriteTestViews(3);
        string path = RunReport.Write(run.Root, new RunReportInfo { Images = [new("missing on purpose", "save/nothing.png", null)] });

        string dom = HeadlessChromium.DumpDom(path);

        var charts = Regex.Matches(dom, "<svg class=\"chart\"[^>]*data-series=\"([^\"]+)\" data-points=\"(\\d+)\"").Select(m => (m.Groups[1].Value, m.Groups[2].Value));
        Assert.Equal([("loss", "3"), ("PSNR (dB)", "3"), ("learning rate", "3")], charts);
        Assert.Equal(3, Regex.Matches(dom, "<polyline ").Count);
        var images = Regex.Matches(dom, "<img [^>]*src=\"([^\"]+)\"[^>]*>").Select(m => (Src: m.Groups[1].Value, Tag: m.Value)).ToList();
        Assert.Equal(1 + 3 + 3, images.Count);
        foreach (var (src, tag) in images)
            Assert.True(tag.Contains(src == "save/nothing.png" ? "data-loaded=\"no\"" : "data-loaded=\"yes\""), $"image {src}: {tag}");
        Assert.Contains("save/test_gt/002.png", dom);
    }
}
