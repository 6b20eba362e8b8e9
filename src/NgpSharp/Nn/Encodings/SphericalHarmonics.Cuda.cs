using NgpSharp.Compute;

namespace NgpSharp.Nn.Encodings;

public sealed partial class SphericalHarmonics<T>
{
    DeviceBuffer<float>? _cudaCoefficients;
    DeviceBuffer<uint>? _cudaExponents, _cudaStarts;

    /// <summary>
    /// Uploads (once) the monomial tables SphericalHarmonics.cu evaluates: the degree² basis functions and their
    /// ∂/∂x, ∂/∂y, ∂/∂z, the same terms and order as the CPU's <see cref="Monomials"/>.
    /// </summary>
    private protected override void SetCudaTables(ref ParameterFreeEncodingArgs args)
    {
        if (_cudaCoefficients is null)
        {
            int n = EncodedWidth;
            var sets = new[] { SphericalHarmonicsBasis.Values }.Concat(SphericalHarmonicsBasis.Gradients).ToArray();
            var coefficients = new List<float>();
            var exponents = new List<uint>();
            var starts = new uint[sets.Length * (n + 1)];
            for (int s = 0; s < sets.Length; s++)
            {
                for (int k = 0; k < n; k++)
                {
                    starts[s * (n + 1) + k] = (uint)coefficients.Count;
                    foreach (var t in sets[s][k])
                    {
                        coefficients.Add((float)t.Coefficient);
                        exponents.Add((uint)t.Ex | (uint)t.Ey << 8 | (uint)t.Ez << 16);
                    }
                }
                starts[s * (n + 1) + n] = (uint)coefficients.Count;
            }
            _cudaCoefficients = Backend.Upload<float>(coefficients.ToArray());
            _cudaExponents = Backend.Upload<uint>(exponents.ToArray());
            _cudaStarts = Backend.Upload<uint>(starts);
        }
        args.ShCoefficients = Compute.Cuda.DevicePointers.Pointer(_cudaCoefficients.All);
        args.ShExponents = Compute.Cuda.DevicePointers.Pointer(_cudaExponents!.All);
        args.ShStarts = Compute.Cuda.DevicePointers.Pointer(_cudaStarts!.All);
    }

    public override void Dispose()
    {
        _cudaCoefficients?.Dispose(); _cudaExponents?.Dispose(); _cudaStarts?.Dispose();
        _cudaCoefficients = null; _cudaExponents = null; _cudaStarts = null;
        base.Dispose();
    }
}
