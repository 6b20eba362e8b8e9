using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Imaging;

namespace NgpSharp.Systems.Image;

/// <summary>
/// An RGB picture sampled like a CUDA texture with normalised coordinates, linear filtering and clamp
/// addressing (what tiny-cuda-nn's image sample uses): texel (i, j) has its centre at ((i+½)/W, (j+½)/H).
/// </summary>
public sealed class ImageTexture
{
    readonly float[] _rgb;

    /// <summary>Takes the first three channels (gray is replicated, alpha dropped).</summary>
    public ImageTexture(Imaging.Image image)
    {
        Width = image.Width;
        Height = image.Height;
        _rgb = new float[Width * Height * 3];
        int c = image.Channels;
        for (int p = 0; p < Width * Height; p++)
            for (int k = 0; k < 3; k++)
                _rgb[p * 3 + k] = image.Data[p * c + (c >= 3 ? k : 0)];
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>The picture as [H, W, 3].</summary>
    public ReadOnlySpan<float> Pixels => _rgb;

    /// <summary>Bilinear RGB at (u, v) ∈ [0,1]², u along the width, v down the height.</summary>
    public void Sample(float u, float v, Span<float> rgb)
    {
        float x = u * Width - 0.5f, y = v * Height - 0.5f;
        float fx = MathF.Floor(x), fy = MathF.Floor(y);
        float wx = x - fx, wy = y - fy;
        int x0 = Math.Clamp((int)fx, 0, Width - 1), x1 = Math.Clamp((int)fx + 1, 0, Width - 1);
        int y0 = Math.Clamp((int)fy, 0, Height - 1), y1 = Math.Clamp((int)fy + 1, 0, Height - 1);
        int i00 = (y0 * Width + x0) * 3, i10 = (y0 * Width + x1) * 3, i01 = (y1 * Width + x0) * 3, i11 = (y1 * Width + x1) * 3;
        for (int k = 0; k < 3; k++)
        {
            float top = _rgb[i00 + k] + (_rgb[i10 + k] - _rgb[i00 + k]) * wx;
            float bottom = _rgb[i01 + k] + (_rgb[i11 + k] - _rgb[i01 + k]) * wx;
            rgb[k] = top + (bottom - top) * wy;
        }
    }

    /// <summary>targets[i] = Sample(positions[i]). positions: [B, 2], targets: [B, 3] (CPU).</summary>
    public void SampleBatch(DeviceMatrix<float> positions, DeviceMatrix<float> targets)
    {
        if (positions.Cols != 2 || targets.Cols != 3 || positions.Rows != targets.Rows)
            throw new ArgumentException($"positions must be [B, 2] and targets [B, 3]; got {positions} and {targets}");
        CpuParallel.ForTiles(positions.Rows, 4096, (start, end) =>
        {
            var pos = positions.AsSpan();
            var tgt = targets.AsSpan();
            for (int i = start; i < end; i++) Sample(pos[2 * i], pos[2 * i + 1], tgt.Slice(3 * i, 3));
        });
    }

    /// <summary>The texel centres in row-major order: [H·W, 2].</summary>
    public float[] TexelCentres()
    {
        var xy = new float[Width * Height * 2];
        for (int y = 0; y < Height; y++)
            for (int x = 0; x < Width; x++)
            {
                int i = (y * Width + x) * 2;
                xy[i] = (x + 0.5f) / Width;
                xy[i + 1] = (y + 0.5f) / Height;
            }
        return xy;
    }
}
