using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Data;

namespace NgpSharp.Systems.Nerf;

/// <summary>How a training batch's background colours are chosen.</summary>
/// <param name="PerRayRandom">True: each ray draws its own uniform colour (instant-ngp); false: (R, G, B) for all.</param>
/// <param name="R">Constant background red (ignored when per-ray random).</param>
/// <param name="G">Constant background green.</param>
/// <param name="B">Constant background blue.</param>
public readonly record struct NerfRayBackground(bool PerRayRandom, float R, float G, float B)
{
    public static NerfRayBackground Constant(float r, float g, float b) => new(false, r, g, b);
    public static NerfRayBackground Random => new(true, 0, 0, 0);
}

/// <summary>
/// Training rays of a NeRF dataset, counter-based so that the CPU and the device (NerfRays.cu) draw the same batch:
/// ray i uses the pcg32 stream advanced by i·<see cref="DrawsPerRay"/>: frame, pixel x, pixel y (each
/// ⌊u32·n / 2³²⌋), jitter x, jitter y (next_float; pixel centre when not jittering), and for random backgrounds
/// r, g, b. Per ray: the camera ray (pinhole + OpenCV undistortion, as <see cref="Geometry.Camera.Ray"/> but with
/// an explicit float normalisation that the kernel mirrors), the pixel's RGBA, the background and the target
/// rgb·α + bg·(1 − α). Parallel over fixed tiles: the result does not depend on the thread count.
/// </summary>
public sealed partial class NerfRays : IDisposable
{
    /// <summary>pcg32 draws reserved per ray (8 used at most).</summary>
    public const int DrawsPerRay = 8;

    /// <summary>Floats per camera in the device table: fx fy cx cy | X Y Z position | k1 k2 p1 p2.</summary>
    internal const int CameraFloats = 20;

    const int Tile = 1024;

    public NerfRays(NerfDataset dataset, Backend backend)
    {
        Dataset = dataset ?? throw new ArgumentNullException(nameof(dataset));
        Backend = backend ?? throw new ArgumentNullException(nameof(backend));
        if (backend.Kind == BackendKind.Cuda) UploadDataset();
    }

    public NerfDataset Dataset { get; }
    public Backend Backend { get; }

    /// <summary>⌊u32·n / 2³²⌋: uniform in [0, n) from one draw (no rejection loop, so the draw count is fixed).</summary>
    internal static int UniformIndex(ref Rng rng, int n) => (int)(((ulong)rng.NextUInt() * (uint)n) >> 32);

    /// <summary>
    /// CPU reference: draws R rays from <paramref name="stream"/> (the stream is not advanced: the caller moves its own
    /// Rng past R·<see cref="DrawsPerRay"/> draws). origins, directions, target: [R, 3]; background: [R, 3] per-ray
    /// colours (required when <paramref name="mode"/> is random, else ignored); alpha: [R] each pixel's α (NeuS's
    /// mask), or empty (not wanted).
    /// </summary>
    public void Generate(Rng stream, int rays, bool jitter, NerfRayBackground mode,
        Span<float> origins, Span<float> directions, Span<float> target, Span<float> background, Span<float> alpha = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rays);
        if (origins.Length < 3 * rays || directions.Length < 3 * rays || target.Length < 3 * rays || (mode.PerRayRandom && background.Length < 3 * rays))
            throw new ArgumentException($"nerf rays: buffers too small for {rays} rays ([R, 3] each)");
        if (!alpha.IsEmpty && alpha.Length < rays) throw new ArgumentException($"nerf rays: alpha holds {alpha.Length} values for {rays} rays");
        // Spans cannot enter the parallel lambda: work on arrays through a small unsafe-free copy-out per tile.
        var o = new float[3 * rays]; var d = new float[3 * rays]; var t = new float[3 * rays];
        var b = mode.PerRayRandom ? new float[3 * rays] : null;
        var al = alpha.IsEmpty ? null : new float[rays];
        CpuParallel.ForTiles(rays, Tile, (s, e) =>
        {
            for (int i = s; i < e; i++) RayAt(stream, i, jitter, mode, o, d, t, b, al);
        });
        o.CopyTo(origins); d.CopyTo(directions); t.CopyTo(target);
        if (b is not null) b.CopyTo(background);
        if (al is not null) al.CopyTo(alpha);
    }

    /// <summary>Ray i of the batch (see the class summary).</summary>
    void RayAt(Rng stream, int i, bool jitter, NerfRayBackground mode, float[] origins, float[] directions, float[] target, float[]? background, float[]? alpha)
    {
        var rng = stream.Advanced((long)i * DrawsPerRay);
        var frames = Dataset.Frames;
        int f = UniformIndex(ref rng, frames.Count);
        var frame = frames[f];
        int x = UniformIndex(ref rng, frame.Width), y = UniformIndex(ref rng, frame.Height);
        float jx = rng.NextFloat(), jy = rng.NextFloat();
        float px = x + (jitter ? jx : 0.5f), py = y + (jitter ? jy : 0.5f);
        var cam = frame.Camera;
        double nx = (px - cam.Cx) / (double)cam.Fx, ny = (py - cam.Cy) / (double)cam.Fy;
        if (!cam.Distortion.IsNone) (nx, ny) = cam.Distortion.Undistort(nx, ny);
        float xf = (float)nx, yf = (float)ny;
        float dx = cam.XAxis.X * xf - cam.YAxis.X * yf - cam.ZAxis.X;
        float dy = cam.XAxis.Y * xf - cam.YAxis.Y * yf - cam.ZAxis.Y;
        float dz = cam.XAxis.Z * xf - cam.YAxis.Z * yf - cam.ZAxis.Z;
        float len = MathF.Sqrt(dx * dx + dy * dy + dz * dz);
        int r3 = 3 * i;
        origins[r3] = cam.Position.X; origins[r3 + 1] = cam.Position.Y; origins[r3 + 2] = cam.Position.Z;
        directions[r3] = dx / len; directions[r3 + 1] = dy / len; directions[r3 + 2] = dz / len;

        Span<float> rgba = stackalloc float[4];
        frame.Image.ReadPixel(x, y, rgba);
        Span<float> bg = [mode.R, mode.G, mode.B];
        if (background is not null)
            for (int c = 0; c < 3; c++) background[r3 + c] = bg[c] = rng.NextFloat();
        float a = rgba[3];
        if (alpha is not null) alpha[i] = a;
        for (int c = 0; c < 3; c++) target[r3 + c] = rgba[c] * a + bg[c] * (1f - a);
    }

    /// <summary>The device table row of a camera (<see cref="CameraFloats"/> values).</summary>
    internal static void CameraRow(Geometry.Camera c, Span<float> row)
    {
        row[0] = c.Fx; row[1] = c.Fy; row[2] = c.Cx; row[3] = c.Cy;
        Put(row, 4, c.XAxis); Put(row, 7, c.YAxis); Put(row, 10, c.ZAxis); Put(row, 13, c.Position);
        row[16] = c.Distortion.K1; row[17] = c.Distortion.K2; row[18] = c.Distortion.P1; row[19] = c.Distortion.P2;
        static void Put(Span<float> row, int at, Vector3 v) { row[at] = v.X; row[at + 1] = v.Y; row[at + 2] = v.Z; }
    }
}
