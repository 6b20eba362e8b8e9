using System.Globalization;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Geometry.MeshIo;
using NgpSharp.Systems;

namespace NgpSharp.Cli.Commands;

/// <summary>
/// What `ngp demo` produced, gathered from the runs' metrics.json files: printed as a few lines and written to
/// summary.json (paths relative to --out; NaN where a value is missing).
/// </summary>
sealed record DemoSummary(DemoPaths Paths, string Budget, string Device, double Seconds, double CpuSeconds,
    IReadOnlyList<(string Name, double Seconds)> Stages, RunFigures Nerf, RunFigures Neus,
    double FScore, double Chamfer, int MeshVertices, int MeshTriangles, bool MeshColoured)
{
    public static DemoSummary Collect(DemoPaths paths, DemoBudget budget, string device, IReadOnlyList<(string, double)> stages,
        double seconds, double cpuSeconds)
    {
        var nerf = RunFigures.Read(paths.Nerf);
        var neus = RunFigures.Read(paths.Neus);
        var neusJson = RunFigures.Json(paths.Neus);
        var mesh = File.Exists(paths.NeusMesh) ? MeshFile.Read(paths.NeusMesh) : null;
        return new DemoSummary(paths, budget.Name, device, seconds, cpuSeconds, stages, nerf, neus,
            RunFigures.Number(neusJson["f_score"]), RunFigures.Number(neusJson["chamfer"]),
            mesh?.VertexCount ?? 0, mesh?.TriangleCount ?? 0, mesh?.Colors is not null);
    }

    public void Write(string path)
    {
        var json = new JsonObject
        {
            ["budget"] = Budget, ["device"] = Device,
            ["seconds"] = Round(Seconds, 2), ["cpu_seconds"] = Round(CpuSeconds, 2),
            ["stages"] = new JsonObject(Stages.Select(s => KeyValuePair.Create(s.Name, (JsonNode?)Round(s.Seconds, 2)))),
            ["data"] = Relative(Paths.Data),
            ["nerf"] = Nerf.ToJson(Paths),
            ["neus"] = Neus.ToJson(Paths),
        };
        var neus = (JsonObject)json["neus"]!;
        neus["f_score"] = Round(FScore, 5);
        neus["chamfer"] = Round(Chamfer, 6);
        neus["mesh"] = Relative(Paths.NeusMesh);
        neus["mesh_vertices"] = MeshVertices;
        neus["mesh_triangles"] = MeshTriangles;
        neus["mesh_coloured"] = MeshColoured;
        AtomicFile.WriteAllText(path, json.ToJsonString(new() { WriteIndented = true }) + "\n");
    }

    /// <summary>The closing lines (printed even with --quiet): where everything is, the scores, the time.</summary>
    public void Print()
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine(string.Create(inv, $"ngp demo done in {Duration(Seconds)} (CPU time {Duration(CpuSeconds)}) on {Device}, {Budget} budget:"));
        Console.WriteLine($"  dataset  {Paths.Data} (nerf_synthetic layout, dtu/, gt_mesh.obj, bunny.obj)");
        Console.WriteLine(string.Create(inv,
            $"  NeRF     test PSNR {Nerf.Psnr:F2} dB, SSIM {Nerf.Ssim:F4} ({Nerf.Steps} steps, {Nerf.TrainSeconds:F0} s) · {Nerf.Report} · {Nerf.VideoOrNone}"));
        Console.WriteLine(string.Create(inv,
            $"  NeuS     test PSNR {Neus.Psnr:F2} dB, F-score {FScore:F4}, chamfer {Chamfer:G4} ({Neus.Steps} steps, {Neus.TrainSeconds:F0} s) · {Neus.Report} · {Neus.VideoOrNone}"));
        Console.WriteLine(string.Create(inv,
            $"  mesh     {Paths.NeusMesh} ({MeshVertices} vertices, {MeshTriangles} triangles{(MeshColoured ? ", vertex colours" : "")}; reference {Paths.GroundTruthMesh})"));
        Console.WriteLine($"  summary  {Paths.SummaryJson}");
    }

    string Relative(string path) => Path.GetRelativePath(Paths.Root, path).Replace('\\', '/');

    internal static JsonNode? Round(double v, int digits) => double.IsFinite(v) ? Math.Round(v, digits) : null;

    static string Duration(double seconds) => seconds >= 60
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)} min {seconds % 60:00} s")
        : string.Create(CultureInfo.InvariantCulture, $"{seconds:F1} s");
}

/// <summary>One run's figures from its metrics.json (NaN / 0 where missing) and its report and video paths.</summary>
sealed record RunFigures(string Root, double Psnr, double Ssim, long Steps, double TrainSeconds, string Report, string Video)
{
    public static RunFigures Read(string runRoot)
    {
        var json = Json(runRoot);
        string video = json["video"] is JsonValue v && v.TryGetValue(out string? name) && name.Length > 0 ? Path.Combine(runRoot, name) : "";
        double step = Number(json["train"]?["step"]);
        return new RunFigures(runRoot, Number(json["psnr"]), Number(json["ssim"]), double.IsFinite(step) ? (long)step : 0,
            Number(json["train"]?["seconds"]), Path.Combine(runRoot, RunReport.FileName), video);
    }

    public JsonObject ToJson(DemoPaths paths) => new()
    {
        ["run"] = Rel(paths, Root), ["psnr"] = DemoSummary.Round(Psnr, 4), ["ssim"] = DemoSummary.Round(Ssim, 5), ["steps"] = Steps,
        ["train_seconds"] = DemoSummary.Round(TrainSeconds, 2), ["report"] = Rel(paths, Report), ["video"] = Video.Length == 0 ? null : Rel(paths, Video),
    };

    public string VideoOrNone => Video.Length == 0 ? "(no video)" : Video;

    static string Rel(DemoPaths paths, string path) => Path.GetRelativePath(paths.Root, path).Replace('\\', '/');

    internal static JsonObject Json(string runRoot)
    {
        string path = Path.Combine(runRoot, "metrics.json");
        try { return File.Exists(path) && JsonNode.Parse(File.ReadAllText(path)) is JsonObject o ? o : new JsonObject(); }
        catch (System.Text.Json.JsonException) { return new JsonObject(); }
    }

    internal static double Number(JsonNode? node) => node is JsonValue v && v.TryGetValue(out double d) ? d : double.NaN;
}
