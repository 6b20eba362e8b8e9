namespace NgpSharp.Geometry.MeshIo;

/// <summary>
/// A malformed or unsupported mesh file. The message names the file, where (line or element) and the problem:
/// "bunny.ply: face 12: vertex index 2000 out of range (1839 vertices)".
/// </summary>
public sealed class MeshFormatException(string message, Exception? inner = null) : Exception(message, inner);
