using System.Globalization;
using NgpSharp.Imaging;

namespace NgpSharp.Tests.Data;

/// <summary>A throw-away dataset folder with tiny generated PNGs; deleted on dispose.</summary>
public sealed class TempDataset : IDisposable
{
    public TempDataset() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "ngp-data-" + Guid.NewGuid().ToString("N"));

    /// <summary>Writes a w×h PNG whose pixel (x, y) is (x/w, y/h, 0.5[, alpha]).</summary>
    public string Png(string relative, int w, int h, bool alpha = true)
    {
        int c = alpha ? 4 : 3;
        var image = new Image(w, h, c);
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
        {
            image[x, y, 0] = (float)x / w;
            image[x, y, 1] = (float)y / h;
            image[x, y, 2] = 0.5f;
            if (alpha) image[x, y, 3] = x < w / 2 ? 1f : 0f;
        }
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        NgpSharp.Imaging.Png.Write(path, image);
        return path;
    }

    public string Write(string relative, string text)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>A 4×4 pose as JSON: identity rotation scaled by <paramref name="s"/>, translation t.</summary>
    public static string Pose(double tx, double ty, double tz, double s = 1) =>
        string.Create(CultureInfo.InvariantCulture, $"[[{s},0,0,{tx}],[0,{s},0,{ty}],[0,0,{s},{tz}],[0,0,0,1]]");

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
