using NgpSharp.Geometry;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

/// <summary>
/// A rendered NeuS view: colour [H, W, 3] (sRGB in [0, 1]) on the given background, the normal map [H, W, 3]
/// ((n̂ + 1)/2 of the composited normal, background where nothing was hit), expected depth D/A and opacity A.
/// </summary>
public sealed record NeusRender(Imaging.Image Colour, Imaging.Image Normal, float[] Depth, float[] Opacity, long Samples);

public sealed partial class NeusTrainer
{
    /// <summary>
    /// Renders every pixel of <paramref name="camera"/> (pixel centres): inference march (no jitter) through the
    /// occupancy grid, SDF with analytic normals, colour network, NeuS compositing of every sample, in chunks of
    /// model.ray_chunk rays (on CUDA each chunk runs on the device: rays up, [chunk, 8] values down).
    /// </summary>
    public NeusRender Render(Camera camera, (float R, float G, float B) background)
    {
        ArgumentNullException.ThrowIfNull(camera);
        int w = camera.Width, h = camera.Height, pixels = w * h;
        var image = new Imaging.Image(w, h, 3);
        var normals = new Imaging.Image(w, h, 3);
        var depth = new float[pixels];
        var opacity = new float[pixels];
        int chunk = RenderChunkRays;
        var bg = RayBackground<float>.Constant(background.R, background.G, background.B);   // CUDA: no learned background
        var px = new float[2 * chunk];
        Ensure(ref _origins, 3 * chunk); Ensure(ref _directions, 3 * chunk);
        long total = 0;
        for (int start = 0, n; start < pixels; start += n)
        {
            n = Math.Min(chunk, pixels - start);
            for (int i = 0; i < n; i++)
            {
                int p = start + i;
                px[2 * i] = p % w + 0.5f;
                px[2 * i + 1] = p / w + 0.5f;
            }
            camera.Rays(px.AsSpan(0, 2 * n), _origins, _directions);
            ReadOnlySpan<float> c, a, d, nm;
            if (_device is null)
            {
                var samples = new RaySamples(n, 16 * n);
                RayMarcher.MarchInference(_origins.AsSpan(0, 3 * n), _directions.AsSpan(0, 3 * n), Grid, _march, samples);
                total += samples.Count;
                RenderSamples(samples, n, RayBackgroundFor(n, background, training: false));
                c = _render.Colour.AsSpan(); a = _render.Opacity.AsSpan(); d = _render.Depth.AsSpan(); nm = _render.Normal.AsSpan();
            }
            else
            {
                var host = _device.HostBuffer(RenderChunkFloats * chunk).AsSpan(0, RenderChunkFloats * n);
                try { total += RenderChunkCuda(n, bg, host); }
                catch (Compute.Cuda.CudaOutOfMemoryException e) when (ShrinkRenderChunk(e, chunk))
                {
                    chunk = RenderChunkRays;
                    n = 0; // the same pixels again, in smaller chunks
                    continue;
                }
                c = host[..(3 * n)]; nm = host.Slice(3 * n, 3 * n); a = host.Slice(6 * n, n); d = host.Slice(7 * n, n);
            }
            c[..(3 * n)].CopyTo(image.Data.AsSpan(3 * start, 3 * n));
            for (int i = 0; i < n; i++)
            {
                int p = start + i;
                opacity[p] = a[i];
                depth[p] = a[i] > 1e-4f ? d[i] / a[i] : 0f;
                float nx = nm[3 * i], ny = nm[3 * i + 1], nz = nm[3 * i + 2];
                float len = MathF.Sqrt(nx * nx + ny * ny + nz * nz);
                float inv = len > 1e-6f ? 1f / len : 0f;
                // Normals shown as (n̂ + 1)/2 blended over the background by opacity.
                normals.Data[3 * p] = a[i] * (nx * inv + 1) * 0.5f + (1 - a[i]) * background.R;
                normals.Data[3 * p + 1] = a[i] * (ny * inv + 1) * 0.5f + (1 - a[i]) * background.G;
                normals.Data[3 * p + 2] = a[i] * (nz * inv + 1) * 0.5f + (1 - a[i]) * background.B;
            }
        }
        return new NeusRender(image, normals, depth, opacity, total);
    }

    /// <summary>Network inference and compositing of <paramref name="samples"/> of the rays in _origins/_directions into _render.</summary>
    void RenderSamples(RaySamples samples, int rays, RayBackground<float> bg)
    {
        int s = Math.Max(1, samples.Count);
        var pos = _positions.Matrix(s, 3);
        FillPositions(samples, pos.AsSpan());
        var sdfOut = _sdfOut.Matrix(s, Sdf.OutputWidth);
        var grad = _sdfGrad.Matrix(s, 3);
        var rgb = _rgb.Matrix(s, 3);
        Sdf.Inference(pos, sdfOut, grad);
        var colourIn = Colour.BuildInput(sdfOut, grad, _directions, samples.RayIndices, samples.Count, s);
        Colour.Mlp.Inference(colourIn, rgb);
        var dirs = _rayDirs.Matrix(rays, 3);
        _directions.AsSpan(0, 3 * rays).CopyTo(dirs.AsSpan());
        var inputs = new NeusRenderInputs<float>(samples, new ColumnRange<float>(sdfOut, 0, 1), grad, rgb, dirs,
            (float)Variance.InvS, CosAnnealRatio, bg);
        _renderer.Forward(inputs, _render);
    }
}
