using System.Numerics;
using NgpSharp.Imaging;

namespace NgpSharp.Rendering.Raytracing;

/// <summary>
/// An OBJ model with its MTL libraries and diffuse textures → <see cref="TexturedMesh"/>. Faces after a usemtl get
/// that material (Kd, or the map_Kd image, PNG or JPEG); faces with no usemtl get the procedural texture. A missing
/// library, material or texture is an error naming the file, unless <c>allowMissing</c>: then it is grey (0.8) and
/// a warning is added to <see cref="Warnings"/>.
/// </summary>
public sealed class ObjSceneReader
{
    readonly bool _allowMissing;
    readonly List<string> _warnings = [];

    ObjSceneReader(bool allowMissing) => _allowMissing = allowMissing;

    /// <summary>What <c>allowMissing</c> replaced with grey.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    /// <summary>Reads <paramref name="objPath"/>; <paramref name="warnings"/> lists what was replaced by grey.</summary>
    public static TexturedMesh Read(string objPath, bool allowMissing, out IReadOnlyList<string> warnings)
    {
        var reader = new ObjSceneReader(allowMissing);
        var mesh = reader.Load(objPath);
        warnings = reader.Warnings;
        return mesh;
    }

    /// <summary>Reads <paramref name="objPath"/>; anything missing is an error.</summary>
    public static TexturedMesh Read(string objPath) => Read(objPath, allowMissing: false, out _);

    TexturedMesh Load(string objPath)
    {
        var obj = ObjParser.Read(objPath);
        if (obj.TriangleCount == 0) throw new InvalidDataException($"{objPath}: the OBJ file has no faces");
        string folder = Path.GetDirectoryName(Path.GetFullPath(objPath)) ?? ".";

        var library = LoadLibraries(obj, objPath, folder);
        var materials = new List<Material>();
        var map = new int[obj.MaterialNames.Count];
        var textures = new Dictionary<string, Texture2D?>(StringComparer.Ordinal);
        for (int i = 0; i < obj.MaterialNames.Count; i++)
        {
            string name = obj.MaterialNames[i];
            map[i] = materials.Count;
            if (!library.TryGetValue(name, out var mtl))
            {
                Missing($"{objPath}: material '{name}' is not defined in {Describe(obj.MaterialLibraries)}", isFile: false);
                materials.Add(Material.Grey(name));
                continue;
            }
            Texture2D? texture = null;
            if (mtl.DiffuseMapPath is { } texturePath)
            {
                if (!textures.TryGetValue(texturePath, out texture))
                {
                    if (File.Exists(texturePath)) texture = Texture2D.FromImage(ImageFile.Read(texturePath));
                    else Missing($"{texturePath}: texture of material '{name}' not found");
                    textures[texturePath] = texture;
                }
                if (texture is null) { materials.Add(Material.Grey(name)); continue; }
            }
            materials.Add(new Material(name, mtl.Diffuse, texture));
        }
        int procedural = -1;
        if (obj.TriangleMaterials.Contains(-1)) { procedural = materials.Count; materials.Add(Material.Procedural()); }

        int corners = obj.Corners.Count;
        var indices = new int[corners];
        var uvs = new Vector2[corners];
        for (int i = 0; i < corners; i++)
        {
            var c = obj.Corners[i];
            indices[i] = c.Position;
            uvs[i] = c.TexCoord >= 0 ? obj.TexCoords[c.TexCoord] : new Vector2(float.NaN);
        }
        var positions = obj.Positions.ToArray();
        var normals = TexturedMesh.SmoothNormals(positions, indices);
        for (int i = 0; i < corners; i++)
        {
            int n = obj.Corners[i].Normal;
            if (n >= 0 && obj.Normals[n].LengthSquared() > 0) normals[i] = Vector3.Normalize(obj.Normals[n]);
        }
        var triangleMaterials = new int[obj.TriangleCount];
        for (int t = 0; t < triangleMaterials.Length; t++)
        {
            int m = obj.TriangleMaterials[t];
            triangleMaterials[t] = m < 0 ? procedural : map[m];
        }
        return new TexturedMesh(positions, indices, normals, uvs, triangleMaterials, materials.ToArray());
    }

    Dictionary<string, MtlMaterial> LoadLibraries(ObjData obj, string objPath, string folder)
    {
        var library = new Dictionary<string, MtlMaterial>(StringComparer.Ordinal);
        foreach (var name in obj.MaterialLibraries)
        {
            if (name.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
                throw new InvalidDataException($"{objPath}: material library name '{name.Replace("\0", "\\0")}' has a character no path can hold (NUL)");
            string path = Path.GetFullPath(Path.Combine(folder, name.Replace('\\', '/')));
            if (!File.Exists(path))
            {
                Missing($"{objPath}: material library '{name}' not found (looked for {path})");
                continue;
            }
            foreach (var m in MtlReader.Read(path)) library.TryAdd(m.Name, m); // the first definition wins
        }
        return library;
    }

    void Missing(string message, bool isFile = true)
    {
        const string hint = " (pass allowMissing / --allow-missing to render such faces grey)";
        if (!_allowMissing) throw isFile ? new FileNotFoundException(message + hint) : new InvalidDataException(message + hint);
        _warnings.Add(message + "; rendering it grey");
    }

    static string Describe(List<string> libraries) =>
        libraries.Count == 0 ? "any material library (the file has no mtllib)" : string.Join(", ", libraries);
}
