using System.Reflection;
using NgpSharp.Config;

namespace NgpSharp.Resources;

/// <summary>Files shipped inside the library, so a published binary needs nothing beside it.</summary>
public static class EmbeddedResources
{
    /// <summary>tiny-cuda-nn's config_hash.json (configs/image.json): the default for learning an image.</summary>
    public static JsonConfig ImageConfig => JsonConfig.Parse(ReadText("image.json"), "embedded configs/image.json");

    /// <summary>The picture `ngp image` learns when given none (PNG bytes).</summary>
    public static byte[] DemoPicture => ReadBytes("demo.png");

    /// <summary>The Stanford bunny (OBJ text, Y up; provenance in Resources/bunny.md): the model `ngp demo` renders into a dataset.</summary>
    public static string BunnyObj => ReadText("bunny.obj");

    /// <summary>configs/nerf-blender.yaml as shipped (a tree: apply overrides, then resolve and bind).</summary>
    public static ConfigMapping NerfBlenderConfig => YamlConfig.Parse(ReadText("nerf-blender.yaml"), "embedded configs/nerf-blender.yaml");

    /// <summary>configs/neus-dtu.yaml as shipped (a tree: apply overrides, then resolve and bind).</summary>
    public static ConfigMapping NeusDtuConfig => YamlConfig.Parse(ReadText("neus-dtu.yaml"), "embedded configs/neus-dtu.yaml");

    static byte[] ReadBytes(string name)
    {
        using var s = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing from this build");
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    static string ReadText(string name) => System.Text.Encoding.UTF8.GetString(ReadBytes(name));
}
