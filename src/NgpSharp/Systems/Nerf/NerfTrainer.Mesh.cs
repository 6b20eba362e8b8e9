using System.Numerics;
using NgpSharp.Geometry;
using NgpSharp.Nn;

namespace NgpSharp.Systems.Nerf;

public sealed partial class NerfTrainer
{
    /// <summary>instant-ngp's default marching-cubes threshold on σ.</summary>
    public const float DefaultMeshThreshold = 2.5f;

    const int MeshBatch = 1 << 16;

    /// <summary>
    /// The surface σ = <paramref name="threshold"/> of the inference weights by marching cubes of σ − threshold over the
    /// scene box: a coarse pass, then a <paramref name="resolution"/>³ pass over the coarse mesh's box ±10%. With
    /// <paramref name="colours"/>, vertex colours from the network looking along −n̂ (n̂ = −∇σ/‖∇σ‖ by central
    /// differences of half a fine cell). Vertices are in world coordinates.
    /// </summary>
    public Mesh ExtractMesh(int resolution, float threshold = DefaultMeshThreshold, bool colours = true)
    {
        if (resolution < 8) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "mesh resolution must be ≥ 8");
        Network.SetParams(InferenceParams, _gradients.All);
        try
        {
            var mesh = MarchingCubes.ExtractCoarseToFine((p, v) =>
            {
                Density(p, v);
                for (int i = 0; i < v.Length; i++) v[i] -= threshold;
            }, Scene.Box, Math.Min(resolution, 128), resolution, 0f, MeshBatch);
            if (!colours || mesh.VertexCount == 0) return mesh;
            float eps = 0.5f * Scene.Box.Size.X / resolution;
            return mesh.WithColors(VertexColours(mesh.Positions, eps));
        }
        finally { Network.SetParams(_params.All, _gradients.All); }
    }

    /// <summary>σ = exp(raw) at world positions [N, 3] (batched; on the training backend).</summary>
    void Density(ReadOnlySpan<float> positions, Span<float> sigma)
    {
        var normalised = new float[3 * Math.Min(MeshBatch, sigma.Length)];
        for (int start = 0; start < sigma.Length; start += MeshBatch)
        {
            int n = Math.Min(MeshBatch, sigma.Length - start);
            Scene.Normalise(positions.Slice(3 * start, 3 * n), normalised.AsSpan(0, 3 * n));
            var pos = _densityPositions.Matrix(n, 3);
            Backend.CopyFromHost<float>(normalised.AsSpan(0, 3 * n), pos.Data);
            var raw = _densityRaw.Span(n);
            Network.DensityOnly(pos, raw);
            var host = Backend.ToArray(raw);
            for (int i = 0; i < n; i++) sigma[start + i] = MathF.Exp(host[i]);
        }
    }

    Vector3[] VertexColours(Vector3[] vertices, float eps)
    {
        int count = vertices.Length;
        var probes = new float[18 * count];
        for (int i = 0; i < count; i++)
            for (int axis = 0; axis < 3; axis++)
                for (int side = 0; side < 2; side++)
                {
                    var p = vertices[i];
                    p[axis] += side == 0 ? eps : -eps;
                    int o = 3 * (6 * i + 2 * axis + side);
                    probes[o] = p.X; probes[o + 1] = p.Y; probes[o + 2] = p.Z;
                }
        var sigma = new float[6 * count];
        Density(probes, sigma);
        var colours = new Vector3[count];
        var rows = new float[6 * MeshBatch];
        for (int start = 0; start < count; start += MeshBatch)
        {
            int n = Math.Min(MeshBatch, count - start);
            for (int i = 0; i < n; i++)
            {
                int v = start + i;
                var gradient = new Vector3(sigma[6 * v] - sigma[6 * v + 1], sigma[6 * v + 2] - sigma[6 * v + 3], sigma[6 * v + 4] - sigma[6 * v + 5]);
                var view = gradient.LengthSquared() > 0 ? Vector3.Normalize(gradient) : -Vector3.UnitZ; // −n̂ = ∇σ/‖∇σ‖
                var p = Scene.Normalise(vertices[v]);
                rows[6 * i] = p.X; rows[6 * i + 1] = p.Y; rows[6 * i + 2] = p.Z;
                rows[6 * i + 3] = view.X; rows[6 * i + 4] = view.Y; rows[6 * i + 5] = view.Z;
            }
            int batch = PaddedBatch(n);
            var input = _input.Matrix(batch, NerfNetwork<float>.InputDims);
            Backend.Fill(input.Data, 0f);
            Backend.CopyFromHost<float>(rows.AsSpan(0, 6 * n), input.Data.Slice(0, 6L * n));
            var output = _output.Matrix(batch, NerfNetwork<float>.OutputDims);
            Network.Inference(input, output);
            var o = Backend.ToArray(output.Data);
            for (int i = 0; i < n; i++)
            {
                int c = i * NerfNetwork<float>.OutputDims + NerfNetwork<float>.ColourColumn;
                colours[start + i] = new Vector3(Sigmoid(o[c]), Sigmoid(o[c + 1]), Sigmoid(o[c + 2]));
            }
        }
        return colours;
    }

    static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
