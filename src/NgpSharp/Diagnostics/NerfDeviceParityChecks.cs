using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Data;
using NgpSharp.Geometry;
using NgpSharp.Rendering;
using NgpSharp.Systems.Nerf;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-CUDA checks of the device-resident NeRF step: the exclusive scan (Scan.cu), the device-in/device-out march
/// with in-kernel pcg32 jitter (RayMarcher.cu into <see cref="DeviceRaySamples"/>), network input rows and compaction
/// (NerfBatch.cu), the squared error behind the device PSNR, and counter-based training rays (NerfRays.cu) on a
/// synthetic dataset (rgba8 and fp16 pixels, frames of different sizes, one distorted camera). The kernels repeat the
/// CPU's float operations in order, so integers must agree exactly and floats within 1e-6 relative (the room an
/// FMA-contracting GPU compiler needs; the emulator agrees bit for bit). On a non-CUDA "device" both sides run the CPU.
/// </summary>
public static class NerfDeviceParityChecks
{
    const double ValueBound = 1e-6;

    public static IEnumerable<ParityCheck> Checks()
    {
        foreach (int n in new[] { 1, 511, 513, 100_003 })
            yield return new ParityCheck($"device scan: {n} counts", (cpu, device) => Scan(device, n));
        foreach (bool training in new[] { true, false })
            yield return new ParityCheck($"device march 2c 32³ cone 1/256 {(training ? "training (pcg32 jitter in the kernel)" : "inference")}, device samples",
                (cpu, device) => March(device, training));
        yield return new ParityCheck("nerf batch: input rows [S, 6] + padding from device samples", (cpu, device) => FillInput(device));
        yield return new ParityCheck("nerf batch: compaction of random used counts", (cpu, device) => Compact(device));
        yield return new ParityCheck("nerf batch: squared error of 30001 values", (cpu, device) => SquaredError(device));
        foreach (var storage in new[] { PixelStorage.Rgba8, PixelStorage.Rgba16F })
            foreach (bool randomBackground in new[] { true, false })
                yield return new ParityCheck($"nerf rays: 4099 rays, {storage}, {(randomBackground ? "random" : "constant")} background",
                    (cpu, device) => Rays(device, storage, randomBackground, jitter: randomBackground));
    }

    static ParityResult Exact(bool equal, string what) => new(equal ? 0 : double.PositiveInfinity, 0, what);

    static ParityResult Scan(Backend device, int n)
    {
        var rng = new Rng(51 + (ulong)n);
        var counts = new int[n];
        for (int i = 0; i < n; i++) counts[i] = rng.NextFloat() < 0.2f ? 0 : (int)rng.NextUInt(300);
        var expected = new int[n];
        long total = 0;
        for (int i = 0; i < n; i++) { expected[i] = (int)total; total += counts[i]; }
        if (device is not CudaBackend cuda) return Exact(true, "no CUDA device: CPU only");
        using var c = cuda.Upload<int>(counts);
        using var o = cuda.Allocate<int>(n);
        using var scan = new CudaScan(cuda);
        long got = scan.ExclusiveScan(c.All, o.All);
        var offsets = cuda.ToArray(o.All);
        int bad = 0;
        for (int i = 0; i < n; i++) if (offsets[i] != expected[i]) bad++;
        return Exact(got == total && bad == 0, $"total {got} vs {total}, {bad} offsets differ");
    }

    /// <summary>CPU march of the same rays and grid, host samples.</summary>
    static (RaySamples Samples, float[] Origins, float[] Directions, OccupancyGrid Grid, MarchSettings Settings, Rng After) CpuMarch(bool training)
    {
        var grid = MarchParityChecks.RandomGrid(2, 32, 72);
        var (origins, directions) = MarchParityChecks.RandomRays(grid, 1500, 73);
        var settings = new MarchSettings { ConeAngle = 1f / 256, MaxSamplesPerRay = 1024, NearDistance = 0.05f };
        var samples = new RaySamples(1500, 1024);
        var rng = new Rng(74);
        if (training) RayMarcher.March(origins, directions, grid, settings, ref rng, samples);
        else RayMarcher.MarchInference(origins, directions, grid, settings, samples);
        return (samples, origins, directions, grid, settings, rng);
    }

    /// <summary>The device march of <see cref="CpuMarch"/>'s inputs into device samples.</summary>
    static DeviceRaySamples DeviceMarch(CudaBackend cuda, float[] origins, float[] directions, OccupancyGrid grid, MarchSettings settings,
        bool training, ref Rng rng, out DeviceBuffer<float> o, out DeviceBuffer<float> d)
    {
        o = cuda.Upload<float>(origins);
        d = cuda.Upload<float>(directions);
        using var bits = cuda.Upload<byte>(grid.Bitfield);
        using var scan = new CudaScan(cuda);
        var samples = new DeviceRaySamples(cuda);
        if (training) RayMarcher.March(cuda, o.All, d.All, grid, bits.All, settings, ref rng, scan, samples);
        else RayMarcher.MarchInference(cuda, o.All, d.All, grid, bits.All, settings, scan, samples);
        return samples;
    }

    static ParityResult March(Backend device, bool training)
    {
        var (expected, origins, directions, grid, settings, after) = CpuMarch(training);
        if (device is not CudaBackend cuda) return Exact(true, "no CUDA device: CPU only");
        var rng = new Rng(74);
        using var samples = DeviceMarch(cuda, origins, directions, grid, settings, training, ref rng, out var o, out var d);
        using (o) using (d)
        {
            var actual = samples.ToHost();
            if (actual.Count != expected.Count || rng.State != after.State)
                return Exact(false, $"{actual.Count} samples vs {expected.Count}{(rng.State != after.State ? ", rng states differ" : "")}");
            int bad = 0;
            for (int r = 0; r < expected.RayCount; r++)
                if (actual.RayCounts[r] != expected.RayCounts[r] || actual.RayOffsets[r] != expected.RayOffsets[r]) bad++;
            for (int s = 0; s < expected.Count; s++) if (actual.RayIndices[s] != expected.RayIndices[s]) bad++;
            if (bad > 0) return Exact(false, $"{bad} ray counts/offsets/indices differ");
            int n = expected.Count;
            return ParityResult.Worst(
                new(Parity.RelativeError(expected.TStarts.AsSpan(0, n), actual.TStarts.AsSpan(0, n)), ValueBound, $"{n} samples: t starts"),
                new(Parity.RelativeError(expected.TEnds.AsSpan(0, n), actual.TEnds.AsSpan(0, n)), ValueBound, $"{n} samples: t ends"));
        }
    }

    static NerfScene TestScene() => new(new Aabb(new Vector3(-0.4f, -0.3f, -0.6f), new Vector3(0.8f, 1.0f, 0.6f)), 1);

    static ParityResult FillInput(Backend device)
    {
        var (samples, origins, directions, grid, settings, _) = CpuMarch(training: true);
        var scene = TestScene();
        int rows = samples.Count + 77; // padding rows must come out 0
        using var cpuInput = CpuBackend.Shared.AllocateMatrix<float>(rows, 6, out var expected);
        NerfBatch.FillInput(scene, samples, origins, directions, expected);
        if (device is not CudaBackend cuda) return Exact(true, "no CUDA device: CPU only");
        var rng = new Rng(74);
        using var deviceSamples = DeviceMarch(cuda, origins, directions, grid, settings, true, ref rng, out var o, out var d);
        using (o) using (d)
        using (var buffer = cuda.Allocate<float>(6L * rows))
        {
            cuda.Fill(buffer.All, 9f);
            NerfBatch.FillInput(cuda, scene, deviceSamples, o.All, d.All, buffer.AsMatrix(rows, 6));
            return new(Parity.RelativeError(expected.AsSpan(), cuda.ToArray(buffer.All)), ValueBound, $"{samples.Count} samples + 77 padding rows");
        }
    }

    static ParityResult Compact(Backend device)
    {
        var (samples, origins, directions, grid, settings, _) = CpuMarch(training: true);
        var rng = new Rng(75);
        var used = new int[samples.RayCount];
        for (int r = 0; r < used.Length; r++) used[r] = samples.RayCounts[r] == 0 ? 0 : (int)rng.NextUInt((uint)samples.RayCounts[r] + 1);
        RaySamples? into = null;
        var expected = NerfBatch.Compact(samples, used, ref into);
        if (device is not CudaBackend cuda) return Exact(true, "no CUDA device: CPU only");
        using var deviceSamples = new DeviceRaySamples(cuda);
        deviceSamples.CopyFrom(samples);
        using var u = cuda.Upload<int>(used);
        using var scan = new CudaScan(cuda);
        using var compacted = new DeviceRaySamples(cuda);
        int total = NerfBatch.Compact(cuda, scan, deviceSamples, u.All, compacted);
        var actual = compacted.ToHost();
        bool same = total == expected.Count && actual.Count == expected.Count
            && actual.RayOffsets.AsSpan().SequenceEqual(expected.RayOffsets) && actual.RayCounts.AsSpan().SequenceEqual(expected.RayCounts)
            && actual.RayIndices.AsSpan(0, total).SequenceEqual(expected.RayIndices.AsSpan(0, total))
            && actual.TStarts.AsSpan(0, total).SequenceEqual(expected.TStarts.AsSpan(0, total))
            && actual.TEnds.AsSpan(0, total).SequenceEqual(expected.TEnds.AsSpan(0, total));
        return Exact(same, $"{total} of {samples.Count} samples kept (copies: must be equal bit for bit)");
    }

    static ParityResult SquaredError(Backend device)
    {
        const int n = 30001;
        var a = Parity.Random(n, 81);
        var b = Parity.Random(n, 82);
        var expected = new float[n];
        for (int i = 0; i < n; i++) { float d = a[i] - b[i]; expected[i] = d * d; }
        if (device is not CudaBackend cuda) return Exact(true, "no CUDA device: CPU only");
        using var da = cuda.Upload<float>(a);
        using var db = cuda.Upload<float>(b);
        using var o = cuda.Allocate<float>(n);
        NerfBatch.SquaredError(cuda, da.All, db.All, o.All);
        return new(Parity.RelativeError(expected, cuda.ToArray(o.All)), ValueBound, "(a − b)²");
    }

    /// <summary>Three frames of different sizes with random RGBA (some transparent), the last camera distorted.</summary>
    internal static NerfDataset SyntheticDataset(PixelStorage storage, ulong seed)
    {
        var rng = new Rng(seed);
        var frames = new List<NerfFrame>();
        (int W, int H)[] sizes = [(37, 29), (64, 48), (23, 41)];
        for (int f = 0; f < sizes.Length; f++)
        {
            var (w, h) = sizes[f];
            var image = new Imaging.Image(w, h, 4);
            for (int i = 0; i < image.Data.Length; i++) image.Data[i] = rng.NextFloat();
            float angle = 0.7f * f;
            var position = new Vector3(3f * MathF.Sin(angle), 0.5f * f, 3f * MathF.Cos(angle));
            var z = Vector3.Normalize(position); // the camera looks at the origin along −z
            var x = Vector3.Normalize(Vector3.Cross(Vector3.UnitY, z));
            var y = Vector3.Cross(z, x);
            var distortion = f == 2 ? new LensDistortion(-0.12f, 0.03f, 0.002f, -0.001f) : default;
            var camera = new Camera(w, h, 0.9f * w, 0.95f * w, 0.5f * w + 0.3f, 0.5f * h - 0.2f, x, y, z, position, distortion);
            frames.Add(new NerfFrame(f, $"frame{f}", $"frame{f}.png", camera, NerfImage.From(image, 1, storage)));
        }
        return new NerfDataset("synthetic", "train", frames, new Vector3(-1.5f), new Vector3(1.5f), 1, hasAlpha: true, whiteBackground: true);
    }

    static ParityResult Rays(Backend device, PixelStorage storage, bool randomBackground, bool jitter)
    {
        const int rays = 4099;
        var dataset = SyntheticDataset(storage, 91);
        var mode = randomBackground ? NerfRayBackground.Random : NerfRayBackground.Constant(0.25f, 0.5f, 1f);
        var stream = new Rng(92, 5);
        float[] o = new float[3 * rays], d = new float[3 * rays], t = new float[3 * rays], b = new float[3 * rays], a = new float[rays];
        using (var cpuRays = new NerfRays(dataset, CpuBackend.Shared)) cpuRays.Generate(stream, rays, jitter, mode, o, d, t, b, a);
        if (device is not CudaBackend cuda) return Exact(true, "no CUDA device: CPU only");
        using var deviceRays = new NerfRays(dataset, cuda);
        using var buffer = cuda.Allocate<float>(13L * rays);
        var all = buffer.All;
        deviceRays.GenerateOnDevice(stream, rays, jitter, mode, all.Slice(0, 3 * rays), all.Slice(3 * rays, 3 * rays),
            all.Slice(6 * rays, 3 * rays), all.Slice(9 * rays, 3 * rays), all.Slice(12 * rays, rays));
        var got = cuda.ToArray(all);
        var results = new List<ParityResult>
        {
            new(Parity.RelativeError(o, got.AsSpan(0, 3 * rays)), ValueBound, "origins"),
            new(Parity.RelativeError(d, got.AsSpan(3 * rays, 3 * rays)), ValueBound, "directions"),
            new(Parity.RelativeError(t, got.AsSpan(6 * rays, 3 * rays)), ValueBound, "targets"),
            new(Parity.RelativeError(a, got.AsSpan(12 * rays, rays)), 0, "pixel alpha (NeuS masks: exact)"),
        };
        if (randomBackground) results.Add(new(Parity.RelativeError(b, got.AsSpan(9 * rays, 3 * rays)), 0, "backgrounds (pcg32: exact)"));
        return ParityResult.Worst([.. results]);
    }
}
