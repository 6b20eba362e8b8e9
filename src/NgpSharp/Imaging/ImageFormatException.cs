namespace NgpSharp.Imaging;

/// <summary>A malformed, truncated or unsupported image file; the message names the file and the problem.</summary>
public sealed class ImageFormatException(string message, Exception? inner = null) : IOException(message, inner);
