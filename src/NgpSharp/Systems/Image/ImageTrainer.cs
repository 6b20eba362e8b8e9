using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Imaging;
using NgpSharp.Nn;

namespace NgpSharp.Systems.Image;

/// <summary>
/// The training state of image learning: a model 2 → 3 from a tiny-cuda-nn config, the picture as a texture,
/// and the per-step batch of random positions and their bilinear colours.
/// </summary>
public sealed partial class ImageTrainer : IDisposable
{
    const int RenderChunk = 1 << 18;
    readonly DeviceBuffer<float> _inputBuffer, _targetBuffer;
    readonly DeviceMatrix<float> _input, _target;
    Rng _rng;

    public ImageTrainer(Backend backend, Imaging.Image picture, JsonConfig config, int batchSize, ulong seed)
    {
        Texture = new ImageTexture(picture);
        Trainer = ModelFactory.CreateTrainer<float>(backend, 2, 3, config, seed);
        BatchSize = RoundUp(batchSize, Trainer.Model.BatchGranularity);
        _inputBuffer = backend.AllocateMatrix<float>(BatchSize, 2, out _input);
        _targetBuffer = backend.AllocateMatrix<float>(BatchSize, 3, out _target);
        _rng = new Rng(seed, stream: 0x1a2b);
        if (backend.Kind == BackendKind.Cuda) _deviceTexture = backend.Upload<float>(Texture.Pixels);
    }

    public ImageTexture Texture { get; }
    public Trainer<float> Trainer { get; }
    public int BatchSize { get; }

    /// <summary>Draws BatchSize uniform points in [0,1)², looks up their colours and takes one training step.</summary>
    public TrainingStep Step()
    {
        var (positions, targets) = DrawBatch();
        return Trainer.Step(positions, targets);
    }

    /// <summary>
    /// The next batch: positions [B, 2] uniform in [0,1)² from the run's pcg32 stream and their bilinear
    /// colours [B, 3] (on the GPU when the backend is CUDA; the same numbers either way). The matrices are
    /// reused by the next call.
    /// </summary>
    public (DeviceMatrix<float> Positions, DeviceMatrix<float> Targets) DrawBatch()
    {
        if (_deviceTexture is not null) DrawBatchOnDevice();
        else
        {
            var positions = _input.AsSpan();
            for (int i = 0; i < positions.Length; i++) positions[i] = _rng.NextFloat();
            Texture.SampleBatch(_input, _target);
        }
        return (_input, _target);
    }

    /// <summary>Renders the picture at its own resolution (texel centres), with the inference weights.</summary>
    public Imaging.Image Render()
    {
        int width = Texture.Width, height = Texture.Height, n = width * height;
        var backend = Trainer.Model.Backend;
        var centres = Texture.TexelCentres();
        var rgb = new float[n * 3];
        int outW = Trainer.Model.OutputWidth;
        int chunk = RoundUp(Math.Min(RenderChunk, n), Trainer.Model.BatchGranularity);
        using var inBuf = backend.Allocate<float>((long)chunk * 2);
        using var outBuf = backend.Allocate<float>((long)chunk * outW);
        var hostIn = new float[chunk * 2];
        var hostOut = new float[chunk * outW];
        for (int start = 0; start < n; start += chunk)
        {
            int count = Math.Min(chunk, n - start);
            Array.Clear(hostIn);
            centres.AsSpan(start * 2, count * 2).CopyTo(hostIn);
            backend.CopyFromHost<float>(hostIn, inBuf.All);
            Trainer.Inference(inBuf.AsMatrix(chunk, 2), outBuf.AsMatrix(chunk, outW));
            backend.CopyToHost(outBuf.All, hostOut);
            for (int i = 0; i < count; i++)
                for (int k = 0; k < 3; k++)
                    rgb[(start + i) * 3 + k] = Math.Clamp(hostOut[i * outW + k], 0f, 1f);
        }
        return new Imaging.Image(width, height, 3, rgb);
    }

    /// <summary>PSNR of a rendering against the picture (RGB, peak 1).</summary>
    public double Psnr(Imaging.Image rendered) =>
        ImageMetrics.Psnr(rendered, new Imaging.Image(Texture.Width, Texture.Height, 3, Texture.Pixels.ToArray()));

    static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    public void Dispose()
    {
        _inputBuffer.Dispose();
        _targetBuffer.Dispose();
        _deviceTexture?.Dispose();
        Trainer.Dispose();
    }
}
