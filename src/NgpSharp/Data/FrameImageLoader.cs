using NgpSharp.Compute.Cpu;
using NgpSharp.Imaging;

namespace NgpSharp.Data;

/// <summary>An image read for a frame: its size in the file, whether it had alpha, and the stored (downscaled) pixels.</summary>
internal readonly record struct LoadedImage(int FileWidth, int FileHeight, bool HadAlpha, NerfImage Image);

/// <summary>What to read for one frame: the image file and how errors name the frame.</summary>
internal readonly record struct ImageRequest(string Path, string FrameName);

/// <summary>
/// Decodes frame images (PNG or JPEG) in parallel and stores them downscaled. Errors are
/// <see cref="DatasetException"/>s naming the frame; when several frames fail, the lowest index is reported, so the
/// message does not depend on thread timing.
/// </summary>
internal static class FrameImageLoader
{
    public static LoadedImage[] Load(IReadOnlyList<ImageRequest> requests, int downscale, PixelStorage storage)
    {
        var results = new LoadedImage[requests.Count];
        var errors = new Exception?[requests.Count];
        Parallel.For(0, requests.Count, new ParallelOptions { MaxDegreeOfParallelism = CpuParallel.ThreadCount }, i =>
        {
            try { results[i] = LoadOne(requests[i], downscale, storage); }
            catch (Exception e) { errors[i] = e; }
        });
        foreach (var e in errors)
            if (e is not null) throw e is DatasetException ? e : new DatasetException(e.Message, e);
        return results;
    }

    static LoadedImage LoadOne(ImageRequest request, int downscale, PixelStorage storage)
    {
        if (!File.Exists(request.Path)) throw new DatasetException($"{request.FrameName}: image file not found: {request.Path}");
        Image image;
        try { image = ImageFile.Read(request.Path); }
        catch (Exception e) when (e is ImageFormatException or IOException)
        {
            throw new DatasetException($"{request.FrameName}: cannot read image {request.Path}: {e.Message}", e);
        }
        if (downscale > image.Width || downscale > image.Height)
            throw new DatasetException($"{request.FrameName}: downscale {downscale} is larger than the {image.Width}×{image.Height} image {request.Path}");
        return new LoadedImage(image.Width, image.Height, image.HasAlpha, NerfImage.From(image, downscale, storage));
    }

    /// <summary>Checks a downscale factor before any file is read.</summary>
    public static void CheckDownscale(int downscale, string source)
    {
        if (downscale < 1) throw new DatasetException($"{source}: downscale must be an integer ≥ 1, got {downscale}");
    }
}
