using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Data;

/// <summary>
/// A NeRF dataset split in memory, whatever the file format: frames (camera + compact RGBA image), the scene box
/// that the occupancy grid and the marcher cover, and how to treat transparency. Built by
/// <see cref="BlenderDataset.Load"/>, <see cref="InstantNgpDataset.Load"/> and <see cref="DtuDataset.Load"/>.
/// </summary>
public sealed class NerfDataset
{
    public NerfDataset(string source, string split, IReadOnlyList<NerfFrame> frames, Vector3 aabbMin, Vector3 aabbMax,
        int aabbScale, bool hasAlpha, bool whiteBackground)
    {
        if (frames.Count == 0) throw new DatasetException($"{source}: split '{split}' has no frames");
        if (!(aabbMin.X < aabbMax.X && aabbMin.Y < aabbMax.Y && aabbMin.Z < aabbMax.Z))
            throw new ArgumentException($"scene box {aabbMin}–{aabbMax} is empty");
        if (aabbScale < 1) throw new ArgumentOutOfRangeException(nameof(aabbScale), aabbScale, "aabb_scale must be ≥ 1");
        (Source, Split, Frames, AabbMin, AabbMax) = (source, split, frames, aabbMin, aabbMax);
        (AabbScale, HasAlpha, WhiteBackground) = (aabbScale, hasAlpha, whiteBackground);
    }

    /// <summary>The transforms file (or dataset folder) the split was read from.</summary>
    public string Source { get; }

    /// <summary>"train", "val", "test", "trainval", or the name the loader was given.</summary>
    public string Split { get; }

    public IReadOnlyList<NerfFrame> Frames { get; }

    public int Count => Frames.Count;

    /// <summary>
    /// instant-ngp's aabb_scale: the scene box is this many times the unit (cascade-0) box per axis; the number of
    /// occupancy cascades is ⌈log2 AabbScale⌉ + 1. 1 for nerf_synthetic.
    /// </summary>
    public int AabbScale { get; }

    /// <summary>Scene box corners in world coordinates (±1.5 for nerf_synthetic; ±AabbScale/2 for instant-ngp files).</summary>
    public Vector3 AabbMin { get; }
    public Vector3 AabbMax { get; }

    /// <summary>The scene box as an <see cref="Geometry.Aabb"/> (what the occupancy grid and marcher take).</summary>
    public Geometry.Aabb Aabb => new(AabbMin, AabbMax);

    /// <summary>The cascade-0 box edge length: (AabbMax − AabbMin).X / AabbScale (3 for nerf_synthetic, 1 for instant-ngp files).</summary>
    public float UnitBoxSize => (AabbMax.X - AabbMin.X) / AabbScale;

    /// <summary>
    /// True when some image has an alpha channel (transparent background to be composited). For NeuS/DTU data: true
    /// when masks were found; alpha is then the object mask, and the RGB already shows the capture's background.
    /// </summary>
    public bool HasAlpha { get; }

    /// <summary>True when test views are composited on white (nerf_synthetic's convention).</summary>
    public bool WhiteBackground { get; }

    /// <summary>
    /// Maps the dataset's (normalised) scene frame back to the capture's original world frame, in System.Numerics'
    /// row-vector convention: <c>world = Vector3.Transform(scenePoint, SceneToWorld)</c>. Identity unless the
    /// loader normalised the scene: for NeuS/DTU data it is <c>scale_mat</c> (unit sphere → object), so meshes can
    /// be written in the capture's world coordinates.
    /// </summary>
    public Matrix4x4 SceneToWorld { get; init; } = Matrix4x4.Identity;

    /// <summary>True when every frame has the same image size.</summary>
    public bool UniformSize => Frames.All(f => f.Width == Frames[0].Width && f.Height == Frames[0].Height);

    /// <summary>The common image width; throws when frames differ in size (use <see cref="NerfFrame.Width"/>).</summary>
    public int Width => UniformSize ? Frames[0].Width : throw new InvalidOperationException($"{Source}: frames differ in size; use Frames[i].Width");

    /// <summary>The common image height; throws when frames differ in size.</summary>
    public int Height => UniformSize ? Frames[0].Height : throw new InvalidOperationException($"{Source}: frames differ in size; use Frames[i].Height");

    /// <summary>Total bytes of pixel memory.</summary>
    public long PixelBytes => Frames.Sum(f => f.Image.SizeInBytes);

    /// <summary>Pixel (x, y) of frame <paramref name="frame"/> as RGBA floats in [0, 1] (sRGB colour, straight alpha).</summary>
    public Vector4 GetPixel(int frame, int x, int y)
    {
        Span<float> v = stackalloc float[4];
        Frames[frame].Image.ReadPixel(x, y, v);
        return new Vector4(v[0], v[1], v[2], v[3]);
    }

    /// <summary>
    /// Draws <paramref name="count"/> training rays: for each, a frame uniformly at random, then a pixel uniformly in
    /// it (as instant-ngp does), at a uniformly jittered position inside the pixel or at its centre when
    /// <paramref name="jitter"/> is false. Deterministic for a given <paramref name="rng"/> state: ray i consumes
    /// 3 draws (frame, x, y) plus 2 when jittering.
    /// origins, directions: [count, 3] (unit directions); rgba: [count, 4]; frameIndices: optional [count].
    /// </summary>
    public void SampleRays(ref Rng rng, int count, float[] origins, float[] directions, float[] rgba,
        bool jitter = true, int[]? frameIndices = null)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), count, "count must be ≥ 0");
        if (origins.Length < 3L * count || directions.Length < 3L * count || rgba.Length < 4L * count)
            throw new ArgumentException($"buffers too small for {count} rays: origins {origins.Length} and directions {directions.Length} need {3L * count}, rgba {rgba.Length} needs {4L * count}");
        if (frameIndices is not null && frameIndices.Length < count)
            throw new ArgumentException($"frameIndices has {frameIndices.Length} entries, need {count}", nameof(frameIndices));
        for (int i = 0; i < count; i++)
        {
            int f = (int)rng.NextUInt((uint)Frames.Count);
            var frame = Frames[f];
            int x = (int)rng.NextUInt((uint)frame.Width), y = (int)rng.NextUInt((uint)frame.Height);
            float px = x + 0.5f, py = y + 0.5f;
            if (jitter) { px = x + rng.NextFloat(); py = y + rng.NextFloat(); }
            var (o, d) = frame.Camera.Ray(px, py);
            o.CopyTo(origins, 3 * i);
            d.CopyTo(directions, 3 * i);
            frame.Image.ReadPixel(x, y, rgba.AsSpan(4 * i, 4));
            if (frameIndices is not null) frameIndices[i] = f;
        }
    }
}
