using NgpSharp.Compute;
using NgpSharp.Compute.Cpu;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Resources;
using NgpSharp.Systems.Image;

namespace NgpSharp.Bench;

/// <summary>
/// Throughput of the building blocks with tiny-cuda-nn's config_hash.json: hash grid (2-D, 16 levels × 2
/// features, 2^15 entries), MLP (32 → 64 → 64 → 3, ReLU) and a whole image-training step.
/// </summary>
public static class BenchRunner
{
    public static readonly string[] AllTasks = ["encoding", "mlp", "image", "mesh", "sdf"];

    public static BenchReport Run(Backend backend, IEnumerable<string> tasks, int[] batches, Action<BenchResult>? onResult = null)
    {
        var report = new BenchReport(backend.Description, CpuParallel.ThreadCount, batches[0]);
        var config = EmbeddedResources.ImageConfig;
        void Add(BenchResult r) { report.Results.Add(r); onResult?.Invoke(r); }
        foreach (var task in tasks)
        {
            foreach (int batch in batches)
            {
                switch (task)
                {
                    case "encoding": Encoding(backend, config, batch, Add); break;
                    case "mlp": Mlp(backend, config, batch, Add); break;
                    case "image": Image(backend, config, batch, Add); break;
                    case "mesh": MeshBench.Run(batch, Add); break;
                    case "sdf": Sdf(backend, batch, Add); break;
                    default: throw new ArgumentException($"unknown bench task \"{task}\" (tasks: {string.Join(", ", AllTasks)})");
                }
            }
        }
        return report;
    }

    static void Encoding(Backend backend, JsonConfig config, int batch, Action<BenchResult> add)
    {
        using var model = ModelFactory.CreateNetworkWithInputEncoding<float>(backend, 2, 3, config.Object("encoding"), config.Object("network"));
        var grid = model.Encoding;
        using var p = backend.Allocate<float>(grid.ParamCount);
        using var g = backend.Allocate<float>(grid.ParamCount);
        var rng = new Rng(1);
        grid.InitializeParams(ref rng, p.All);
        grid.SetParams(p.All, g.All);
        using var x = RandomMatrix(backend, batch, 2, 2);
        using var y = backend.AllocateMatrix<float>(batch, grid.OutputWidth, out var ym);
        using var dy = RandomMatrix(backend, batch, grid.OutputWidth, 3);
        var xm = x.AsMatrix(batch, 2);
        var dym = dy.AsMatrix(batch, grid.OutputWidth);
        string what = $"hash grid 2-D, {grid.OutputWidth} features";
        add(new("encoding", "hashgrid_forward", what + ": inference", batch,
            Throughput.Measure(() => grid.Inference(xm, ym), batch, backend.Synchronize)));
        add(new("encoding", "hashgrid_forward_backward", what + ": forward + backward", batch,
            Throughput.Measure(() => { using var ctx = grid.Forward(xm, ym); grid.Backward(ctx, xm, ym, dym); }, batch, backend.Synchronize)));
        using var dx = backend.AllocateMatrix<float>(batch, 2, out var dxm);
        add(new("encoding", "hashgrid_input_gradient", what + ": dL/dx only (backward, no dL/dθ)", batch,
            Throughput.Measure(() => { using var ctx = grid.Forward(xm, ym); grid.Backward(ctx, xm, ym, dym, dxm, GradientMode.Ignore); }, batch, backend.Synchronize)));
    }

    static void Mlp(Backend backend, JsonConfig config, int batch, Action<BenchResult> add)
    {
        using var model = ModelFactory.CreateNetworkWithInputEncoding<float>(backend, 2, 3, config.Object("encoding"), config.Object("network"));
        var net = model.Net;
        using var p = backend.Allocate<float>(net.ParamCount);
        using var g = backend.Allocate<float>(net.ParamCount);
        var rng = new Rng(1);
        net.InitializeParams(ref rng, p.All);
        net.SetParams(p.All, g.All);
        using var x = RandomMatrix(backend, batch, net.InputWidth, 4);
        using var y = backend.AllocateMatrix<float>(batch, net.OutputWidth, out var ym);
        using var dy = RandomMatrix(backend, batch, net.OutputWidth, 5);
        using var dx = backend.AllocateMatrix<float>(batch, net.InputWidth, out var dxm);
        var xm = x.AsMatrix(batch, net.InputWidth);
        var dym = dy.AsMatrix(batch, net.OutputWidth);
        string what = $"MLP {net.InputWidth}→64→64→{net.OutputWidth} ReLU";
        add(new("mlp", "mlp_forward", what + ": inference", batch,
            Throughput.Measure(() => net.Inference(xm, ym), batch, backend.Synchronize)));
        add(new("mlp", "mlp_forward_backward", what + ": fwd + bwd (dW, dx)", batch,
            Throughput.Measure(() => { using var ctx = net.Forward(xm, ym); net.Backward(ctx, xm, ym, dym, dxm); }, batch, backend.Synchronize)));
    }

    static void Image(Backend backend, JsonConfig config, int batch, Action<BenchResult> add)
    {
        var picture = Imaging.Png.Decode(EmbeddedResources.DemoPicture, "embedded demo.png");
        using var session = new ImageTrainer(backend, picture, config, batch, seed: 1337);
        add(new("image", "image_train", "whole training step (sample, fwd, loss, bwd, Adam)", batch,
            Throughput.Measure(() => session.Step(), batch, backend.Synchronize, roundSeconds: 1.0)));
    }

    /// <summary>NeuS geometry (neus-dtu: 16 levels × 2, 2^19, 35 → 64 → 13 softplus): sdf, analytic ∇ₓsdf, then the double backward of an eikonal-style loss.</summary>
    static void Sdf(Backend backend, int batch, Action<BenchResult> add)
    {
        if (backend.Kind != BackendKind.Cpu) return; // CPU only for now
        using var net = new Nn.Sdf.SdfNetwork<float>(backend, new Nn.Sdf.SdfNetworkSettings());
        using var p = backend.Allocate<float>(net.ParamCount);
        using var g = backend.Allocate<float>(net.ParamCount);
        var rng = new Rng(1);
        net.InitializeParams(ref rng, p.All);
        net.SetParams(p.All, g.All);
        using var x = RandomMatrix(backend, batch, 3, 6);
        var xs = x.All.AsSpan();
        for (int i = 0; i < xs.Length; i++) xs[i] = xs[i] * 1.6f - 0.8f;
        var xm = x.AsMatrix(batch, 3);
        using var y = backend.AllocateMatrix<float>(batch, net.OutputWidth, out var ym);
        using var n = backend.AllocateMatrix<float>(batch, 3, out var nm);
        using var dy = RandomMatrix(backend, batch, net.OutputWidth, 7);
        using var dn = RandomMatrix(backend, batch, 3, 8);
        var dym = dy.AsMatrix(batch, net.OutputWidth);
        var dnm = dn.AsMatrix(batch, 3);
        add(new("sdf", "sdf_inference", "NeuS SDF net: sdf + features only (occupancy-grid updates)", batch,
            Throughput.Measure(() => net.Inference(xm, ym), batch)));
        add(new("sdf", "sdf_forward_gradient", "NeuS SDF net: sdf + features + analytic ∇ₓsdf", batch,
            Throughput.Measure(() => net.Inference(xm, ym, nm), batch)));
        add(new("sdf", "sdf_train", "NeuS SDF net: fwd + ∇ₓsdf + double backward (dL/dθ)", batch,
            Throughput.Measure(() => { using var ctx = net.Forward(xm, ym, nm); net.Backward(ctx, dym, dnm); }, batch)));
    }

    static DeviceBuffer<float> RandomMatrix(Backend backend, int rows, int cols, ulong seed)
    {
        var rng = new Rng(seed);
        var host = new float[rows * cols];
        for (int i = 0; i < host.Length; i++) host[i] = rng.NextFloat();
        return backend.Upload<float>(host);
    }
}
