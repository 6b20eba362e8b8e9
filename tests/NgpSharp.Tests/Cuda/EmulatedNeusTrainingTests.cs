using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Systems.Nerf;
using NgpSharp.Systems.Neus;
using NgpSharp.Tests.Systems;
using Xunit;

namespace NgpSharp.Tests.Cuda;

/// <summary>
/// NeuS training, rendering and meshing end to end on the CUDA code path (through the host emulator): grid update,
/// device march, SDF network, colour input rows, NeuS compositing, device losses, the double backward through the
/// normals, Adam and the device NaN check must track the CPU run from the same seed.
/// </summary>
public sealed class EmulatedNeusTrainingTests : IDisposable
{
    const int Steps = 4;

    readonly string _tmp = Directory.CreateTempSubdirectory("ngp-neus-cuda-").FullName;

    public void Dispose() => Directory.Delete(_tmp, recursive: true);

    /// <summary>The DTU bunny at 50×50 with a small grid and ~1–2k samples a step (fast on the emulator).</summary>
    static NeusSettings Tiny() => NeusTrainerTests.SmallBunny("model.train_num_rays=32", "model.target_samples_per_step=2048",
        "model.geometry.xyz_encoding_config.n_levels=4", "model.geometry.xyz_encoding_config.log2_hashmap_size=12");

    static readonly Lazy<NgpSharp.Data.NerfDataset> Bunny = new(() => { var s = Tiny(); return NerfData.Load(s.Dataset, s.Dataset.Split); });

    static NeusTrainer Trainer(Backend backend, bool hostRays = false)
    {
        var t = new NeusTrainer(Tiny(), Bunny.Value, backend) { HostRaysForTesting = hostRays };
        t.MarkUnseenCells();
        return t;
    }

    static NeusStep[] Run(NeusTrainer t) => Enumerable.Range(0, Steps).Select(_ => t.Step()).ToArray();

    static string Losses(NeusStep[] steps) => string.Join(", ", steps.Select(s => $"{s.Loss:G4}/{s.Samples}"));

    [EmulatorFact]
    public void TrainingOnTheCudaPathTracksTheCpu()
    {
        NeusStep[] cpu, device;
        using (var t = Trainer(CpuBackend.Shared)) cpu = Run(t);
        using (var t = Trainer(EmulatorTestBackend.Require(), hostRays: true)) device = Run(t);
        Assert.All(device, s => Assert.False(s.Skipped));
        for (int i = 0; i < Steps; i++)
        {
            // Same rays (host-drawn from one pcg32 stream), same march jitter; the networks differ by float rounding.
            Assert.Equal(cpu[i].Rays, device[i].Rays);
            Assert.InRange(device[i].Samples, 0.97 * cpu[i].Samples, 1.03 * cpu[i].Samples);
            Assert.True(Math.Abs(device[i].Loss - cpu[i].Loss) <= 0.02 * cpu[i].Loss, $"step {i}: cpu {Losses(cpu)}\ndevice {Losses(device)}");
            Assert.True(Math.Abs(device[i].Eikonal - cpu[i].Eikonal) <= 0.02 * cpu[i].Eikonal + 1e-6, $"step {i}: eikonal {device[i].Eikonal} vs {cpu[i].Eikonal}");
            Assert.Equal(cpu[i].InvS, device[i].InvS, 4);
        }
    }

    [EmulatorFact]
    public void DeviceRays_TrainWithoutSkipsAndLikeTheCpu()
    {
        NeusStep[] cpu, device;
        using (var t = Trainer(CpuBackend.Shared)) cpu = Run(t);
        using (var t = Trainer(EmulatorTestBackend.Require())) device = Run(t);
        // Different rays (counter-based on the device), the same scene: the losses must be of the same size.
        Assert.All(device, s => Assert.True(!s.Skipped && double.IsFinite(s.Loss) && s.Samples > 0 && double.IsFinite(s.Eikonal)));
        double c = cpu.Average(s => s.Loss), d = device.Average(s => s.Loss);
        Assert.True(Math.Abs(d - c) <= 0.25 * c, $"cpu {Losses(cpu)}\ndevice {Losses(device)}");
    }

    [EmulatorFact]
    public void CheckpointFromTheDeviceResumesOnTheCpu()
    {
        string path = Path.Combine(_tmp, "device.ckpt");
        float[] saved;
        long steps;
        using (var t = Trainer(EmulatorTestBackend.Require()))
        {
            t.Step(); t.Step();
            t.SaveCheckpoint(path);
            saved = t.Backend.ToArray(t.Params);
            steps = t.StepCount;
        }
        using var cpu = Trainer(CpuBackend.Shared);
        cpu.Resume(path);
        Assert.Equal(steps, cpu.StepCount);
        Assert.Equal(saved, cpu.Backend.ToArray(cpu.Params));
        Assert.False(cpu.Step().Skipped);
    }

    [EmulatorFact]
    public void RenderAndMesh_OnTheDevice_MatchTheCpu()
    {
        using var cpu = Trainer(CpuBackend.Shared);
        using var device = Trainer(EmulatorTestBackend.Require(), hostRays: true);
        cpu.Step(); device.Step(); // the first step fills the occupancy grid (an empty grid marches nothing)
        var camera = Bunny.Value.Frames[0].Camera.Downscaled(2);
        var a = cpu.Render(camera, (1f, 1f, 1f));
        var b = device.Render(camera, (1f, 1f, 1f));
        Assert.InRange(b.Samples, 0.99 * a.Samples, 1.01 * a.Samples);
        Assert.True(a.Opacity.Max() > 0.5f, "the initial sphere must be visible");
        // One step apart from identical weights: float rounding only.
        Assert.InRange(MaxDifference(a.Colour.Data, b.Colour.Data), 0, 5e-3);
        Assert.InRange(MaxDifference(a.Normal.Data, b.Normal.Data), 0, 5e-3);
        Assert.InRange(MaxDifference(a.Opacity, b.Opacity), 0, 5e-3);

        var ma = cpu.ExtractMesh(24);
        var mb = device.ExtractMesh(24);
        Assert.True(ma.TriangleCount > 100);
        Assert.InRange(mb.TriangleCount, 0.98 * ma.TriangleCount, 1.02 * ma.TriangleCount);
        Assert.NotNull(mb.Colors);
        if (ma.VertexCount == mb.VertexCount)
            for (int i = 0; i < ma.VertexCount; i++)
            {
                Assert.True((ma.Positions[i] - mb.Positions[i]).Length() < 1e-3f, $"vertex {i}: {ma.Positions[i]} vs {mb.Positions[i]}");
                Assert.True((ma.Colors![i] - mb.Colors![i]).Length() < 1e-3f, $"colour {i}: {ma.Colors[i]} vs {mb.Colors[i]}");
            }
    }

    static float MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float worst = 0;
        for (int i = 0; i < a.Length; i++) worst = MathF.Max(worst, MathF.Abs(a[i] - b[i]));
        return worst;
    }
}
