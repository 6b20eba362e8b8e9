using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using NgpSharp.Compute.Cuda;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// Every kernel argument struct is declared twice: in C inside the .cu file (with NGP_ARGS_SIZE(Name, bytes),
/// checked by the compiler in scripts/check-kernels.sh) and in C# (a struct of the same name). Their sizes must agree.
/// </summary>
public partial class KernelArgsLayoutTests
{
    [GeneratedRegex(@"NGP_ARGS_SIZE\(\s*(\w+)\s*,\s*(\d+)\s*\)")]
    private static partial Regex ArgsSize();

    [Fact]
    public void EveryKernelArgumentStructHasACSharpTwinOfTheSameSize()
    {
        var types = typeof(CudaBackend).Assembly.GetTypes().Where(t => t.IsValueType).ToLookup(t => t.Name);
        var problems = new List<string>();
        int checkedCount = 0;
        foreach (var source in KernelSources.All)
        {
            foreach (Match m in ArgsSize().Matches(KernelSources.Read(source)))
            {
                string name = m.Groups[1].Value;
                int bytes = int.Parse(m.Groups[2].Value);
                var twins = types[name].ToList();
                if (twins.Count != 1) { problems.Add($"{source}: {name} has {twins.Count} C# structs of that name"); continue; }
                int size = (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(twins[0]).Invoke(null, null)!;
                if (size != bytes) problems.Add($"{source}: {name} is {bytes} bytes on the device, {size} in C#");
                checkedCount++;
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        Assert.Equal(KernelSources.All.Count > 0, checkedCount > 0);
    }

    [Fact]
    public void ThePreludeIsEmbedded() => Assert.Contains("mma.sync", KernelSources.Read(KernelSources.PreludeName));
}
