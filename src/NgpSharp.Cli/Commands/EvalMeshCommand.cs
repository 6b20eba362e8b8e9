using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using NgpSharp.Geometry;
using NgpSharp.Geometry.MeshIo;

namespace NgpSharp.Cli.Commands;

/// <summary>`ngp eval-mesh`: Chamfer distance and F-score of a mesh against a reference mesh.</summary>
public static class EvalMeshCommand
{
    public const string Usage = "ngp eval-mesh <mesh> <reference> [--points 200000] [--threshold 0.01 (fraction of the reference's bbox diagonal)] [--seed 0] [--json]";

    public static int Run(CommandLine cl)
    {
        if (cl.Positional.Count != 2) throw new UsageException($"ngp eval-mesh takes a mesh and a reference mesh (.obj, .ply or .stl)\nusage: {Usage}");
        int points = cl.Int("points", MeshMetrics.DefaultPoints, min: 1);
        double fraction = Fraction(cl.String("threshold"));
        ulong seed = cl.ULong("seed", 0);
        bool json = cl.Flag("json");
        cl.RejectUnknown("eval-mesh");

        var clock = Stopwatch.StartNew();
        var mesh = ReadSampleable(cl.Positional[0]);
        var reference = ReadSampleable(cl.Positional[1]);
        double diagonal = reference.Bounds.Size.Length();
        var r = MeshMetrics.Compare(mesh, reference, points, fraction * diagonal, seed);
        double seconds = clock.Elapsed.TotalSeconds;

        if (json)
        {
            var o = new JsonObject
            {
                ["mesh"] = cl.Positional[0], ["reference"] = cl.Positional[1],
                ["chamfer"] = r.Chamfer, ["chamfer_l2"] = r.ChamferL2, ["accuracy"] = r.Accuracy, ["completeness"] = r.Completeness,
                ["precision"] = r.Precision, ["recall"] = r.Recall, ["f_score"] = r.FScore,
                ["threshold"] = r.Threshold, ["threshold_fraction"] = fraction, ["reference_diagonal"] = diagonal,
                ["points"] = r.Points, ["seed"] = seed, ["seconds"] = seconds,
            };
            Console.WriteLine(o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"mesh:       {cl.Positional[0]} ({mesh.VertexCount} vertices, {mesh.TriangleCount} triangles)");
        Console.WriteLine($"reference:  {cl.Positional[1]} ({reference.VertexCount} vertices, {reference.TriangleCount} triangles)");
        Console.WriteLine(string.Create(inv, $"samples:    {r.Points} per mesh (seed {seed})"));
        Console.WriteLine(string.Create(inv, $"threshold:  τ = {r.Threshold:G5} ({fraction:G4} × reference bbox diagonal {diagonal:G5})"));
        Console.WriteLine(string.Create(inv, $"chamfer:    {r.Chamfer:G5} (accuracy {r.Accuracy:G5}, completeness {r.Completeness:G5}; L2 {r.ChamferL2:G5})"));
        Console.WriteLine(string.Create(inv, $"precision:  {r.Precision:F4}"));
        Console.WriteLine(string.Create(inv, $"recall:     {r.Recall:F4}"));
        Console.WriteLine(string.Create(inv, $"f-score:    {r.FScore:F4}"));
        Console.WriteLine(string.Create(inv, $"time:       {seconds:F2} s"));
        return 0;
    }

    static double Fraction(string? text)
    {
        if (text is null) return MeshMetrics.DefaultThresholdFraction;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !(v > 0) || !double.IsFinite(v))
            throw new UsageException($"--threshold: expected a positive fraction of the reference's bbox diagonal (e.g. 0.01), got \"{text}\"");
        return v;
    }

    /// <summary>Reads a mesh and refuses one with no surface to sample.</summary>
    static Mesh ReadSampleable(string path)
    {
        var mesh = MeshFile.Read(path);
        double area = mesh.Area();
        if (!(area > 0) || !double.IsFinite(area))
            throw new MeshFormatException($"{path}: the mesh has no surface to sample ({mesh.VertexCount} vertices, {mesh.TriangleCount} triangles, area {area})");
        return mesh;
    }
}
