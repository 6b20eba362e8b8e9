using System.Diagnostics;
using System.Globalization;
using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Config;
using NgpSharp.Rendering.Raytracing;
using NgpSharp.Resources;

namespace NgpSharp.Cli.Commands;

/// <summary>
/// `ngp demo`: the whole product on what ships inside the binary. Ray traces the embedded Stanford bunny into a
/// dataset (nerf_synthetic and DTU layouts, like `ngp render-dataset`), trains NeRF on it and renders its test views
/// and an orbit (`ngp train` + `ngp test` with configs/nerf-blender.yaml), then NeuS on the DTU layout with a
/// coloured mesh scored against the true geometry (`ngp train` + `ngp test` + `ngp mesh --reference` with
/// configs/neus-dtu.yaml). Budgets: <see cref="DemoBudget"/>.
/// </summary>
public static class DemoCommand
{
    public const string Usage = "ngp demo [--device auto|cpu|cuda] [--out exp/demo] [--quick] [--seconds-scale 1] [--quiet]";

    /// <summary>Flags (options without a value) this command reads.</summary>
    public static readonly string[] Flags = ["quick"];

    /// <summary>Written first into the output folder: a folder holding it may have its data/, nerf/ and neus/ replaced.</summary>
    public const string MarkerFile = ".ngp-demo";

    public static int Run(CommandLine cl)
    {
        string device = cl.String("device", "auto");
        string output = cl.String("out", Path.Combine("exp", "demo"));
        bool quick = cl.Flag("quick"), quiet = cl.Flag("quiet");
        string secondsScaleText = cl.String("seconds-scale", "1");
        cl.RejectUnknown("demo");
        if (cl.Positional.Count != 0) throw new UsageException($"ngp demo takes no arguments (got \"{cl.Positional[0]}\"; to learn a picture: ngp image)\nusage: {Usage}");
        double secondsScale = PositiveNumber(secondsScaleText, "--seconds-scale");
        if (cl.Overrides.Count != 0) throw new UsageException($"ngp demo takes no config overrides (got \"{cl.Overrides[0]}\"); use ngp train for custom runs\nusage: {Usage}");

        var clock = Stopwatch.StartNew();
        var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
        var (budget, stageDevice, deviceName) = ChooseBudget(device, quick, quiet);
        var paths = new DemoPaths(output);
        PrepareOutput(paths);
        Say(quiet, $"ngp demo ({budget.Name} budget on {deviceName}) → {paths.Root}");

        var stages = new List<(string Name, double Seconds)>();
        Stage(stages, "dataset", quiet, "[1/3] ray tracing the embedded Stanford bunny into nerf_synthetic + DTU layouts", () => RenderDataset(paths, budget, quiet));

        Stage(stages, "nerf", quiet, "[2/3] NeRF (instant-ngp, configs/nerf-blender.yaml): train, test views, orbit video", () =>
        {
            var tree = DemoConfig(EmbeddedResources.NerfBlenderConfig, paths.Data, budget.NerfConfig(secondsScale));
            TrainCommand.Train(tree, stageDevice, paths.Nerf, resume: null, quiet);
            TestCommand.Test(paths.Nerf, checkpoint: null, stageDevice, [], quiet);
        });

        Stage(stages, "neus", quiet, "[3/3] NeuS (instant-nsr-pl, configs/neus-dtu.yaml): train, test views, coloured mesh, F-score", () =>
        {
            var tree = DemoConfig(EmbeddedResources.NeusDtuConfig, paths.Dtu, budget.NeusConfig(secondsScale));
            TrainCommand.Train(tree, stageDevice, paths.Neus, resume: null, quiet);
            TestCommand.Test(paths.Neus, checkpoint: null, stageDevice, [], quiet);
            MeshCommand.Mesh(paths.Neus, budget.MeshResolution, "ply", reference: paths.GroundTruthMesh, device: stageDevice, quiet: quiet);
        });

        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuStart;
        var summary = DemoSummary.Collect(paths, budget, deviceName, stages, clock.Elapsed.TotalSeconds, cpu.TotalSeconds);
        summary.Write(paths.SummaryJson);
        summary.Print();
        return 0;
    }

    /// <summary>
    /// The budget from the device (a real GPU: <see cref="DemoBudget.Gpu"/>; otherwise the CPU one) and the device
    /// the stages use, resolved once so that "auto" is not probed (and reported) again by each stage.
    /// </summary>
    static (DemoBudget Budget, string StageDevice, string DeviceName) ChooseBudget(string device, bool quick, bool quiet)
    {
        var backend = DeviceSelection.Select(device, quiet);
        try
        {
            bool gpu = backend is CudaBackend { IsEmulated: false };
            string stageDevice = backend.Kind == BackendKind.Cpu ? "cpu" : backend is CudaBackend { IsEmulated: true } ? "cuda-emulator" : "cuda";
            var budget = quick ? DemoBudget.Quick : gpu ? DemoBudget.Gpu : DemoBudget.Cpu;
            return (budget, stageDevice, backend.Description);
        }
        finally
        {
            if (!ReferenceEquals(backend, CpuBackend.Shared)) backend.Dispose();
        }
    }

    /// <summary>
    /// Creates the output folder, or reuses one an earlier demo wrote (its data/, nerf/ and neus/ are removed, so that
    /// no stale checkpoint or render survives); refuses any other non-empty folder.
    /// </summary>
    static void PrepareOutput(DemoPaths paths)
    {
        string marker = Path.Combine(paths.Root, MarkerFile);
        if (File.Exists(paths.Root)) throw new UsageException($"--out {paths.Root} is a file, not a folder");
        if (Directory.Exists(paths.Root) && Directory.EnumerateFileSystemEntries(paths.Root).Any() && !File.Exists(marker))
            throw new UsageException($"--out {paths.Root} exists and was not written by ngp demo; choose another folder or remove it");
        foreach (var dir in new[] { paths.Data, paths.Nerf, paths.Neus })
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        if (File.Exists(paths.SummaryJson)) File.Delete(paths.SummaryJson);
        Directory.CreateDirectory(paths.Root);
        File.WriteAllText(marker, "written by ngp demo: each run replaces data/, nerf/, neus/ and summary.json in this folder\n");
    }

    static void RenderDataset(DemoPaths paths, DemoBudget budget, bool quiet)
    {
        Directory.CreateDirectory(paths.Data);
        File.WriteAllText(paths.Model, EmbeddedResources.BunnyObj);
        var options = budget.Dataset with { Format = DatasetFormat.Both };
        var bar = new ProgressBar(quiet);
        var clock = Stopwatch.StartNew();
        var result = SyntheticDataset.Render(paths.Model, paths.Data, options, (done, total) => bar.Report(done, total, clock.Elapsed, "views"));
        bar.Finish();
        foreach (var warning in result.Warnings) Console.Error.WriteLine($"ngp: warning: {warning}");
        Say(quiet, string.Create(CultureInfo.InvariantCulture,
            $"wrote {paths.Data}: {options.Train} train + {options.Val} val + {options.Test} test views at {options.Resolution}×{options.Resolution} ({result.Triangles} triangles, {options.SamplesPerPixel} spp), dtu/ (train + val views), gt_mesh.obj; {result.Elapsed.TotalSeconds:F1} s"));
    }

    /// <summary>A shipped config with the dataset root set to <paramref name="dataRoot"/> (absolute) and the budget's overrides.</summary>
    static ConfigMapping DemoConfig(ConfigMapping shipped, string dataRoot, IEnumerable<string> overrides)
    {
        var mark = new ConfigMark("ngp demo");
        YamlConfig.SetPath(shipped, "dataset.root", ConfigScalar.String(Path.GetFullPath(dataRoot), mark), mark);
        YamlConfig.ApplyOverrides(shipped, overrides);
        return ConfigInterpolation.Resolve(shipped);
    }

    static void Stage(List<(string, double)> stages, string name, bool quiet, string title, Action run)
    {
        Say(quiet, "");
        Say(quiet, title);
        var clock = Stopwatch.StartNew();
        run();
        stages.Add((name, clock.Elapsed.TotalSeconds));
    }

    static void Say(bool quiet, string line)
    {
        if (!quiet) Console.WriteLine(line);
    }

    static double PositiveNumber(string text, string what) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v) && v <= 1000
            ? v : throw new UsageException($"{what}: expected a number in (0, 1000], got \"{text}\"");
}

/// <summary>Where `ngp demo` writes (under --out).</summary>
sealed record DemoPaths(string Root)
{
    public string Data => Path.Combine(Root, "data");
    public string Model => Path.Combine(Data, "bunny.obj");
    public string Dtu => Path.Combine(Data, "dtu");
    public string GroundTruthMesh => Path.Combine(Data, "gt_mesh.obj");
    public string Nerf => Path.Combine(Root, "nerf");
    public string Neus => Path.Combine(Root, "neus");
    public string NeusMesh => Path.Combine(Neus, "save", "mesh.ply");
    public string SummaryJson => Path.Combine(Root, "summary.json");
}
