using NgpSharp.Compute;
using NgpSharp.Nn;
using NgpSharp.Nn.Losses;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of every elementwise loss (Losses.cu): values and gradients, with and without data_pdf,
/// at loss scale 128, on a [5001, 3] batch (the odd size exercises the last partial block).
/// </summary>
public static class LossParityChecks
{
    const int Rows = 5001, Cols = 3;
    const float LossScale = 128f;

    static readonly (string Name, Func<Loss<float>> Create)[] Losses =
    [
        ("L1", () => new L1Loss<float>()),
        ("L2", () => new L2Loss<float>()),
        ("RelativeL1", () => new RelativeL1Loss<float>()),
        ("RelativeL2", () => new RelativeL2Loss<float>()),
        ("MAPE", () => new MapeLoss<float>()),
        ("SMAPE", () => new SmapeLoss<float>()),
        ("Huber(0.1, 0.2)", () => new HuberLoss<float>(0.1, 0.2)),
        ("LogL1", () => new LogL1Loss<float>()),
    ];

    public static IEnumerable<ParityCheck> Checks()
    {
        foreach (var (name, create) in Losses)
            foreach (bool pdf in new[] { false, true })
                yield return new ParityCheck($"loss {name}{(pdf ? " with data_pdf" : "")}, scale 128: values + gradients",
                    (cpu, device) => Compare(cpu, device, create, pdf));
    }

    static ParityResult Compare(Backend cpu, Backend device, Func<Loss<float>> create, bool withPdf)
    {
        int n = Rows * Cols;
        var prediction = Parity.Random(n, 11, -1.5f, 1.5f);
        var target = Parity.Random(n, 12, -1f, 1f);
        var pdf = withPdf ? Parity.Random(n, 13, 0.25f, 2f) : null;
        var (va, ga) = Run(cpu, create(), prediction, target, pdf);
        var (vb, gb) = Run(device, create(), prediction, target, pdf);
        return ParityResult.Worst(
            new(Parity.RelativeError(va, vb), Parity.Fp32Bound, "values"),
            new(Parity.RelativeError(ga, gb), Parity.Fp32Bound, "gradients"));
    }

    static (float[] Values, float[] Gradients) Run(Backend backend, Loss<float> loss, float[] prediction, float[] target, float[]? pdf)
    {
        using var p = backend.Upload<float>(prediction);
        using var t = backend.Upload<float>(target);
        using var q = pdf is null ? null : backend.Upload<float>(pdf);
        using var v = backend.AllocateMatrix<float>(Rows, Cols, out var values);
        using var g = backend.AllocateMatrix<float>(Rows, Cols, out var gradients);
        loss.Evaluate(LossScale, p.AsMatrix(Rows, Cols), t.AsMatrix(Rows, Cols), values, gradients, q?.AsMatrix(Rows, Cols));
        backend.Synchronize();
        return (backend.ToArray(values.Data), backend.ToArray(gradients.Data));
    }
}
