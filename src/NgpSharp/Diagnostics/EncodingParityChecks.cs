using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Nn.Encodings;

namespace NgpSharp.Diagnostics;

/// <summary>
/// CPU-vs-device checks of the parameter-free encodings and Composite: forward (padding columns included, output
/// aligned to 16) and the input gradient, on 16 391 rows (not a multiple of any block size).
/// </summary>
public static class EncodingParityChecks
{
    const int Batch = (1 << 14) + 7;

    public static IEnumerable<ParityCheck> Checks()
    {
        yield return Check("Identity 3D scale 2 offset 0.5", b => new Identity<float>(b, 3, 2f, 0.5f));
        yield return Check("Identity 7D", b => new Identity<float>(b, 7));
        yield return Check("Frequency 3D F12", b => new Frequency<float>(b, 3, 12));
        yield return Check("Frequency 2D F4", b => new Frequency<float>(b, 2, 4));
        for (int degree = 1; degree <= 8; degree++)
        {
            int d = degree;
            yield return Check($"SphericalHarmonics degree {d}", b => new SphericalHarmonics<float>(b, d));
        }
        yield return Check("OneBlob 3D 16 bins", b => new OneBlob<float>(b, 3, 16));
        yield return Check("OneBlob 5D 4 bins", b => new OneBlob<float>(b, 5, 4));
        yield return Check("TriangleWave 3D F12", b => new TriangleWave<float>(b, 3, 12));
        yield return Check("Composite NRC (TriangleWave + OneBlob + Identity), 10D", b => Json(b, 10, """{"otype": "NRC"}"""));
        yield return Check("Composite overlapping ranges (SH + Identity + OneBlob), 6D", b => Json(b, 6,
            """{"otype": "Composite", "nested": [ {"otype": "SphericalHarmonics", "n_dims_to_encode": 3, "dims_to_encode_begin": 1}, {"otype": "Identity", "n_dims_to_encode": 2, "dims_to_encode_begin": 0, "scale": 3}, {"otype": "OneBlob", "n_dims_to_encode": 1, "dims_to_encode_begin": 4, "n_bins": 4}]}"""));
    }

    static Encoding<float> Json(Backend backend, int dims, string json) =>
        EncodingFactory.Create<float>(backend, dims, JsonConfig.Parse(json, "parity check"));

    static ParityCheck Check(string name, Func<Backend, Encoding<float>> create) =>
        new($"encoding {name}, aligned to 16: forward + dL/dinput", (cpu, device) => Parity.CompareModule(cpu, device, b =>
        {
            var encoding = create(b);
            encoding.SetAlignment(16);
            return encoding;
        }, Batch, Parity.Fp32Bound));
}
