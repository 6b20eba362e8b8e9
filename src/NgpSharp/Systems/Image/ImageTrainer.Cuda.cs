using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;

namespace NgpSharp.Systems.Image;

public sealed partial class ImageTrainer
{
    readonly DeviceBuffer<float>? _deviceTexture;

    /// <summary>Mirrors ImageBatchArgs in ImageTexture.cu.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct ImageBatchArgs
    {
        public ulong Texture, Positions, Targets, RngState, RngInc;
        public uint Batch, Width, Height, Padding;
    }

    /// <summary>
    /// Draws the batch on the GPU from the same pcg32 stream positions the CPU path would use (2 draws per
    /// sample), then advances the host generator past them, so CPU and GPU runs see the same positions.
    /// </summary>
    void DrawBatchOnDevice()
    {
        var cuda = (CudaBackend)Trainer.Model.Backend;
        var kernel = cuda.Modules.GetFunction("ImageTexture.cu", "kernel_image_training_batch");
        cuda.Launch(kernel, LaunchShape.Linear(BatchSize), new ImageBatchArgs
        {
            Texture = _deviceTexture!.All.Pointer(),
            Positions = _input.Pointer(),
            Targets = _target.Pointer(),
            RngState = _rng.State,
            RngInc = _rng.Increment,
            Batch = (uint)BatchSize,
            Width = (uint)Texture.Width,
            Height = (uint)Texture.Height,
        });
        _rng.Advance(2L * BatchSize);
    }
}
