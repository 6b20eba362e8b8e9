using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Geometry;
using NgpSharp.Geometry.MeshIo;
using NgpSharp.Systems;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;

namespace NgpSharp.Cli.Commands;

/// <summary>
/// `ngp mesh`: marching cubes over a trained field — −SDF at the threshold for NeuS runs, σ at the threshold for NeRF
/// runs — with vertex colours, written in the dataset's world frame to RUN_DIR/save/mesh.&lt;format&gt;; optionally
/// scored against a reference mesh (Chamfer, F-score into metrics.json).
/// </summary>
public static class MeshCommand
{
    public const string Usage = "ngp mesh --run RUN_DIR [--resolution 512] [--format obj|ply|stl] [--threshold T (NeuS: sdf level, 0; NeRF: σ, 2.5)] [--reference gt.obj] [--no-colour] [--checkpoint CKPT] [--device ...] [--quiet]";

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 0) throw new UsageException($"ngp mesh takes --run RUN_DIR, not \"{cl.Positional[0]}\"\nusage: {Usage}");
        string runDir = cl.String("run") ?? throw new UsageException($"ngp mesh needs --run RUN_DIR\nusage: {Usage}");
        int? resolution = cl.String("resolution") is null ? null : cl.Int("resolution", 512, min: 8);
        string format = cl.String("format", "ply").ToLowerInvariant();
        if (format is not ("obj" or "ply" or "stl")) throw new UsageException($"--format must be obj, ply or stl (got \"{format}\")");
        double? threshold = cl.String("threshold") is { } t ? ParseDouble(t, "--threshold") : null;
        string? reference = cl.String("reference"), checkpoint = cl.String("checkpoint");
        bool colours = !cl.Flag("no-colour");
        string device = cl.String("device", "auto");
        bool quiet = cl.Flag("quiet");
        cl.RejectUnknown("mesh");
        return Mesh(runDir, resolution, format, threshold, reference, colours, checkpoint, device, cl.Overrides, quiet);
    }

    /// <summary>
    /// `ngp mesh` on a run folder: writes save/mesh.&lt;format&gt; (<paramref name="resolution"/>, <paramref name="threshold"/>
    /// null: the config's / system's defaults) and, with a <paramref name="reference"/>, Chamfer/F-score into metrics.json.
    /// </summary>
    public static int Mesh(string runDir, int? resolution = null, string format = "ply", double? threshold = null, string? reference = null,
        bool colours = true, string? checkpoint = null, string device = "auto", IEnumerable<string>? overrides = null, bool quiet = false)
    {
        if (reference is not null && !File.Exists(reference)) throw new FileNotFoundException($"--reference: {reference} not found", reference);
        var run = RunDirectory.Open(runDir);
        checkpoint ??= run.LatestCheckpoint() ?? throw new FileNotFoundException($"{run.CheckpointDir}: no checkpoint (train first)", run.CheckpointDir);
        var tree = YamlConfig.LoadTree(run.ParsedConfigPath, overrides);
        var clock = Stopwatch.StartNew();
        Mesh mesh;
        int res;
        if (SystemKinds.Of(tree) == SystemKind.Neus)
        {
            var settings = ConfigBinder.Bind<NeusSettings>(tree);
            res = resolution ?? settings.Export.Resolution;
            var data = NerfData.Load(settings.Dataset, settings.Dataset.Split);
            using var trainer = new NeusTrainer(settings, data, TrainCommand.SelectBackend(device, quiet));
            trainer.Resume(checkpoint);
            mesh = trainer.ExtractMesh(res, threshold ?? settings.Export.Threshold, colours && settings.Export.ExportVertexColor);
            if (!data.SceneToWorld.IsIdentity) mesh = mesh.Transformed(data.SceneToWorld);
        }
        else
        {
            var settings = ConfigBinder.Bind<NerfSettings>(tree);
            res = resolution ?? 256;
            var data = NerfData.Load(settings.Dataset, settings.Dataset.Split);
            using var trainer = new NerfTrainer(settings, data, TrainCommand.SelectBackend(device, quiet));
            trainer.Resume(checkpoint);
            mesh = trainer.ExtractMesh(res, (float)(threshold ?? NerfTrainer.DefaultMeshThreshold), colours);
        }
        string path = Path.Combine(run.SaveDir, "mesh." + format);
        Directory.CreateDirectory(run.SaveDir);
        MeshFile.Write(path, mesh);
        if (!quiet)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {path}: {mesh.VertexCount} vertices, {mesh.TriangleCount} triangles (marching cubes at {res}³, {clock.Elapsed.TotalSeconds:F1} s)"));
        if (mesh.TriangleCount == 0) Console.Error.WriteLine("warning: the mesh is empty (no surface at this threshold; train longer or change --threshold)");
        else if (reference is not null) Score(mesh, reference, run, quiet);
        return 0;
    }

    /// <summary>Chamfer / F-score against the reference (1% of its diagonal), printed and merged into metrics.json.</summary>
    static void Score(Mesh mesh, string referencePath, RunDirectory run, bool quiet)
    {
        var reference = MeshFile.Read(referencePath);
        var r = MeshMetrics.Compare(mesh, reference);
        var metrics = TrainCommand.ReadMetricsJson(run);
        metrics["mesh_reference"] = Path.GetFullPath(referencePath);
        metrics["chamfer"] = Math.Round(r.Chamfer, 6);
        metrics["precision"] = Math.Round(r.Precision, 5);
        metrics["recall"] = Math.Round(r.Recall, 5);
        metrics["f_score"] = Math.Round(r.FScore, 5);
        metrics["f_score_threshold"] = Math.Round(r.Threshold, 6);
        AtomicFile.WriteAllText(run.MetricsJsonPath, metrics.ToJsonString(new() { WriteIndented = true }) + "\n");
        RunReport.Write(run.Root);
        if (!quiet)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"against {referencePath}: chamfer {r.Chamfer:G4} · precision {r.Precision:F4} · recall {r.Recall:F4} · F-score {r.FScore:F4} at τ = {r.Threshold:G4} (1% of its diagonal)"));
    }

    static double ParseDouble(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new UsageException($"{what}: \"{text}\" is not a number");
}
