using System.Reflection;

namespace NgpSharp.Compute.Cuda;

/// <summary>The .cu / .cuh files embedded in the library (each under its file name).</summary>
public static class KernelSources
{
    /// <summary>The prelude every kernel includes.</summary>
    public const string PreludeName = "ngp_prelude.cuh";

    /// <summary>Names of all embedded kernel sources (*.cu).</summary>
    public static IReadOnlyList<string> All =>
        typeof(KernelSources).Assembly.GetManifestResourceNames().Where(n => n.EndsWith(".cu", StringComparison.Ordinal)).Order().ToList();

    /// <summary>The text of an embedded .cu or .cuh file.</summary>
    public static string Read(string name)
    {
        using var s = typeof(KernelSources).Assembly.GetManifestResourceStream(name)
            ?? throw new CudaException($"kernel source {name} is not embedded in this build");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}
