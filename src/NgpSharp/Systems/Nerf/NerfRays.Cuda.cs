using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Data;

namespace NgpSharp.Systems.Nerf;

/// <summary>Mirrors NerfRaysArgs in NerfRays.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NerfRaysArgs
{
    public ulong Pixels8, Pixels16, FrameOffsets, FrameSizes, Cameras, Origins, Directions, Target, Background, Alpha;
    public ulong RngState, RngIncrement;
    public uint Rays, Frames;
    public int Jitter, Padding;
    public float BgR, BgG, BgB;
    public uint Padding2;
}

// The device side: the dataset's pixels (as stored: rgba8 or fp16), frame sizes/offsets and camera rows are
// uploaded once, at construction; a batch then costs one launch and no copies.
public sealed partial class NerfRays
{
    DeviceBuffer<byte>? _pixels8;
    DeviceBuffer<Half>? _pixels16;
    DeviceBuffer<long>? _frameOffsets;
    DeviceBuffer<int>? _frameSizes;
    DeviceBuffer<float>? _cameras;

    /// <summary>Bytes the dataset occupies on the device (0 on the CPU).</summary>
    public long DeviceBytes { get; private set; }

    void UploadDataset()
    {
        var frames = Dataset.Frames;
        var storage = frames[0].Image.Storage;
        if (frames.Any(f => f.Image.Storage != storage))
            throw new NotSupportedException($"{Dataset.Source}: frames mix pixel storages; the device ray generator needs one");
        long pixels = frames.Sum(f => (long)f.Width * f.Height);
        var offsets = new long[frames.Count];
        var sizes = new int[2 * frames.Count];
        var cameras = new float[CameraFloats * frames.Count];
        long at = 0;
        for (int f = 0; f < frames.Count; f++)
        {
            offsets[f] = at;
            sizes[2 * f] = frames[f].Width;
            sizes[2 * f + 1] = frames[f].Height;
            CameraRow(frames[f].Camera, cameras.AsSpan(CameraFloats * f, CameraFloats));
            at += (long)frames[f].Width * frames[f].Height;
        }
        if (storage == PixelStorage.Rgba8)
        {
            _pixels8 = Backend.Allocate<byte>(4 * pixels);
            for (int f = 0; f < frames.Count; f++)
                Backend.CopyFromHost(frames[f].Image.RawBytes, _pixels8.All.Slice(4 * offsets[f], frames[f].Image.RawBytes.Length));
        }
        else
        {
            _pixels16 = Backend.Allocate<Half>(4 * pixels);
            for (int f = 0; f < frames.Count; f++)
                Backend.CopyFromHost(frames[f].Image.RawHalves, _pixels16.All.Slice(4 * offsets[f], frames[f].Image.RawHalves.Length));
        }
        _frameOffsets = Backend.Upload<long>(offsets);
        _frameSizes = Backend.Upload<int>(sizes);
        _cameras = Backend.Upload<float>(cameras);
        DeviceBytes = (storage == PixelStorage.Rgba8 ? 4 : 8) * pixels + 8L * offsets.Length + 4L * sizes.Length + 4L * cameras.Length;
    }

    /// <summary>
    /// <see cref="Generate"/> on the device (NerfRays.cu): the same rays. origins, directions, target: [R, 3] device
    /// rows; background: [R, 3] for random backgrounds (else ignored); alpha: [R] each pixel's α, or empty (not
    /// wanted). No host copies.
    /// </summary>
    public void GenerateOnDevice(Rng stream, int rays, bool jitter, NerfRayBackground mode,
        DeviceSpan<float> origins, DeviceSpan<float> directions, DeviceSpan<float> target, DeviceSpan<float> background,
        DeviceSpan<float> alpha = default)
    {
        if (Backend is not CudaBackend cuda) throw new InvalidOperationException("nerf rays: GenerateOnDevice needs the CUDA backend");
        ArgumentOutOfRangeException.ThrowIfNegative(rays);
        if (origins.Length < 3L * rays || directions.Length < 3L * rays || target.Length < 3L * rays || (mode.PerRayRandom && background.Length < 3L * rays))
            throw new ArgumentException($"nerf rays: device buffers too small for {rays} rays ([R, 3] each)");
        if (!alpha.IsEmpty && alpha.Length < rays) throw new ArgumentException($"nerf rays: alpha holds {alpha.Length} values for {rays} rays");
        if (rays == 0) return;
        cuda.Launch(cuda.Modules.GetFunction("NerfRays.cu", "kernel_nerf_training_rays"), LaunchShape.Linear(rays, 128), new NerfRaysArgs
        {
            Pixels8 = _pixels8 is null ? 0 : _pixels8.All.Pointer(), Pixels16 = _pixels16 is null ? 0 : _pixels16.All.Pointer(),
            FrameOffsets = _frameOffsets!.All.Pointer(), FrameSizes = _frameSizes!.All.Pointer(), Cameras = _cameras!.All.Pointer(),
            Origins = origins.Pointer(), Directions = directions.Pointer(), Target = target.Pointer(),
            Background = mode.PerRayRandom ? background.Pointer() : 0, Alpha = alpha.IsEmpty ? 0 : alpha.Pointer(),
            RngState = stream.State, RngIncrement = stream.Increment,
            Rays = (uint)rays, Frames = (uint)Dataset.Frames.Count, Jitter = jitter ? 1 : 0,
            BgR = mode.R, BgG = mode.G, BgB = mode.B,
        });
    }

    public void Dispose()
    {
        _pixels8?.Dispose(); _pixels16?.Dispose(); _frameOffsets?.Dispose(); _frameSizes?.Dispose(); _cameras?.Dispose();
        _pixels8 = null; _pixels16 = null; _frameOffsets = null; _frameSizes = null; _cameras = null;
    }
}
