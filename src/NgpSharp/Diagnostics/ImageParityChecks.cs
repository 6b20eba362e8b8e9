using NgpSharp.Compute;
using NgpSharp.Resources;
using NgpSharp.Systems.Image;

namespace NgpSharp.Diagnostics;

/// <summary>Parity of the image-learning batch sampler (GPU pcg32 + bilinear lookup vs the CPU).</summary>
public static class ImageParityChecks
{
    public static IEnumerable<ParityCheck> Checks()
    {
        foreach (int batch in new[] { 1000, 65536 + 3 })
            yield return new ParityCheck($"image sampler: batch {batch}, two consecutive batches", (cpu, device) =>
            {
                var picture = Imaging.Png.Decode(EmbeddedResources.DemoPicture, "demo.png");
                var config = EmbeddedResources.ImageConfig;
                using var a = new ImageTrainer(cpu, picture, config, batch, seed: 5);
                using var b = new ImageTrainer(device, picture, config, batch, seed: 5);
                var results = new List<ParityResult>();
                for (int round = 0; round < 2; round++)
                {
                    var (pa, ta) = a.DrawBatch();
                    var (pb, tb) = b.DrawBatch();
                    results.Add(new(Parity.RelativeError(cpu.ToArray(pa.Data), device.ToArray(pb.Data)), 0, $"positions (round {round}, must be identical)"));
                    results.Add(new(Parity.RelativeError(cpu.ToArray(ta.Data), device.ToArray(tb.Data)), 1e-5, $"targets (round {round})"));
                }
                return ParityResult.Worst([.. results]);
            });
    }
}
