using NgpSharp.Imaging;

namespace NgpSharp.Tests.Systems;

/// <summary>A synthetic run folder for the report tests (deleted on dispose); each part is written on request.</summary>
public sealed class ReportTestRun : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("ngp-report-").FullName;

    public ReportTestRun WriteFile(string relative, string text)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return this;
    }

    /// <summary>save/test/NNN.png renders (w×h gray ramps) and, with <paramref name="truth"/>, save/test_gt/NNN.png.</summary>
    public ReportTestRun WriteTestViews(int count, bool truth = true, int w = 6, int h = 4)
    {
        foreach (string folder in truth ? new[] { "test", "test_gt" } : ["test"])
        {
            string dir = Path.Combine(Root, "save", folder);
            Directory.CreateDirectory(dir);
            for (int i = 0; i < count; i++)
            {
                var image = new Image(w, h, 3);
                for (int p = 0; p < image.Data.Length; p++) image.Data[p] = (p % 7) / 6f;
                Png.Write(Path.Combine(dir, $"{i:D3}.png"), image);
            }
        }
        return this;
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
