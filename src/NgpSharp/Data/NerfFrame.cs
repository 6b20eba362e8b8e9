using NgpSharp.Geometry;

namespace NgpSharp.Data;

/// <summary>One view of a dataset: its camera (at the loaded resolution), its image and where it came from.</summary>
/// <param name="Index">Position in the split (the order of the transforms file).</param>
/// <param name="FilePath">The frame's <c>file_path</c> as written in the transforms file.</param>
/// <param name="ImagePath">The image file that was read.</param>
/// <param name="Camera">The camera at the loaded (downscaled) resolution.</param>
/// <param name="Image">The stored pixels.</param>
public sealed record NerfFrame(int Index, string FilePath, string ImagePath, Camera Camera, NerfImage Image)
{
    public int Width => Image.Width;
    public int Height => Image.Height;
}
