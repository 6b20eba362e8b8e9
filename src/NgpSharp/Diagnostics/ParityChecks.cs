namespace NgpSharp.Diagnostics;

/// <summary>Every CPU-vs-device parity check, as `ngp selftest` and the CUDA tests run them.</summary>
public static class ParityChecks
{
    public static IEnumerable<ParityCheck> All =>
        ImageParityChecks.Checks();
}
