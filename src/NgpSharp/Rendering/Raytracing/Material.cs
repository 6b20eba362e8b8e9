using System.Numerics;
using NgpSharp.Imaging;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// A diffuse surface. <see cref="Diffuse"/> is linear RGB (an MTL's Kd, taken as linear like Blender's importer);
/// a <see cref="Texture"/> replaces it where present (map_Kd). <see cref="IsProcedural"/> marks faces that had no
/// material: they get <see cref="ProceduralTexture"/>, a colourful pattern fixed in world space.
/// </summary>
public sealed class Material(string name, Vector3 diffuse, Texture2D? texture = null, bool isProcedural = false)
{
    public string Name { get; } = name;
    public Vector3 Diffuse { get; } = diffuse;
    public Texture2D? Texture { get; } = texture;
    public bool IsProcedural { get; } = isProcedural;

    /// <summary>The fallback for missing materials (with <c>allowMissing</c>): Blender's default grey, 0.8.</summary>
    public static Material Grey(string name) => new(name, new Vector3(0.8f));

    /// <summary>Faces with no usemtl.</summary>
    public static Material Procedural() => new("(procedural)", new Vector3(0.8f), isProcedural: true);
}

/// <summary>
/// An RGB texture in linear values, [Height, Width, 3] row-major, top row first, sampled bilinearly with wrap-around.
/// OBJ texture coordinates have v = 0 at the bottom row.
/// </summary>
public sealed class Texture2D
{
    readonly float[] _rgb;

    public Texture2D(int width, int height, float[] linearRgb)
    {
        if (width <= 0 || height <= 0) throw new ArgumentOutOfRangeException(nameof(width), $"texture size {width}×{height} must be positive");
        if (linearRgb.Length != width * height * 3) throw new ArgumentException($"a {width}×{height} RGB texture needs {width * height * 3} values, got {linearRgb.Length}");
        (Width, Height, _rgb) = (width, height, linearRgb);
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>An image file (sRGB-encoded PNG/JPEG, any channel count; alpha ignored) as a linear texture.</summary>
    public static Texture2D FromImage(Image image)
    {
        var rgb = image.Channels == 3 ? image : image.ToChannels(3);
        var data = new float[rgb.Data.Length];
        ColorSpace.SrgbToLinear(rgb.Data, data);
        return new Texture2D(image.Width, image.Height, data);
    }

    /// <summary>Bilinear lookup at (u, v), repeating outside [0, 1).</summary>
    public Vector3 Sample(float u, float v)
    {
        float x = (u - MathF.Floor(u)) * Width - 0.5f;
        float y = (1 - (v - MathF.Floor(v))) * Height - 0.5f;
        float fx = MathF.Floor(x), fy = MathF.Floor(y);
        float wx = x - fx, wy = y - fy;
        int x0 = Wrap((int)fx, Width), x1 = Wrap((int)fx + 1, Width);
        int y0 = Wrap((int)fy, Height), y1 = Wrap((int)fy + 1, Height);
        var top = Vector3.Lerp(Texel(x0, y0), Texel(x1, y0), wx);
        var bottom = Vector3.Lerp(Texel(x0, y1), Texel(x1, y1), wx);
        return Vector3.Lerp(top, bottom, wy);
    }

    Vector3 Texel(int x, int y)
    {
        int i = (y * Width + x) * 3;
        return new Vector3(_rgb[i], _rgb[i + 1], _rgb[i + 2]);
    }

    static int Wrap(int i, int n) => ((i % n) + n) % n;
}
