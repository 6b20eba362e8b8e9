using NgpSharp.Data;

namespace NgpSharp.Systems.Nerf;

/// <summary>Loads a split named by <see cref="NerfDatasetSettings"/>, choosing the loader by kind.</summary>
public static class NerfData
{
    /// <exception cref="DirectoryNotFoundException">dataset.root does not exist (the message names the key and path).</exception>
    public static NerfDataset Load(NerfDatasetSettings d, string split)
    {
        ArgumentNullException.ThrowIfNull(d);
        string root = d.Root;
        if (!Directory.Exists(root) && !File.Exists(root))
            throw new DirectoryNotFoundException($"dataset.root: {Path.GetFullPath(root)} does not exist");
        var kind = d.Kind;
        if (kind == NerfDatasetKind.Auto)
            kind = DtuDataset.IsDtuFolder(root) ? NerfDatasetKind.Dtu
                : Directory.Exists(root) && File.Exists(Path.Combine(root, $"transforms_{split}.json")) ? NerfDatasetKind.Blender
                : NerfDatasetKind.Ngp;
        return kind switch
        {
            NerfDatasetKind.Blender => BlenderDataset.Load(root, split, d.Downscale, d.Storage),
            NerfDatasetKind.Dtu => DtuDataset.Load(root, split, d.Downscale, d.Storage),
            _ => InstantNgpDataset.Load(root, split, d.Downscale, d.Storage),
        };
    }
}
