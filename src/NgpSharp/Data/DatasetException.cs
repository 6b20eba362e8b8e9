namespace NgpSharp.Data;

/// <summary>
/// A malformed or missing dataset input. The message starts with the file it concerns and, for a frame, its
/// index and <c>file_path</c>: "…/transforms_train.json: frame 3 (./train/r_3): transform_matrix contains NaN".
/// </summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
