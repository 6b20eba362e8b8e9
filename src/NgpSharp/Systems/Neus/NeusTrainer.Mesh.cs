using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Geometry;

namespace NgpSharp.Systems.Neus;

public sealed partial class NeusTrainer
{
    /// <summary>Points per SDF query while meshing (bounds the network's scratch memory).</summary>
    const int MeshBatch = 1 << 16;

    /// <summary>
    /// The surface sdf = <paramref name="threshold"/> by marching cubes of −(sdf − threshold) (positive inside), as
    /// instant-nsr-pl exports it: a coarse pass over the scene box, then a <paramref name="resolution"/>³ pass over the
    /// coarse mesh's box ±10%. With <paramref name="colours"/>, vertex colours from the colour network looking along
    /// −n̂ at each vertex (on CUDA the network runs on the device, chunk by chunk). Vertices stay in the dataset's normalised frame (the caller maps them to world coordinates).
    /// </summary>
    public Mesh ExtractMesh(int resolution, double threshold = 0, bool colours = true)
    {
        if (resolution < 8) throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "mesh resolution must be ≥ 8");
        float iso = (float)threshold;
        void Field(ReadOnlySpan<float> positions, Span<float> values)
        {
            for (int start = 0; start < values.Length; start += MeshBatch)
            {
                int n = Math.Min(MeshBatch, values.Length - start);
                if (_device is not null)
                {
                    var sdf = SdfOnDevice(positions.Slice(3 * start, 3 * n), n);
                    for (int i = 0; i < n; i++) values[start + i] = iso - sdf[i];
                    continue;
                }
                var pos = _positions.Matrix(n, 3);
                positions.Slice(3 * start, 3 * n).CopyTo(pos.AsSpan());
                var outp = _sdfOut.Matrix(n, Sdf.OutputWidth);
                Sdf.Inference(pos, outp);
                ReadOnlySpan<float> o = outp.AsSpan();
                for (int i = 0; i < n; i++) values[start + i] = iso - o[i * Sdf.OutputWidth];
            }
        }
        var mesh = MarchingCubes.ExtractCoarseToFine(Field, SceneBox, Math.Min(resolution, 128), resolution, 0f, MeshBatch);
        return colours && mesh.VertexCount > 0 ? mesh.WithColors(VertexColours(mesh.Positions)) : mesh;
    }

    /// <summary>rgb of the colour network at each vertex, viewed along the negated analytic normal.</summary>
    Vector3[] VertexColours(Vector3[] vertices)
    {
        var colours = new Vector3[vertices.Length];
        var indices = new int[MeshBatch];
        var directions = new float[3 * MeshBatch];
        var host = _device is null ? [] : new float[3 * MeshBatch];
        for (int i = 0; i < MeshBatch; i++) indices[i] = i;
        for (int start = 0; start < vertices.Length; start += MeshBatch)
        {
            int n = Math.Min(MeshBatch, vertices.Length - start);
            var pos = _positions.Matrix(n, 3);
            // On CUDA the host staging arrays go up and down; on the CPU they alias the matrices.
            bool cpu = _device is null;
            var p = cpu ? pos.AsSpan() : host.AsSpan(0, 3 * n);
            for (int i = 0; i < n; i++) { var v = vertices[start + i]; p[3 * i] = v.X; p[3 * i + 1] = v.Y; p[3 * i + 2] = v.Z; }
            if (!cpu) Backend.CopyFromHost<float>(p, pos.Data);
            var outp = _sdfOut.Matrix(n, Sdf.OutputWidth);
            var grad = _sdfGrad.Matrix(n, 3);
            Sdf.Inference(pos, outp, grad);
            ReadOnlySpan<float> g = cpu ? grad.AsSpan() : Download(grad.Data, host);
            for (int i = 0; i < n; i++)
            {
                var d = -Vector3.Normalize(new Vector3(g[3 * i], g[3 * i + 1], g[3 * i + 2]));
                if (!float.IsFinite(d.X)) d = -Vector3.UnitZ;
                directions[3 * i] = d.X; directions[3 * i + 1] = d.Y; directions[3 * i + 2] = d.Z;
            }
            DeviceMatrix<float> input;
            if (cpu) input = Colour.BuildInput(outp, grad, directions, indices, n, n);
            else
            {
                var deviceDirections = _device!.Directions.Span(3L * n);
                Backend.CopyFromHost<float>(directions.AsSpan(0, 3 * n), deviceDirections);
                input = Colour.BuildInput(outp, grad, deviceDirections, DeviceIdentity(n), n, n);
            }
            var rgb = _rgb.Matrix(n, 3);
            Colour.Mlp.Inference(input, rgb);
            ReadOnlySpan<float> c = cpu ? rgb.AsSpan() : Download(rgb.Data, host);
            for (int i = 0; i < n; i++) colours[start + i] = new Vector3(c[3 * i], c[3 * i + 1], c[3 * i + 2]);
        }
        return colours;
    }

    /// <summary>Copies a device view into the start of a host array and returns that part.</summary>
    ReadOnlySpan<float> Download(DeviceSpan<float> source, float[] host)
    {
        var view = host.AsSpan(0, (int)source.Length);
        Backend.CopyToHost(source, view);
        return view;
    }
}
