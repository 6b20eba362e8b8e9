namespace NgpSharp.Data.Npy;

/// <summary>
/// A malformed, truncated or unsupported .npy/.npz file. The message starts with the file (and, inside an .npz,
/// the entry: "cameras.npz[world_mat_0.npy]") and says what is wrong.
/// </summary>
public sealed class NpyFormatException(string message, Exception? inner = null) : IOException(message, inner);
