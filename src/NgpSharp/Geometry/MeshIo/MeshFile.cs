using NgpSharp.Compute;

namespace NgpSharp.Geometry.MeshIo;

/// <summary>Reads and writes meshes by file extension: .obj, .ply, .stl (case-insensitive).</summary>
public static class MeshFile
{
    public static readonly string[] Extensions = [".obj", ".ply", ".stl"];

    /// <summary>Reads <paramref name="path"/>; a missing file throws <see cref="FileNotFoundException"/>, bad content <see cref="MeshFormatException"/>.</summary>
    public static Mesh Read(string path)
    {
        var format = FormatOf(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: mesh file not found", path);
        using var stream = File.OpenRead(path);
        return format switch
        {
            ".obj" => ObjFormat.Read(stream, path),
            ".ply" => PlyFormat.Read(stream, path),
            _ => StlFormat.Read(stream, path),
        };
    }

    /// <summary>Writes <paramref name="mesh"/> atomically (temp file + rename): OBJ text, binary PLY or binary STL.</summary>
    public static void Write(string path, Mesh mesh)
    {
        var format = FormatOf(path);
        AtomicFile.Write(path, stream =>
        {
            switch (format)
            {
                case ".obj": ObjFormat.Write(stream, mesh); break;
                case ".ply": PlyFormat.Write(stream, mesh); break;
                default: StlFormat.Write(stream, mesh); break;
            }
        });
    }

    static string FormatOf(string path)
    {
        var ext = Path.GetExtension(path).ToLowerInvariant();
        if (!Extensions.Contains(ext))
            throw new MeshFormatException($"{path}: unknown mesh format \"{ext}\" (supported: {string.Join(", ", Extensions)})");
        return ext;
    }
}
