using NgpSharp.Config;

namespace NgpSharp.Nn.Networks;

/// <summary>Elementwise activations of tiny-cuda-nn's networks (names as in its JSON configs).</summary>
public enum Activation
{
    /// <summary>y = x.</summary>
    None,
    /// <summary>y = max(x, 0); derivative 0 at x = 0.</summary>
    ReLU,
    /// <summary>y = x for x &gt; 0, else 0.01·x.</summary>
    LeakyReLU,
    /// <summary>y = exp(x).</summary>
    Exponential,
    /// <summary>y = sin(x) (its derivative needs the pre-activation, which the MLP then keeps).</summary>
    Sine,
    /// <summary>y = 1 / (1 + exp(−x)).</summary>
    Sigmoid,
    /// <summary>y = (z + sqrt(z² + 4)) / (2K) with z = K·x, K = 10.</summary>
    Squareplus,
    /// <summary>y = log(1 + exp(K·x)) / K, K = 10.</summary>
    Softplus,
    /// <summary>y = tanh(x).</summary>
    Tanh,
}

/// <summary>Parsing and printing of <see cref="Activation"/> with tiny-cuda-nn's names (case-insensitive).</summary>
public static class Activations
{
    /// <summary>tiny-cuda-nn's K_ACT: the sharpness of Softplus and Squareplus.</summary>
    public const double KAct = 10.0;

    /// <summary>tiny-cuda-nn's LeakyReLU slope for x ≤ 0.</summary>
    public const double LeakySlope = 0.01;

    /// <summary>The names tiny-cuda-nn accepts, in its spelling.</summary>
    public static IReadOnlyList<string> Names { get; } = Enum.GetNames<Activation>();

    /// <summary>Parses a tiny-cuda-nn activation name ("relu", "ReLU", "None", ...); false when unknown.</summary>
    public static bool TryParse(string name, out Activation activation)
    {
        foreach (var value in Enum.GetValues<Activation>())
        {
            if (string.Equals(value.ToString(), name?.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                activation = value;
                return true;
            }
        }
        activation = Activation.None;
        return false;
    }

    /// <summary>Reads <paramref name="key"/> of <paramref name="config"/> as an activation, or the default when absent.</summary>
    /// <exception cref="ConfigException">the value is not a known activation name (the message names the key).</exception>
    public static Activation Read(JsonConfig config, string key, Activation defaultValue)
    {
        if (!config.Has(key)) return defaultValue;
        string name = config.RequireString(key);
        return TryParse(name, out var activation)
            ? activation
            : throw config.Error(key, $"unknown activation \"{name}\" (known: {string.Join(", ", Names)})");
    }

    /// <summary>The tiny-cuda-nn name ("ReLU", "None", ...).</summary>
    public static string ToTcnnName(this Activation activation) => activation.ToString();

    /// <summary>Whether the backward pass needs the pre-activation x (not just y = f(x)) to get f'(x).</summary>
    public static bool NeedsPreActivation(this Activation activation) => activation == Activation.Sine;
}
