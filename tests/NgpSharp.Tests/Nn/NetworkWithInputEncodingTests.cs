using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn;
using NgpSharp.Tests.Support;
using Xunit;

namespace NgpSharp.Tests.Nn;

public class NetworkWithInputEncodingTests
{
    static JsonConfig Json(string text) => JsonConfig.Parse(text, "test");

    [Theory]
    [InlineData("""{"otype": "HashGrid", "n_levels": 4, "n_features_per_level": 2, "log2_hashmap_size": 6, "base_resolution": 4, "per_level_scale": 2.0}""", "FullyFusedMLP", 2)]
    [InlineData("""{"otype": "Frequency", "n_frequencies": 3}""", "CutlassMLP", 3)]
    [InlineData("""{"otype": "SphericalHarmonics", "degree": 3}""", "MLP", 3)]
    public void GradientsMatchFiniteDifferences(string encoding, string network, int dims)
    {
        using var model = ModelFactory.CreateNetworkWithInputEncoding<double>(CpuBackend.Shared, dims, 3, Json(encoding),
            Json($$"""{"otype": "{{network}}", "n_neurons": 16, "n_hidden_layers": 1, "activation": "Tanh", "output_activation": "None"}"""));
        var rng = new Rng(5);
        int batch = 7;
        var input = new double[batch * dims];
        for (int i = 0; i < input.Length; i++) input[i] = 0.05 + 0.9 * rng.NextDouble();
        // Hash-grid parameters at their ±1e-4 initialisation barely move the output; use larger ones.
        var theta = new double[model.ParamCount];
        for (int i = 0; i < theta.Length; i++) theta[i] = (rng.NextDouble() * 2 - 1) * 0.5;
        GradientCheck.Check(model, input, theta, new GradientCheck.Options { Tolerance = 1e-5 });
    }

    [Fact]
    public void EncodingOutputIsPaddedToTheNetworksAlignment()
    {
        using var model = ModelFactory.CreateNetworkWithInputEncoding<float>(CpuBackend.Shared, 3, 1,
            Json("""{"otype": "Identity"}"""), Json("""{"otype": "FullyFusedMLP", "n_neurons": 16, "n_hidden_layers": 1}"""));
        Assert.Equal(3, model.Encoding.EncodedWidth);
        Assert.Equal(16, model.Encoding.OutputWidth);
        Assert.Equal(16, model.Net.InputWidth);
        Assert.Equal(model.Net.ParamCount, model.MatrixParamCount);
    }
}
