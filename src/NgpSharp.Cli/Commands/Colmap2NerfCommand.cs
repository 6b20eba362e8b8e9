using System.Globalization;
using NgpSharp.Data.Colmap;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp colmap2nerf`: a COLMAP sparse model → instant-ngp transforms.json (instant-ngp's scripts/colmap2nerf.py).</summary>
public static class Colmap2NerfCommand
{
    public const string Usage = "ngp colmap2nerf <colmap folder or sparse model> --images DIR --out transforms.json [--aabb-scale 32] [--quiet]";

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 1) throw new UsageException($"ngp colmap2nerf takes one COLMAP model folder\nusage: {Usage}");
        var images = cl.String("images") ?? throw new UsageException($"ngp colmap2nerf needs --images DIR (the folder the model's image names are relative to)\nusage: {Usage}");
        var output = cl.String("out") ?? throw new UsageException($"ngp colmap2nerf needs --out transforms.json\nusage: {Usage}");
        int aabbScale = cl.Int("aabb-scale", ColmapToNerf.DefaultAabbScale, min: 1);
        if (aabbScale > 128 || (aabbScale & (aabbScale - 1)) != 0)
            throw new UsageException($"--aabb-scale: expected a power of two from 1 to 128, got {aabbScale}");
        bool quiet = cl.Flag("quiet");
        cl.RejectUnknown("colmap2nerf");

        var result = ColmapToNerf.Run(cl.Positional[0], images, output, aabbScale);
        if (!quiet)
        {
            var m = result.WorldFromColmap;
            double scale = Math.Sqrt(m[0, 0] * m[0, 0] + m[1, 0] * m[1, 0] + m[2, 0] * m[2, 0]);
            int cameras = result.Intrinsics is null ? result.Frames.Select(f => f.Intrinsics).Distinct().Count() : 1;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {output}: {result.Frames.Count} frames, {cameras} camera{(cameras == 1 ? "" : "s")}, aabb_scale {result.AabbScale}, scene scaled by {scale:G4} (mean camera distance 4)"));
        }
        return 0;
    }
}
