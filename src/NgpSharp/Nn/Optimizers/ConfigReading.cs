using NgpSharp.Config;

namespace NgpSharp.Nn.Optimizers;

/// <summary>Optimizer hyperparameter reads with range checks; errors name the key path.</summary>
internal static class ConfigReading
{
    public static float Finite(JsonConfig config, string key, float defaultValue)
    {
        double value = config.Double(key, defaultValue);
        return float.IsFinite((float)value) ? (float)value : throw config.Error(key, $"{value} does not fit a float");
    }

    public static float NonNegative(JsonConfig config, string key, float defaultValue)
    {
        float value = Finite(config, key, defaultValue);
        return value >= 0 ? value : throw config.Error(key, $"must be ≥ 0, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary>A value in [min, max) ("in [0, 1)").</summary>
    public static float InRange(JsonConfig config, string key, float defaultValue, float min, float max, string range)
    {
        float value = Finite(config, key, defaultValue);
        return value >= min && value < max ? value : throw config.Error(key, $"must be {range}, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary>A non-negative integer that fits tiny-cuda-nn's uint32 step counters.</summary>
    public static long Steps(JsonConfig config, string key, long defaultValue, long min = 0)
    {
        long value = config.Long(key, defaultValue);
        return value >= min && value <= uint.MaxValue ? value : throw config.Error(key, $"must be an integer in [{min}, {uint.MaxValue}], got {value}");
    }

    /// <summary>
    /// A float hyperparameter as the JSON number a person would write (0.9f → 0.9, not 0.8999999761581421), stored
    /// as a double so that <see cref="JsonConfig"/> reads Hyperparams() output back to the same float.
    /// </summary>
    public static double Json(float value) =>
        double.Parse(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture);
}
