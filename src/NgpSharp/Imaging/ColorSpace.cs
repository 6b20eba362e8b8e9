namespace NgpSharp.Imaging;

/// <summary>sRGB transfer function (IEC 61966-2-1), exact piecewise form, both directions.</summary>
public static class ColorSpace
{
    /// <summary>sRGB-encoded value → linear: v/12.92 for v ≤ 0.04045, else ((v+0.055)/1.055)^2.4.</summary>
    public static float SrgbToLinear(float v) =>
        v <= 0.04045f ? v / 12.92f : MathF.Pow((v + 0.055f) / 1.055f, 2.4f);

    /// <summary>Linear value → sRGB-encoded: 12.92·v for v ≤ 0.0031308, else 1.055·v^(1/2.4) − 0.055.</summary>
    public static float LinearToSrgb(float v) =>
        v <= 0.0031308f ? v * 12.92f : 1.055f * MathF.Pow(v, 1f / 2.4f) - 0.055f;

    /// <summary>Element-wise <see cref="SrgbToLinear(float)"/>; <paramref name="destination"/> may be the source.</summary>
    public static void SrgbToLinear(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = SrgbToLinear(source[i]);
    }

    /// <summary>Element-wise <see cref="LinearToSrgb(float)"/>; <paramref name="destination"/> may be the source.</summary>
    public static void LinearToSrgb(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (destination.Length < source.Length) throw new ArgumentException("destination is shorter than source", nameof(destination));
        for (int i = 0; i < source.Length; i++) destination[i] = LinearToSrgb(source[i]);
    }

    /// <summary>In place, on colour channels only (alpha, when present, is already linear and stays as is).</summary>
    public static void SrgbToLinear(Image image) => MapColor(image, SrgbToLinear);

    /// <summary>In place, on colour channels only (alpha stays as is).</summary>
    public static void LinearToSrgb(Image image) => MapColor(image, LinearToSrgb);

    static void MapColor(Image image, Func<float, float> f)
    {
        int c = image.Channels;
        int colour = image.HasAlpha ? c - 1 : c;
        var d = image.Data;
        for (int i = 0; i < d.Length; i += c)
            for (int k = 0; k < colour; k++) d[i + k] = f(d[i + k]);
    }
}
