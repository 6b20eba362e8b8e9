namespace NgpSharp.Diagnostics;

/// <summary>Every CPU-vs-device parity check, as `ngp selftest` and the CUDA tests run them.</summary>
public static class ParityChecks
{
    public static IEnumerable<ParityCheck> All =>
        HashGridParityChecks.Checks()
            .Concat(MlpParityChecks.Checks())
            .Concat(EncodingParityChecks.Checks())
            .Concat(LossParityChecks.Checks())
            .Concat(OptimizerParityChecks.Checks())
            .Concat(ReductionParityChecks.Checks())
            .Concat(ImageParityChecks.Checks())
            .Concat(MarchParityChecks.Checks())
            .Concat(NerfParityChecks.Checks())
            .Concat(NeusParityChecks.Checks())
            .Concat(SdfParityChecks.Checks())
            .Concat(NerfDeviceParityChecks.Checks())
            .Concat(NeusDeviceParityChecks.Checks());
}
