using System.Globalization;
using System.Numerics;
using System.Text;

namespace NgpSharp.Data.Npy;

/// <summary>What an .npy header says: element type, byte order, memory order and shape.</summary>
internal readonly record struct NpyHeader(NpyDType DType, bool BigEndian, bool FortranOrder, int[] Shape);

/// <summary>
/// The .npy header dictionary, a Python literal such as
/// <c>{'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }</c>: parsed with a small literal parser (strings,
/// True/False/None, integers with an optional Python 2 'L', tuples, lists, dicts), never evaluated.
/// </summary>
internal static class NpyHeaderCodec
{
    public static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Parses the header text; <paramref name="where"/> prefixes every error message.</summary>
    public static NpyHeader Parse(string text, string where)
    {
        object? value;
        try
        {
            var p = new LiteralParser(text);
            value = p.ParseValue();
            p.SkipSpace();
            if (!p.AtEnd) throw new FormatException($"unexpected '{p.Peek}' after the dictionary at offset {p.Position}");
        }
        catch (FormatException e)
        {
            throw new NpyFormatException($"{where}: bad header: {e.Message} (header: {Shorten(text)})");
        }
        if (value is not Dictionary<string, object?> dict)
            throw new NpyFormatException($"{where}: bad header: expected a dictionary, got {Shorten(text)}");
        foreach (var key in dict.Keys)
            if (key is not ("descr" or "fortran_order" or "shape"))
                throw new NpyFormatException($"{where}: bad header: unexpected key '{key}' (an .npy header has exactly 'descr', 'fortran_order' and 'shape')");

        if (!dict.TryGetValue("descr", out var descrValue)) throw new NpyFormatException($"{where}: bad header: missing 'descr'");
        if (descrValue is List<object?>)
            throw new NpyFormatException($"{where}: structured dtypes (a list of fields in 'descr') are not supported");
        if (descrValue is not string descr) throw new NpyFormatException($"{where}: bad header: 'descr' must be a string, got {Describe(descrValue)}");
        var (dtype, bigEndian, error) = NpyDType.Parse(descr);
        if (error is not null) throw new NpyFormatException($"{where}: {error}");

        if (!dict.TryGetValue("fortran_order", out var fortranValue)) throw new NpyFormatException($"{where}: bad header: missing 'fortran_order'");
        if (fortranValue is not bool fortran) throw new NpyFormatException($"{where}: bad header: 'fortran_order' must be True or False, got {Describe(fortranValue)}");

        if (!dict.TryGetValue("shape", out var shapeValue)) throw new NpyFormatException($"{where}: bad header: missing 'shape'");
        if (shapeValue is not List<object?> dims) throw new NpyFormatException($"{where}: bad header: 'shape' must be a tuple of integers, got {Describe(shapeValue)}");
        var shape = new int[dims.Count];
        for (int i = 0; i < dims.Count; i++)
        {
            if (dims[i] is not BigInteger d) throw new NpyFormatException($"{where}: bad header: shape[{i}] is {Describe(dims[i])}, not an integer");
            if (d < 0) throw new NpyFormatException($"{where}: bad header: shape[{i}] = {d} is negative");
            if (d > int.MaxValue) throw new NpyFormatException($"{where}: absurd shape: dimension {i} is {d} (more than {int.MaxValue})");
            shape[i] = (int)d;
        }
        return new NpyHeader(dtype, bigEndian, fortran, shape);
    }

    /// <summary>
    /// The whole preamble: magic, version, header length, the dictionary padded with spaces and a newline so that
    /// the data starts at a multiple of 64 bytes (numpy ≥ 1.14). Version 1.0 unless the header needs more than
    /// 65535 bytes (then 2.0).
    /// </summary>
    public static byte[] Format(NpyHeader header)
    {
        char order = header.DType.ItemSize == 1 ? '|' : header.BigEndian ? '>' : '<';
        string shape = header.Shape.Length == 1
            ? $"({header.Shape[0].ToString(CultureInfo.InvariantCulture)},)"
            : "(" + string.Join(", ", header.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")";
        string dict = $"{{'descr': '{order}{header.DType.Name}', 'fortran_order': {(header.FortranOrder ? "True" : "False")}, 'shape': {shape}, }}";
        int major = dict.Length + 1 + 10 > 0xFFFF + 10 ? 2 : 1;
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        var bytes = new byte[total];
        Magic.CopyTo(bytes, 0);
        bytes[6] = (byte)major;
        int length = total - prefix;
        if (major == 1) { bytes[8] = (byte)length; bytes[9] = (byte)(length >> 8); }
        else System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), length);
        Encoding.Latin1.GetBytes(dict, bytes.AsSpan(prefix));
        bytes.AsSpan(prefix + dict.Length, length - dict.Length - 1).Fill((byte)' ');
        bytes[^1] = (byte)'\n';
        return bytes;
    }

    static string Shorten(string text)
    {
        string t = text.TrimEnd();
        return t.Length <= 120 ? $"\"{t}\"" : $"\"{t[..120]}…\" ({t.Length} characters)";
    }

    static string Describe(object? v) => v switch
    {
        null => "None", string s => $"'{s}'", bool b => b ? "True" : "False", BigInteger i => i.ToString(CultureInfo.InvariantCulture),
        List<object?> => "a tuple/list", Dictionary<string, object?> => "a dictionary", _ => v.ToString() ?? "?",
    };

    /// <summary>A recursive-descent parser for the Python literals an .npy header may hold.</summary>
    sealed class LiteralParser(string text)
    {
        int _pos;
        int _depth;

        public int Position => _pos;
        public bool AtEnd => _pos >= text.Length;
        public char Peek => text[_pos];

        public void SkipSpace()
        {
            while (_pos < text.Length && text[_pos] is ' ' or '\t' or '\n' or '\r' or '\0') _pos++;
        }

        public object? ParseValue()
        {
            SkipSpace();
            if (AtEnd) throw new FormatException("unexpected end of header");
            if (++_depth > 16) throw new FormatException("nesting too deep");
            try
            {
                char c = text[_pos];
                return c switch
                {
                    '{' => ParseDict(),
                    '(' => ParseSequence(')'),
                    '[' => ParseSequence(']'),
                    '\'' or '"' => ParseString(),
                    _ when c == '-' || char.IsAsciiDigit(c) => ParseInteger(),
                    _ when char.IsAsciiLetter(c) => ParseName(),
                    _ => throw new FormatException($"unexpected '{c}' at offset {_pos}"),
                };
            }
            finally { _depth--; }
        }

        Dictionary<string, object?> ParseDict()
        {
            _pos++; // '{'
            var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (true)
            {
                SkipSpace();
                if (AtEnd) throw new FormatException("unterminated dictionary");
                if (text[_pos] == '}') { _pos++; return dict; }
                if (ParseValue() is not string key) throw new FormatException($"dictionary keys must be strings (offset {_pos})");
                Expect(':');
                var value = ParseValue();
                if (!dict.TryAdd(key, value)) throw new FormatException($"duplicate key '{key}'");
                if (!SeparatorOrEnd('}')) return dict;
            }
        }

        List<object?> ParseSequence(char close)
        {
            _pos++; // '(' or '['
            var items = new List<object?>();
            while (true)
            {
                SkipSpace();
                if (AtEnd) throw new FormatException($"unterminated sequence (missing '{close}')");
                if (text[_pos] == close) { _pos++; return items; }
                if (items.Count >= 64) throw new FormatException("more than 64 items in a sequence");
                items.Add(ParseValue());
                if (!SeparatorOrEnd(close)) return items;
            }
        }

        /// <summary>After an item: ',' (true: more may follow) or the closing bracket (consumed; false).</summary>
        bool SeparatorOrEnd(char close)
        {
            SkipSpace();
            if (AtEnd) throw new FormatException($"unexpected end of header (missing '{close}')");
            char c = text[_pos++];
            if (c == ',') return true;
            if (c == close) return false;
            throw new FormatException($"expected ',' or '{close}' at offset {_pos - 1}, found '{c}'");
        }

        void Expect(char c)
        {
            SkipSpace();
            if (AtEnd || text[_pos] != c) throw new FormatException($"expected '{c}' at offset {_pos}");
            _pos++;
        }

        string ParseString()
        {
            char quote = text[_pos++];
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw new FormatException("unterminated string");
                char c = text[_pos++];
                if (c == quote) return sb.ToString();
                if (c == '\\')
                {
                    if (AtEnd) throw new FormatException("unterminated string");
                    char e = text[_pos++];
                    sb.Append(e switch { 'n' => '\n', 't' => '\t', 'r' => '\r', '0' => '\0', _ => e });
                }
                else if (c is '\n' or '\r') throw new FormatException("line break inside a string");
                else sb.Append(c);
                if (sb.Length > 256) throw new FormatException("string longer than 256 characters");
            }
        }

        BigInteger ParseInteger()
        {
            int start = _pos;
            if (text[_pos] == '-') _pos++;
            int digits = _pos;
            while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
            if (_pos == digits) throw new FormatException($"malformed number at offset {start}");
            if (_pos - start > 40) throw new FormatException($"integer too long at offset {start}");
            var value = BigInteger.Parse(text.AsSpan(start, _pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            if (_pos < text.Length && text[_pos] is 'L' or 'l') _pos++; // Python 2 long suffix (old numpy headers)
            if (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '.'))
                throw new FormatException($"malformed number at offset {start}");
            return value;
        }

        object? ParseName()
        {
            int start = _pos;
            while (_pos < text.Length && char.IsAsciiLetterOrDigit(text[_pos])) _pos++;
            string name = text[start.._pos];
            return name switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw new FormatException($"unknown name '{name}' at offset {start}"),
            };
        }
    }
}
