using NgpSharp.Data.Npy;
using NgpSharp.Imaging;

namespace NgpSharp.Tests.Data;

/// <summary>
/// A throw-away NeuS/DTU folder: images (view i: a grey ramp, see <see cref="ImageLevel"/>),
/// optional masks (view i: left half 1, right half the level (i+1)/10), and cameras_sphere.npz with, for view i,
/// K = [[100, 0, W/2], [0, 120, H/2], [0, 0, 1]], R = identity, t = (i, 0, 5), scale_mat = 2·I + (1, 0, 0)
/// translation. Deleted on dispose.
/// </summary>
public sealed class TempDtu : IDisposable
{
    public TempDtu(int views = 3, int width = 8, int height = 6, bool masks = true, string[]? imageNames = null, string[]? maskNames = null)
    {
        Directory.CreateDirectory(Root);
        (Width, Height) = (width, height);
        imageNames ??= Enumerable.Range(0, views).Select(i => $"{i:D3}.png").ToArray();
        maskNames ??= imageNames;
        for (int i = 0; i < views; i++)
        {
            WriteImage(Path.Combine("image", imageNames[i]), i);
            if (masks) WriteMask(Path.Combine("mask", maskNames[i]), i);
        }
        for (int i = 0; i < views; i++)
        {
            Arrays[$"world_mat_{i}"] = Matrix(WorldMat(i));
            Arrays[$"scale_mat_{i}"] = Matrix(ScaleMat);
        }
        SaveCameras();
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "ngp-dtu-" + Guid.NewGuid().ToString("N"));
    public int Width { get; }
    public int Height { get; }

    /// <summary>The arrays of cameras_sphere.npz; change them and call <see cref="SaveCameras"/>.</summary>
    public Dictionary<string, NpyArray> Arrays { get; } = [];

    public static readonly double[] ScaleMat = [2, 0, 0, 1, 0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1];

    /// <summary>K·[R|t] as a 4×4 row-major matrix (last row 0 0 0 1).</summary>
    public double[] WorldMat(int i) =>
    [
        100, 0, Width / 2.0, 100 * i + Width / 2.0 * 5,
        0, 120, Height / 2.0, Height / 2.0 * 5,
        0, 0, 1, 5,
        0, 0, 0, 1,
    ];

    public static NpyArray Matrix(double[] v) => NpyArray.Create<double>(v, 4, 4);

    public void SaveCameras() => Npz.Write(Path.Combine(Root, "cameras_sphere.npz"), Arrays, compressed: true);

    /// <summary>Grey level of view i's image at column x: ((10·(i+1) + 20·x) mod 256)/255.</summary>
    public static float ImageLevel(int view, int x) => (10 * (view + 1) + 20 * x) % 256 / 255f;

    public void WriteImage(string relative, int view)
    {
        var image = new Image(Width, Height, 3);
        for (int y = 0; y < Height; y++)
        for (int x = 0; x < Width; x++)
            for (int c = 0; c < 3; c++) image[x, y, c] = ImageLevel(view, x);
        Write(relative, image);
    }

    /// <summary>Mask of view i at column x: 1 on the left half, (i+1)/10 on the right (as an 8-bit level).</summary>
    public float MaskLevel(int view, int x) => x < Width / 2 ? 1f : MathF.Round((view + 1) / 10f * 255) / 255f;

    public void WriteMask(string relative, int view)
    {
        var mask = new Image(Width, Height, 1);
        for (int y = 0; y < Height; y++)
        for (int x = 0; x < Width; x++) mask[x, y, 0] = MaskLevel(view, x);
        Write(relative, mask);
    }

    public void Write(string relative, Image image)
    {
        string path = Path.Combine(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Png.Write(path, image);
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
