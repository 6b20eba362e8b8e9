using System.Buffers.Binary;
using System.Globalization;

namespace NgpSharp.Geometry.MeshIo;

/// <summary>Reads the values after a PLY header, one typed value at a time.</summary>
abstract class PlyDataReader(byte[] data, int offset, string name)
{
    protected readonly byte[] Data = data;
    protected int Pos = offset;
    protected readonly string Name = name;

    public long RemainingBytes => Data.Length - Pos;

    /// <summary>Where the reader is, for error messages (ASCII: the line).</summary>
    public abstract string Location { get; }

    /// <summary>The smallest number of bytes one value can take (binary: its size; ASCII: a digit and a separator).</summary>
    public abstract long MinBytes(PlyType type);

    /// <summary>Reads one value; <paramref name="context"/> names the element record for errors.</summary>
    public abstract double Read(PlyType type, string context);

    public static PlyDataReader Create(PlyHeader header, byte[] data, string name) => header.Encoding switch
    {
        PlyEncoding.Ascii => new Ascii(data, header.DataOffset, header.DataLine, name),
        PlyEncoding.BinaryLittleEndian => new Binary(data, header.DataOffset, name, littleEndian: true),
        _ => new Binary(data, header.DataOffset, name, littleEndian: false),
    };

    sealed class Binary(byte[] data, int offset, string name, bool littleEndian) : PlyDataReader(data, offset, name)
    {
        public override string Location => $"byte {Pos}";

        public override long MinBytes(PlyType type) => PlyTypes.Size(type);

        public override double Read(PlyType type, string context)
        {
            int size = PlyTypes.Size(type);
            if (Pos + size > Data.Length) throw new MeshFormatException($"{Name}: {context}: file truncated (needs {size} more bytes at byte {Pos}, file has {Data.Length})");
            var s = Data.AsSpan(Pos, size);
            Pos += size;
            return type switch
            {
                PlyType.Int8 => (sbyte)s[0],
                PlyType.UInt8 => s[0],
                PlyType.Int16 => littleEndian ? BinaryPrimitives.ReadInt16LittleEndian(s) : BinaryPrimitives.ReadInt16BigEndian(s),
                PlyType.UInt16 => littleEndian ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s),
                PlyType.Int32 => littleEndian ? BinaryPrimitives.ReadInt32LittleEndian(s) : BinaryPrimitives.ReadInt32BigEndian(s),
                PlyType.UInt32 => littleEndian ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s),
                PlyType.Float32 => littleEndian ? BinaryPrimitives.ReadSingleLittleEndian(s) : BinaryPrimitives.ReadSingleBigEndian(s),
                _ => littleEndian ? BinaryPrimitives.ReadDoubleLittleEndian(s) : BinaryPrimitives.ReadDoubleBigEndian(s),
            };
        }
    }

    sealed class Ascii(byte[] data, int offset, int line, string name) : PlyDataReader(data, offset, name)
    {
        int _line = line;

        public override string Location => $"line {_line}";

        public override long MinBytes(PlyType type) => 2;

        public override double Read(PlyType type, string context)
        {
            while (Pos < Data.Length && Data[Pos] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                if (Data[Pos] == '\n') _line++;
                Pos++;
            }
            if (Pos >= Data.Length) throw new MeshFormatException($"{Name}: {context}: file truncated (ran out of values at line {_line})");
            int start = Pos;
            while (Pos < Data.Length && Data[Pos] is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')) Pos++;
            var token = Data.AsSpan(start, Pos - start);
            double value;
            bool ok;
            if (PlyTypes.IsInteger(type))
            {
                ok = long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer);
                value = integer;
            }
            else ok = double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
            if (!ok) throw new MeshFormatException($"{Name}: line {_line}: {context}: \"{System.Text.Encoding.ASCII.GetString(token)}\" is not a valid {type} value");
            return value;
        }
    }
}
