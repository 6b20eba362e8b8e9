using System.Buffers.Binary;
using System.Text;
using NgpSharp.Compute;

namespace NgpSharp.Data.Npy;

/// <summary>
/// numpy's .npy format (format versions 1.0, 2.0 and 3.0): the magic "\x93NUMPY", a version, the header length
/// (2 bytes in 1.0, 4 in 2.0/3.0), a Python-literal header dictionary ('descr', 'fortran_order', 'shape'; Latin-1,
/// UTF-8 in 3.0), then the raw elements. Reads f2/f4/f8, i1/i2/i4/i8, u1/u2/u4/u8 and b1 in either byte order and
/// either memory order; refuses pickled object arrays. Sizes are checked against the bytes actually present before
/// the data is allocated, and a file must end where its data ends.
/// </summary>
public static class Npy
{
    /// <summary>Headers longer than this are refused (numpy's own limit for untrusted files is 10,000 bytes).</summary>
    public const int MaxHeaderBytes = 1 << 20;

    /// <summary>Reads the .npy file at <paramref name="path"/>.</summary>
    /// <exception cref="NpyFormatException">Malformed, truncated or unsupported; the message names the file.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static NpyArray Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return ReadCore(stream, path, claimedLength: null);
    }

    /// <summary>
    /// Reads one array from <paramref name="stream"/>, which must end where the array's data ends.
    /// <paramref name="nameForErrors"/> starts every error message.
    /// </summary>
    public static NpyArray Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return ReadCore(stream, nameForErrors, claimedLength: null);
    }

    /// <summary>
    /// Writes <paramref name="array"/> to <paramref name="path"/> (atomically: temp file + rename), by default in
    /// C order and little-endian, as numpy does; a format 1.0 header padded to 64 bytes.
    /// </summary>
    public static void Write(string path, NpyArray array, bool fortranOrder = false, bool bigEndian = false) =>
        AtomicFile.Write(path, s => Write(s, array, fortranOrder, bigEndian));

    /// <summary>Writes <paramref name="array"/> as .npy bytes to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, NpyArray array, bool fortranOrder = false, bool bigEndian = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        var shape = array.Shape.ToArray();
        stream.Write(NpyHeaderCodec.Format(new NpyHeader(array.DType, bigEndian, fortranOrder, shape)));
        byte[] data = array.RawBytes.ToArray();
        if (fortranOrder) data = NpyLayout.Reorder(data, shape, array.DType.ItemSize, toFortran: true);
        if (bigEndian == BitConverter.IsLittleEndian) NpyLayout.SwapBytes(data, array.DType.ItemSize);
        stream.Write(data);
    }

    /// <summary>
    /// Reads one array. <paramref name="claimedLength"/>: the stream's length as some container claims it (a zip
    /// entry's uncompressed size): checked against the header, but never trusted for allocation.
    /// </summary>
    internal static NpyArray ReadCore(Stream stream, string where, long? claimedLength)
    {
        long? remaining = stream.CanSeek ? stream.Length - stream.Position : null;
        long? limit = remaining ?? claimedLength;
        Span<byte> prefix = stackalloc byte[12];
        int n = ReadUpTo(stream, prefix[..10]);
        var magic = NpyHeaderCodec.Magic;
        if (n < magic.Length || !prefix[..magic.Length].SequenceEqual(magic))
        {
            if (n < magic.Length && prefix[..n].SequenceEqual(magic.AsSpan(0, n)))
                throw new NpyFormatException($"{where}: truncated: {n} bytes, the file ends inside the .npy magic string");
            throw new NpyFormatException($"{where}: not an .npy file: wrong magic {Convert.ToHexString(prefix[..Math.Min(n, 6)])} (expected 934E554D5059, \"\\x93NUMPY\")");
        }
        if (n < 8) throw new NpyFormatException($"{where}: truncated: the file ends inside the format version ({n} bytes)");
        int major = prefix[6], minor = prefix[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new NpyFormatException($"{where}: unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");
        int prefixLength = major == 1 ? 10 : 12;
        if (major > 1) n += ReadUpTo(stream, prefix[10..12]);
        if (n < prefixLength) throw new NpyFormatException($"{where}: truncated: the file ends inside the header length ({n} bytes)");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
        if (headerLength > MaxHeaderBytes)
            throw new NpyFormatException($"{where}: bad header: header length {headerLength} bytes is absurd (limit {MaxHeaderBytes})");
        if (limit is { } l && prefixLength + headerLength > l)
            throw new NpyFormatException($"{where}: truncated: the header needs {prefixLength + headerLength} bytes, the file has {l}");

        var headerBytes = new byte[headerLength];
        int got = ReadUpTo(stream, headerBytes);
        if (got < headerLength)
            throw new NpyFormatException($"{where}: truncated: the header needs {prefixLength + headerLength} bytes, the file has {prefixLength + got}");
        string text;
        try
        {
            text = major == 3 ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException)
        {
            throw new NpyFormatException($"{where}: bad header: not valid UTF-8 (format 3.0)");
        }
        var header = NpyHeaderCodec.Parse(text, where);

        string what = $"shape ({string.Join(", ", header.Shape)}{(header.Shape.Length == 1 ? "," : "")}) of {header.DType}";
        long count = header.Shape.Contains(0) ? 0 : 1; // (huge, huge, 0) is a valid empty array
        foreach (int d in header.Shape)
        {
            count *= d; // every d ≤ int.MaxValue and count ≤ Array.MaxLength before: no overflow
            if (count > Array.MaxLength)
                throw new NpyFormatException($"{where}: absurd shape: {what} has more than {Array.MaxLength} elements");
        }
        long dataBytes = count * header.DType.ItemSize;
        if (dataBytes > Array.MaxLength)
            throw new NpyFormatException($"{where}: absurd shape: {what} needs {dataBytes} bytes, more than one array can hold");
        long dataStart = prefixLength + headerLength;
        if (limit is { } total)
        {
            long present = total - dataStart;
            if (dataBytes > present)
                throw new NpyFormatException($"{where}: truncated: {what} needs {dataBytes} data bytes, the file has {present} after the header");
            if (dataBytes < present && remaining is not null)
                throw new NpyFormatException($"{where}: {present - dataBytes} bytes after the array data ({what} needs {dataBytes}): the shape does not match the data");
        }

        byte[] data = remaining is not null ? ReadKnown(stream, dataBytes, where, what) : ReadGrowing(stream, dataBytes, where, what);
        if (remaining is null && stream.ReadByte() >= 0)
            throw new NpyFormatException($"{where}: bytes after the array data ({what} needs {dataBytes}): the shape does not match the data");

        if (header.BigEndian == BitConverter.IsLittleEndian) NpyLayout.SwapBytes(data, header.DType.ItemSize);
        if (header.FortranOrder) data = NpyLayout.Reorder(data, header.Shape, header.DType.ItemSize, toFortran: false);
        return new NpyArray(header.DType, header.Shape, data);
    }

    static byte[] ReadKnown(Stream stream, long bytes, string where, string what)
    {
        var data = new byte[bytes];
        int got = ReadUpTo(stream, data);
        if (got < bytes) throw new NpyFormatException($"{where}: truncated: {what} needs {bytes} data bytes, the file has {got}");
        return data;
    }

    /// <summary>
    /// Reads <paramref name="bytes"/> from a stream of unknown length (a compressed zip entry) into a buffer that
    /// grows as data arrives, so that a forged size costs at most twice the bytes really present.
    /// </summary>
    static byte[] ReadGrowing(Stream stream, long bytes, string where, string what)
    {
        var data = new byte[Math.Min(bytes, 1 << 20)];
        long filled = 0;
        while (true)
        {
            int got = ReadUpTo(stream, data.AsSpan((int)filled));
            filled += got;
            if (filled == bytes) return data;
            if (filled < data.Length)
                throw new NpyFormatException($"{where}: truncated: {what} needs {bytes} data bytes, the file has {filled}");
            Array.Resize(ref data, (int)Math.Min(bytes, 2L * data.Length));
        }
    }

    /// <summary>Reads until <paramref name="buffer"/> is full or the stream ends; returns the bytes read.</summary>
    static int ReadUpTo(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int got = stream.Read(buffer[total..]);
            if (got == 0) break;
            total += got;
        }
        return total;
    }
}
