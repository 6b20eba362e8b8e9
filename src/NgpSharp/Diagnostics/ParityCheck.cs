using NgpSharp.Compute;

namespace NgpSharp.Diagnostics;

/// <summary>One CPU-vs-device comparison: runs an op on both backends with the same inputs and measures the difference.</summary>
/// <param name="Name">e.g. "hashgrid 3D F2 fp32: forward".</param>
/// <param name="Run">(cpu, device) → the measured error and the bound it must stay under.</param>
public sealed record ParityCheck(string Name, Func<Backend, Backend, ParityResult> Run)
{
    /// <summary>Checks a path only a GPU has (fp16 tensor cores); meaningless when the "device" is a CPU.</summary>
    public bool DeviceOnly { get; init; }

    /// <summary>
    /// Takes minutes in the host CUDA emulator (large tensor-core batches); the emulated test run leaves it to a real
    /// GPU's selftest, since smaller checks of the same kernels run there too.
    /// </summary>
    public bool HeavyForEmulator { get; init; }
}

/// <summary>What one parity check measured.</summary>
/// <param name="Error">Largest |device − cpu| relative to the largest |cpu| value (see <see cref="Parity.RelativeError"/>).</param>
/// <param name="Bound">The largest error accepted for this op and precision.</param>
public readonly record struct ParityResult(double Error, double Bound, string Detail = "")
{
    public bool Passed => double.IsFinite(Error) && Error <= Bound;

    /// <summary>The worse of two results (for checks that compare several outputs).</summary>
    public static ParityResult Worst(params ParityResult[] results)
    {
        var worst = results[0];
        foreach (var r in results)
            if (!r.Passed && worst.Passed || (r.Passed == worst.Passed && r.Error / r.Bound > worst.Error / worst.Bound)) worst = r;
        return worst;
    }
}
