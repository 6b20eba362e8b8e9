using NgpSharp.Compute;
using NgpSharp.Compute.Cuda;
using NgpSharp.Compute.Cuda.Emulation;
using Xunit;

namespace NgpSharp.Tests.Cuda.Emulation;

/// <summary>The emulator's source preparation and backend identity.</summary>
public class EmulatedKernelCompilerTests
{
    [Fact]
    public void KernelNames_AreTheExternCGlobalFunctions_OutsideComments()
    {
        const string text = """
            // extern "C" __global__ void kernel_in_comment(const A a)
            extern "C" __global__ void kernel_one(const A a) { }
            /* extern "C" __global__ void kernel_block_comment(const A a) */
            extern  "C"  __global__  void  kernel_two (const A a) { }
            __device__ void helper() { }
            """;
        Assert.Equal(["kernel_one", "kernel_two"], EmulatedKernelCompiler.KernelNames(text));
    }

    [Fact]
    public void PrepareSource_PointsDynamicSharedArraysAtTheLaunchBuffer()
    {
        const string text = """
            extern __shared__ ngp_u8 global_scope[];
            __global__ void k() {
                extern __shared__ alignas(16) float inside[];
                static __shared__ int s[4];
            }
            """;
        string prepared = EmulatedKernelCompiler.PrepareSource(text);
        Assert.Contains("#define global_scope ((ngp_u8*)ngp_emu_dynamic_shared())", prepared);
        Assert.Contains("float* const inside = ((float*)ngp_emu_dynamic_shared());", prepared);
        Assert.Contains("__shared__ int s[4];", prepared);
        Assert.DoesNotContain("static __shared__", prepared);
        Assert.DoesNotContain("extern __shared__", prepared);
    }

    [Fact]
    public void HostPrelude_IsEmbedded_AndCoversEveryDevicePreludeFunction()
    {
        string host = KernelSources.Read(EmulatedKernelCompiler.HostPreludeName);
        string device = KernelSources.Read(KernelSources.PreludeName);
        var names = System.Text.RegularExpressions.Regex.Matches(device, @"NGP_DEVICE\s+[\w\s]+?\b(ngp_\w+)\s*\(").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.NotEmpty(names);
        foreach (var name in names) Assert.Contains(name + "(", host);
        foreach (var macro in System.Text.RegularExpressions.Regex.Matches(device, @"#define\s+(NGP_\w+)").Select(m => m.Groups[1].Value).Distinct())
            Assert.Contains("#define " + macro, host);
    }

    [EmulatorFact]
    public void EmulatedBackend_IsACudaBackend_WithHostMemory()
    {
        var cuda = EmulatorTestBackend.Require();
        Assert.Equal(BackendKind.Cuda, cuda.Kind);
        Assert.True(cuda.IsEmulated);
        Assert.Equal("cuda-emulator (host, g++)", cuda.Description);
        using var buffer = cuda.Upload<float>([1f, 2f, 3f]);
        Assert.Equal(0UL, buffer.All.Pointer() % 256);
        cuda.Fill(buffer.All.Slice(1, 2), 7f);
        Assert.Equal([1f, 7f, 7f], cuda.ToArray(buffer.All));
    }
}
