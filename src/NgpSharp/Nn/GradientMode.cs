namespace NgpSharp.Nn;

/// <summary>What Backward does with parameter (or input) gradients.</summary>
public enum GradientMode
{
    /// <summary>Do not compute them.</summary>
    Ignore,
    /// <summary>Write them, replacing what was there.</summary>
    Overwrite,
    /// <summary>Add them to what is there.</summary>
    Accumulate,
}
