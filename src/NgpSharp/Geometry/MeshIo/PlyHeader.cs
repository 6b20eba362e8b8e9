using System.Globalization;
using System.Text;

namespace NgpSharp.Geometry.MeshIo;

enum PlyEncoding { Ascii, BinaryLittleEndian, BinaryBigEndian }

enum PlyType { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 }

/// <summary>One property: a scalar, or a list (count type + item type).</summary>
sealed record PlyProperty(string Name, PlyType Type, bool IsList, PlyType CountType);

sealed record PlyElement(string Name, long Count, List<PlyProperty> Properties)
{
    /// <summary>Bytes a binary record takes at least (lists counted as empty).</summary>
    public long MinBinarySize => Properties.Sum(p => (long)PlyTypes.Size(p.IsList ? p.CountType : p.Type));

    public int IndexOf(params string[] names)
    {
        foreach (var n in names)
        {
            int i = Properties.FindIndex(p => p.Name == n);
            if (i >= 0) return i;
        }
        return -1;
    }
}

static class PlyTypes
{
    public static int Size(PlyType t) => t switch
    {
        PlyType.Int8 or PlyType.UInt8 => 1,
        PlyType.Int16 or PlyType.UInt16 => 2,
        PlyType.Int32 or PlyType.UInt32 or PlyType.Float32 => 4,
        _ => 8,
    };

    public static bool IsInteger(PlyType t) => t is not (PlyType.Float32 or PlyType.Float64);

    /// <summary>The largest value of an unsigned colour type (uchar 255, ushort 65535), used to scale colours to 0–1.</summary>
    public static double ColorScale(PlyType t) => t switch
    {
        PlyType.UInt8 or PlyType.Int8 => 255.0,
        PlyType.UInt16 or PlyType.Int16 => 65535.0,
        PlyType.UInt32 or PlyType.Int32 => uint.MaxValue,
        _ => 1.0,
    };

    public static bool TryParse(string s, out PlyType t)
    {
        switch (s)
        {
            case "char": case "int8": t = PlyType.Int8; return true;
            case "uchar": case "uint8": t = PlyType.UInt8; return true;
            case "short": case "int16": t = PlyType.Int16; return true;
            case "ushort": case "uint16": t = PlyType.UInt16; return true;
            case "int": case "int32": t = PlyType.Int32; return true;
            case "uint": case "uint32": t = PlyType.UInt32; return true;
            case "float": case "float32": t = PlyType.Float32; return true;
            case "double": case "float64": t = PlyType.Float64; return true;
            default: t = default; return false;
        }
    }
}

/// <summary>The PLY header: format and elements, and where the data starts.</summary>
sealed class PlyHeader
{
    const int MaxHeaderBytes = 1 << 20;

    public PlyEncoding Encoding { get; private init; }
    public List<PlyElement> Elements { get; } = [];
    public int DataOffset { get; private init; }
    /// <summary>1-based line of the first data line (for ASCII error messages).</summary>
    public int DataLine { get; private init; }

    public static PlyHeader Parse(byte[] data, string name)
    {
        if (data.Length < 4 || data[0] != 'p' || data[1] != 'l' || data[2] != 'y' || (data[3] != '\n' && data[3] != '\r'))
            throw new MeshFormatException($"{name}: not a PLY file (it does not start with \"ply\")");
        PlyEncoding? encoding = null;
        var elements = new List<PlyElement>();
        int pos = 0, line = 0;
        while (true)
        {
            if (pos >= data.Length || pos > MaxHeaderBytes)
                throw new MeshFormatException($"{name}: PLY header has no \"end_header\" line{(pos > MaxHeaderBytes ? " in its first 1 MiB" : " (truncated)")}");
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) end = data.Length;
            var text = System.Text.Encoding.ASCII.GetString(data, pos, end - pos).TrimEnd('\r');
            pos = Math.Min(end + 1, data.Length);
            line++;
            if (line == 1) continue; // "ply"
            var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0) continue;
            string where = $"{name}: header line {line}";
            switch (words[0])
            {
                case "format":
                    if (words.Length != 3) throw new MeshFormatException($"{where}: expected \"format <ascii|binary_little_endian|binary_big_endian> 1.0\"");
                    encoding = words[1] switch
                    {
                        "ascii" => PlyEncoding.Ascii,
                        "binary_little_endian" => PlyEncoding.BinaryLittleEndian,
                        "binary_big_endian" => PlyEncoding.BinaryBigEndian,
                        _ => throw new MeshFormatException($"{where}: unknown PLY format \"{words[1]}\""),
                    };
                    if (words[2] != "1.0") throw new MeshFormatException($"{where}: unsupported PLY version {words[2]} (1.0 expected)");
                    break;
                case "comment": case "obj_info": break;
                case "element":
                    if (words.Length != 3 || !long.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out long count))
                        throw new MeshFormatException($"{where}: expected \"element <name> <count>\", got \"{text}\"");
                    elements.Add(new PlyElement(words[1], count, []));
                    break;
                case "property":
                    if (elements.Count == 0) throw new MeshFormatException($"{where}: property before any element");
                    elements[^1].Properties.Add(Property(words, where));
                    break;
                case "end_header":
                    if (encoding is null) throw new MeshFormatException($"{where}: end_header before any \"format\" line");
                    var header = new PlyHeader { Encoding = encoding.Value, DataOffset = pos, DataLine = line + 1 };
                    header.Elements.AddRange(elements);
                    return header;
                default:
                    throw new MeshFormatException($"{where}: unknown header keyword \"{words[0]}\"");
            }
        }
    }

    static PlyProperty Property(string[] words, string where)
    {
        if (words.Length == 3 && PlyTypes.TryParse(words[1], out var type)) return new PlyProperty(words[2], type, false, default);
        if (words.Length == 5 && words[1] == "list" && PlyTypes.TryParse(words[2], out var countType) && PlyTypes.TryParse(words[3], out var itemType))
        {
            if (!PlyTypes.IsInteger(countType)) throw new MeshFormatException($"{where}: list count type must be an integer type, got {words[2]}");
            return new PlyProperty(words[4], itemType, true, countType);
        }
        throw new MeshFormatException($"{where}: expected \"property <type> <name>\" or \"property list <count type> <item type> <name>\", got \"{string.Join(' ', words)}\"");
    }
}
