using NgpSharp.Geometry;
using NgpSharp.Nn;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Nerf;

/// <summary>A rendered view: colour [H, W, 3] (sRGB in [0, 1]), expected depth D/A and opacity A, [H, W] each.</summary>
public sealed record NerfRender(Imaging.Image Colour, float[] Depth, float[] Opacity, long Samples);

public sealed partial class NerfTrainer
{
    /// <summary>
    /// Renders every pixel of <paramref name="camera"/> (pixel centres) with the inference weights: inference march
    /// (no jitter), volume rendering with the 0.01 transmittance threshold on <paramref name="background"/>, in
    /// chunks of <see cref="NerfRendererSettings.ChunkRays"/> rays.
    /// </summary>
    public NerfRender Render(Camera camera, (float R, float G, float B) background)
    {
        ArgumentNullException.ThrowIfNull(camera);
        int w = camera.Width, h = camera.Height, pixels = w * h;
        var image = new Imaging.Image(w, h, 3);
        var depth = new float[pixels];
        var opacity = new float[pixels];
        int chunk = RenderChunkRays; // halved when a chunk runs out of device memory (NerfTrainer.Memory.cs)
        var renderer = new VolumeRenderer<float>(VolumeRenderer<float>.RenderingThreshold);
        using var result = new VolumeRenderOutput<float>(Backend);
        var bg = RayBackground<float>.Constant(background.R, background.G, background.B);
        var origins = new float[3 * chunk];
        var directions = new float[3 * chunk];
        var px = new float[2 * chunk];
        long total = 0;
        Network.SetParams(InferenceParams, _gradients.All);
        try
        {
            for (int start = 0, n; start < pixels; start += n)
            {
                n = Math.Min(chunk, pixels - start);
                for (int i = 0; i < n; i++)
                {
                    int p = start + i;
                    px[2 * i] = p % w + 0.5f;
                    px[2 * i + 1] = p / w + 0.5f;
                }
                camera.Rays(px.AsSpan(0, 2 * n), origins, directions);
                (float[] Colour, float[] Opacity, float[] Depth, int Samples) chunkResult;
                try
                {
                    chunkResult = _cuda is null
                        ? RenderChunkCpu(origins, directions, n, renderer, bg, result)
                        : RenderChunkCuda(origins, directions, n, renderer, bg, result);
                }
                catch (Compute.Cuda.CudaOutOfMemoryException e) when (ShrinkRenderChunk(e, chunk))
                {
                    chunk = RenderChunkRays;
                    n = 0; // the same pixels again, in smaller chunks
                    continue;
                }
                var (c, a, d, count) = chunkResult;
                total += count;
                c.AsSpan(0, 3 * n).CopyTo(image.Data.AsSpan(3 * start, 3 * n));
                for (int i = 0; i < n; i++)
                {
                    opacity[start + i] = a[i];
                    depth[start + i] = a[i] > 1e-4f ? d[i] / a[i] : 0f;
                }
            }
        }
        finally { Network.SetParams(_params.All, _gradients.All); }
        return new NerfRender(image, depth, opacity, total);
    }

    /// <summary>One chunk on the CPU: host march, input rows, inference, compositing; views of the result.</summary>
    (float[] Colour, float[] Opacity, float[] Depth, int Samples) RenderChunkCpu(float[] origins, float[] directions, int n,
        VolumeRenderer<float> renderer, RayBackground<float> bg, VolumeRenderOutput<float> result)
    {
        var samples = new RaySamples(n, 8 * n);
        RayMarcher.MarchInference(origins.AsSpan(0, 3 * n), directions.AsSpan(0, 3 * n), Grid, _march, samples);
        var input = _input.Matrix(PaddedBatch(samples.Count), NerfNetwork<float>.InputDims);
        NerfBatch.FillInput(Scene, samples, origins, directions, input);
        var output = _output.Matrix(input.Rows, NerfNetwork<float>.OutputDims);
        Network.Inference(input, output);
        renderer.Forward(samples, new ColumnRange<float>(output, NerfNetwork<float>.DensityColumn, 1),
            new ColumnRange<float>(output, NerfNetwork<float>.ColourColumn, 3), bg, result);
        return (result.Colour.AsSpan().ToArray(), result.Opacity.AsSpan().ToArray(), result.Depth.AsSpan().ToArray(), samples.Count);
    }

    /// <summary>One chunk on CUDA: rays up ([n, 3] ×2), device march/input/inference/compositing, colour/opacity/depth down.</summary>
    (float[] Colour, float[] Opacity, float[] Depth, int Samples) RenderChunkCuda(float[] origins, float[] directions, int n,
        VolumeRenderer<float> renderer, RayBackground<float> bg, VolumeRenderOutput<float> result)
    {
        var cuda = _cuda!;
        var o = _deviceOrigins!.Span(3L * n);
        var d = _deviceDirections!.Span(3L * n);
        cuda.CopyFromHost<float>(origins.AsSpan(0, 3 * n), o);
        cuda.CopyFromHost<float>(directions.AsSpan(0, 3 * n), d);
        UploadBitfieldIfStale();
        var samples = _deviceSamples!;
        RayMarcher.MarchInference(cuda, o, d, Grid, _deviceBitfield!.All, _march, _scan!, samples);
        var input = _input.Matrix(PaddedBatch(samples.Count), NerfNetwork<float>.InputDims);
        NerfBatch.FillInput(cuda, Scene, samples, o, d, input);
        var output = _output.Matrix(input.Rows, NerfNetwork<float>.OutputDims);
        Network.Inference(input, output);
        renderer.Forward(samples, new ColumnRange<float>(output, NerfNetwork<float>.DensityColumn, 1),
            new ColumnRange<float>(output, NerfNetwork<float>.ColourColumn, 3), bg, result);
        return (cuda.ToArray(result.Colour.Data), cuda.ToArray(result.Opacity.Data), cuda.ToArray(result.Depth.Data), samples.Count);
    }
}
