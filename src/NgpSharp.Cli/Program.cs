using NgpSharp.Cli.Commands;
using NgpSharp.Config;
using NgpSharp.Imaging;

namespace NgpSharp.Cli;

public static class Program
{
    static readonly HashSet<string> Flags = ["quiet", "json", "help", .. RenderDatasetCommand.Flags, .. DemoCommand.Flags];

    /// <summary>Options whose value may be left out (`ngp train --out RUN --resume` continues from RUN's newest checkpoint).</summary>
    static readonly HashSet<string> OptionalValues = ["resume"];

    const string Help = """
        ngp — Instant Neural Graphics Primitives for .NET

        commands:
          ngp demo                 the quick start: ray trace the embedded bunny, train NeRF and NeuS on it, mesh, reports
          ngp image [picture]      learn a picture (tiny-cuda-nn's mlp_learning_an_image; the embedded one by default)
          ngp bench                throughput of the hash grid, the MLP and a whole training step
          ngp selftest             every op on the GPU against the CPU reference (CUDA)
          ngp train --config Y     train a NeRF (instant-ngp) or NeuS (instant-nsr-pl) from a YAML config with key=value overrides
          ngp test --run DIR       render a run's test views, PSNR/SSIM, orbit video
          ngp mesh --run DIR       marching-cubes mesh of a trained NeuS or NeRF run, with vertex colours
          ngp colmap2nerf <model>  a COLMAP sparse model (text or binary) → instant-ngp transforms.json
          ngp eval-mesh <m> <ref>  Chamfer distance and F-score of a mesh against a reference (.obj, .ply, .stl)
          ngp render-dataset <obj> a nerf_synthetic-style dataset (and NeuS/DTU) ray traced from an OBJ model, no Blender
          ngp info                 what this machine offers (SIMD, threads, CUDA driver, NVRTC)

        usage:
        """;

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            PrintHelp();
            return args.Length == 0 ? 2 : 0;
        }
        try
        {
            var cl = new CommandLine(args.Skip(1), Flags, OptionalValues);
            return args[0] switch
            {
                "demo" => DemoCommand.Run(cl),
                "image" => ImageCommand.Run(cl),
                "bench" => BenchCommand.Run(cl),
                "selftest" => SelfTestCommand.Run(cl),
                "train" => TrainCommand.Run(cl),
                "test" => TestCommand.Run(cl),
                "mesh" => MeshCommand.Run(cl),
                "colmap2nerf" => Colmap2NerfCommand.Run(cl),
                "eval-mesh" => EvalMeshCommand.Run(cl),
                "render-dataset" => RenderDatasetCommand.Run(cl),
                "info" => InfoCommand.Run(cl),
                _ => throw new UsageException($"unknown command \"{args[0]}\" (commands: demo, image, train, test, mesh, bench, selftest, colmap2nerf, eval-mesh, render-dataset, info; see ngp --help)"),
            };
        }
        catch (UsageException e) { return Fail(e.Message, 2); }
        catch (ConfigException e) { return Fail(e.Message, 1); }
        catch (ImageFormatException e) { return Fail(e.Message, 1); }
        catch (NgpSharp.Data.Colmap.ColmapFormatException e) { return Fail(e.Message, 1); }
        catch (NgpSharp.Data.DatasetException e) { return Fail(e.Message, 1); }
        catch (NgpSharp.Geometry.MeshIo.MeshFormatException e) { return Fail(e.Message, 1); }
        catch (NgpSharp.Data.Npy.NpyFormatException e) { return Fail(e.Message, 1); }
        catch (FileNotFoundException e) { return Fail(e.Message, 1); }
        catch (DirectoryNotFoundException e) { return Fail(e.Message, 1); }
        catch (InvalidDataException e) { return Fail(e.Message, 1); }
        catch (UnauthorizedAccessException e) { return Fail(e.Message, 1); }
        catch (NgpSharp.Compute.Cuda.CudaException e) { return Fail(e.Message, 1); }
        catch (NgpSharp.Systems.TrainingDivergedException e) { return Fail(e.Message, 1); }
    }

    static int Fail(string message, int code)
    {
        Console.Error.WriteLine($"ngp: error: {message}");
        return code;
    }

    static void PrintHelp()
    {
        Console.WriteLine(Help);
        foreach (var u in new[] { DemoCommand.Usage, ImageCommand.Usage, TrainCommand.Usage, TestCommand.Usage, MeshCommand.Usage, BenchCommand.Usage, SelfTestCommand.Usage, Colmap2NerfCommand.Usage, EvalMeshCommand.Usage, RenderDatasetCommand.Usage, "ngp info" }) Console.WriteLine("  " + u);
    }
}
