namespace NgpSharp.Data.Colmap;

/// <summary>A malformed, truncated or inconsistent COLMAP model; the message names the file, the line or record, and the problem.</summary>
public sealed class ColmapFormatException(string message, Exception? inner = null) : IOException(message, inner);
