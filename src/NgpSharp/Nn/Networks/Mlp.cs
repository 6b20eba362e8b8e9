using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Networks;

/// <summary>
/// A multi-layer perceptron without biases, as tiny-cuda-nn's FullyFusedMLP / CutlassMLP:
/// input [B, InputWidth] → <see cref="HiddenLayers"/> layers of width <see cref="Neurons"/> (activation
/// <see cref="Activation"/>) → output [B, OutputWidth] (activation <see cref="OutputActivation"/>).
/// With zero hidden layers it is one linear map input → output.
/// </summary>
/// <remarks>
/// Parameters: the weight matrices, concatenated, each [fanOut, fanIn] row-major (tiny-cuda-nn's layout):
/// [Neurons, InputWidth], then HiddenLayers − 1 × [Neurons, Neurons], then [OutputWidth, Neurons].
/// Unlike tiny-cuda-nn's GPU networks the output is not padded to 16 columns. Inputs are expected already
/// padded to <see cref="RequiredInputAlignment"/> (NetworkWithInputEncoding does that).
/// On CUDA (T = float only) it runs fp32 kernels (Mlp.cu) or, for FullyFusedMLP, tiny-cuda-nn's fused fp16
/// tensor-core scheme (FullyFusedMlp.cu); see <see cref="Precision"/>. Train the fused path with a loss scale
/// of 128 (<see cref="RecommendedLossScale"/> → Trainer.LossScale).
/// </remarks>
public sealed partial class Mlp<T> : Network<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>tiny-cuda-nn's JSON otypes for an MLP (case-insensitive), with the input alignment each needs.</summary>
    static readonly (string Name, string Canonical, int Alignment)[] Otypes =
    [
        ("FullyFusedMLP", "FullyFusedMLP", 16),
        ("MegakernelMLP", "FullyFusedMLP", 16),
        ("CutlassMLP", "CutlassMLP", 16),
        ("MLP", "MLP", 1),
    ];

    /// <summary>Widths of FullyFusedMLP in tiny-cuda-nn (its fused kernel is specialised for these).</summary>
    static readonly int[] FullyFusedWidths = [16, 32, 64, 128];

    readonly int[] _widths;       // [LayerCount + 1]: input, hidden..., output
    readonly long[] _offsets;     // [LayerCount + 1]: start of each weight matrix in the parameters
    readonly int _alignment;

    /// <summary>An MLP with explicit shape. <paramref name="otype"/> is a tiny-cuda-nn network otype.</summary>
    public Mlp(Backend backend, int inputWidth, int outputWidth, int neurons = 128, int hiddenLayers = 5,
        Activation activation = Activation.ReLU, Activation outputActivation = Activation.None, string otype = "MLP")
        : base(backend)
    {
        if (inputWidth < 1) throw new ArgumentOutOfRangeException(nameof(inputWidth), inputWidth, "MLP input width must be ≥ 1");
        if (outputWidth < 1) throw new ArgumentOutOfRangeException(nameof(outputWidth), outputWidth, "MLP output width must be ≥ 1");
        if (neurons < 1) throw new ArgumentOutOfRangeException(nameof(neurons), neurons, "MLP width (n_neurons) must be ≥ 1");
        if (hiddenLayers < 0) throw new ArgumentOutOfRangeException(nameof(hiddenLayers), hiddenLayers, "n_hidden_layers must be ≥ 0");
        var kind = FindOtype(otype) ?? throw new ArgumentException($"unknown MLP otype \"{otype}\" (known: {string.Join(", ", Otypes.Select(o => o.Name))})", nameof(otype));
        if (kind.Canonical == "FullyFusedMLP" && !FullyFusedWidths.Contains(neurons))
            throw new ArgumentException($"FullyFusedMLP supports n_neurons of {string.Join(", ", FullyFusedWidths)}, got {neurons}; use CutlassMLP or MLP", nameof(neurons));
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation");
        if (!Enum.IsDefined(outputActivation)) throw new ArgumentOutOfRangeException(nameof(outputActivation), outputActivation, "unknown activation");

        Otype = kind.Canonical;
        CheckCudaElementType();
        _alignment = kind.Alignment;
        Neurons = neurons;
        HiddenLayers = hiddenLayers;
        Activation = activation;
        OutputActivation = outputActivation;

        _widths = new int[hiddenLayers + 2];
        _widths[0] = inputWidth;
        for (int l = 1; l <= hiddenLayers; l++) _widths[l] = neurons;
        _widths[^1] = outputWidth;
        _offsets = new long[LayerCount + 1];
        for (int l = 0; l < LayerCount; l++) _offsets[l + 1] = _offsets[l] + (long)_widths[l] * _widths[l + 1];
    }

    /// <summary>The most hidden layers a config may ask for (tiny-cuda-nn's configs use 1–8).</summary>
    public const int MaxHiddenLayers = 1024;

    /// <summary>
    /// Builds an MLP from a tiny-cuda-nn "network" config: otype FullyFusedMLP | MegakernelMLP | CutlassMLP | MLP
    /// (default MLP), n_neurons (default 128), n_hidden_layers (default 5), activation (default ReLU),
    /// output_activation (default None); other keys (feedback_alignment, ...) are ignored.
    /// </summary>
    /// <exception cref="ConfigException">a key has a bad value; the message names it.</exception>
    public static Mlp<T> FromJson(Backend backend, int inputWidth, int outputWidth, JsonConfig config)
    {
        string otype = config.String("otype", "MLP");
        var kind = FindOtype(otype) ?? throw config.UnknownOtype("network", Otypes.Select(o => o.Name));
        int neurons = config.Int("n_neurons", 128);
        if (neurons < 1) throw config.Error("n_neurons", $"must be ≥ 1, got {neurons}");
        if (kind.Canonical == "FullyFusedMLP" && !FullyFusedWidths.Contains(neurons))
            throw config.Error("n_neurons", $"FullyFusedMLP supports {string.Join(", ", FullyFusedWidths)} neurons, got {neurons} (use CutlassMLP for other widths)");
        int hidden = config.Int("n_hidden_layers", 5);
        if (hidden < 0) throw config.Error("n_hidden_layers", $"must be ≥ 0, got {hidden}");
        // A layer list of 10^9 entries takes minutes to build before any size check can refuse it.
        if (hidden > MaxHiddenLayers) throw config.Error("n_hidden_layers", $"must be ≤ {MaxHiddenLayers}, got {hidden}");
        var activation = Activations.Read(config, "activation", Activation.ReLU);
        var outputActivation = Activations.Read(config, "output_activation", Activation.None);
        return new Mlp<T>(backend, inputWidth, outputWidth, neurons, hidden, activation, outputActivation, kind.Name);
    }

    /// <summary>
    /// The input alignment the network named by a "network" config block will require, so an encoding can be
    /// padded before the network is built (16 for FullyFusedMLP and CutlassMLP, 1 for MLP).
    /// </summary>
    public static int InputAlignmentFor(JsonConfig config)
    {
        string otype = config.String("otype", "MLP");
        return (FindOtype(otype) ?? throw config.UnknownOtype("network", Otypes.Select(o => o.Name))).Alignment;
    }

    static (string Name, string Canonical, int Alignment)? FindOtype(string otype)
    {
        foreach (var o in Otypes)
            if (string.Equals(o.Name, otype, StringComparison.OrdinalIgnoreCase)) return o;
        return null;
    }

    /// <summary>The canonical otype: "FullyFusedMLP", "CutlassMLP" or "MLP".</summary>
    public string Otype { get; }

    /// <summary>Width of the hidden layers (n_neurons).</summary>
    public int Neurons { get; }

    /// <summary>Number of hidden layers (n_hidden_layers); there are HiddenLayers + 1 weight matrices.</summary>
    public int HiddenLayers { get; }

    /// <summary>Activation of the hidden layers.</summary>
    public Activation Activation { get; }

    /// <summary>Activation of the output layer.</summary>
    public Activation OutputActivation { get; }

    public override int InputWidth => _widths[0];

    public override int OutputWidth => _widths[^1];

    public override long ParamCount => _offsets[^1];

    /// <summary>16 for FullyFusedMLP and CutlassMLP (as tiny-cuda-nn), 1 for "MLP".</summary>
    public override int RequiredInputAlignment => _alignment;

    /// <summary>Number of weight matrices (HiddenLayers + 1).</summary>
    public int LayerCount => _widths.Length - 1;

    /// <summary>Shape [fanOut, fanIn] of weight matrix <paramref name="layer"/>.</summary>
    public (int FanOut, int FanIn) LayerShape(int layer) => (_widths[layer + 1], _widths[layer]);

    /// <summary>Start of weight matrix <paramref name="layer"/> in the parameter vector.</summary>
    public long LayerOffset(int layer) => _offsets[layer];

    /// <summary>The activation applied after weight matrix <paramref name="layer"/>.</summary>
    public Activation LayerActivation(int layer) => layer == LayerCount - 1 ? OutputActivation : Activation;

    /// <summary>
    /// tiny-cuda-nn's initialisation, drawing from <paramref name="rng"/> in its order: each matrix uniform in ±b,
    /// b = scale·sqrt(6 / (fanIn + fanOut)) (Xavier); with Sine activations SIREN's b = scale·30/fanIn for the first
    /// matrix and scale·sqrt(6/fanIn) for the others. As tiny-cuda-nn, the output matrix counts (and draws numbers
    /// for) rows padded to a multiple of 16, so the values and the generator's state match tiny-cuda-nn's.
    /// </summary>
    public override void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f)
    {
        if (parameters.Length != ParamCount) throw new ArgumentException($"Mlp has {ParamCount} parameters; got a view of {parameters.Length}");
        // Device parameters are drawn on the host (same numbers as on the CPU) and uploaded.
        var staging = Backend.Kind == BackendKind.Cpu ? null : new T[ParamCount];
        var values = staging is null ? parameters.AsSpan() : staging.AsSpan();
        for (int l = 0; l < LayerCount; l++)
        {
            var (fanOut, fanIn) = LayerShape(l);
            bool last = l == LayerCount - 1;
            int drawnRows = last ? (fanOut + 15) / 16 * 16 : fanOut;
            float bound = Activation == Activation.Sine
                ? scale * (l == 0 ? 30f / fanIn : MathF.Sqrt(6f / fanIn))
                : scale * MathF.Sqrt(6f / (fanIn + drawnRows));
            var w = values.Slice((int)_offsets[l], fanOut * fanIn);
            for (int i = 0; i < w.Length; i++) w[i] = T.CreateTruncating(rng.NextFloat() * 2f * bound - bound);
            rng.Advance((long)(drawnRows - fanOut) * fanIn);
        }
        if (staging is not null) Backend.CopyFromHost<T>(staging, parameters);
    }

    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = Otype,
        ["activation"] = Activation.ToTcnnName(),
        ["output_activation"] = OutputActivation.ToTcnnName(),
        ["n_neurons"] = Neurons,
        ["n_hidden_layers"] = HiddenLayers,
    };
}
