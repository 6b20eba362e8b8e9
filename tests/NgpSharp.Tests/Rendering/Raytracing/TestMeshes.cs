using System.Globalization;
using System.Text;

namespace NgpSharp.Tests.Rendering.Raytracing;

/// <summary>OBJ text for hand-checkable models, and a temp folder to write them into.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("ngp-raytrace").FullName;

    public string Write(string name, string text)
    {
        string file = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, text);
        return file;
    }

    public void Dispose() => Directory.Delete(Path, true);
}

public static class TestMeshes
{
    /// <summary>The cube [−h, h]³ as 6 quads (Z-up model), outward counter-clockwise faces, no materials.</summary>
    public static string Cube(float h = 0.5f)
    {
        var sb = new StringBuilder("# unit cube\n");
        for (int i = 0; i < 8; i++)
            sb.Append(CultureInfo.InvariantCulture, $"v {((i & 1) != 0 ? h : -h)} {((i & 2) != 0 ? h : -h)} {((i & 4) != 0 ? h : -h)}\n");
        // 1-based corners: bit 0 = x, bit 1 = y, bit 2 = z.
        sb.Append("f 1 3 4 2\nf 5 6 8 7\nf 1 2 6 5\nf 3 7 8 4\nf 1 5 7 3\nf 2 4 8 6\n");
        return sb.ToString();
    }

    /// <summary>A UV sphere of radius r at the origin with <paramref name="segments"/> around and segments/2 rings.</summary>
    public static string Sphere(float r, int segments)
    {
        var sb = new StringBuilder();
        int rings = segments / 2;
        sb.Append(CultureInfo.InvariantCulture, $"v 0 0 {r}\n");
        for (int j = 1; j < rings; j++)
            for (int i = 0; i < segments; i++)
            {
                double theta = Math.PI * j / rings, phi = 2 * Math.PI * i / segments;
                sb.Append(CultureInfo.InvariantCulture, $"v {r * Math.Sin(theta) * Math.Cos(phi):R} {r * Math.Sin(theta) * Math.Sin(phi):R} {r * Math.Cos(theta):R}\n");
            }
        sb.Append(CultureInfo.InvariantCulture, $"v 0 0 {-r}\n");
        int V(int j, int i) => 2 + (j - 1) * segments + (i % segments);
        int bottom = 2 + (rings - 1) * segments;
        for (int i = 0; i < segments; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"f 1 {V(1, i)} {V(1, i + 1)}\n");
            for (int j = 1; j < rings - 1; j++)
                sb.Append(CultureInfo.InvariantCulture, $"f {V(j, i)} {V(j + 1, i)} {V(j + 1, i + 1)} {V(j, i + 1)}\n");
            sb.Append(CultureInfo.InvariantCulture, $"f {V(rings - 1, i)} {bottom} {V(rings - 1, i + 1)}\n");
        }
        return sb.ToString();
    }
}
