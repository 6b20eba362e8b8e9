using NgpSharp.Config;

namespace NgpSharp.Systems;

/// <summary>Which training program a config describes.</summary>
public enum SystemKind { Nerf, Neus }

public static class SystemKinds
{
    /// <summary>
    /// NeuS when the config says so the way instant-nsr-pl's do (model.name: neus, or system.name: neus-system), or
    /// names itself neus*; NeRF otherwise.
    /// </summary>
    public static SystemKind Of(ConfigMapping config)
    {
        static string? Text(ConfigMapping c, string path) => YamlConfig.GetPath(c, path) is ConfigScalar s ? s.Text : null;
        bool neus = Text(config, "model.name") is "neus" || Text(config, "system.name") is "neus-system"
            || (Text(config, "name") ?? "").StartsWith("neus", StringComparison.OrdinalIgnoreCase);
        return neus ? SystemKind.Neus : SystemKind.Nerf;
    }
}
