using System.Buffers.Binary;
using System.Text;
using System.Text.RegularExpressions;
using NgpSharp.Compute;

namespace NgpSharp.Tests.Fuzz;

/// <summary>A pcg32 stream for one fuzz case (a class, so mutations can share it).</summary>
public sealed class FuzzRandom(ulong seed, ulong stream)
{
    Rng _rng = new(seed, stream);

    /// <summary>Uniform in [0, bound).</summary>
    public int Next(int bound) => bound <= 1 ? 0 : (int)_rng.NextUInt((uint)bound);
    public bool Chance(int oneIn) => Next(oneIn) == 0;
    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];
    public uint NextUInt() => _rng.NextUInt();
}

/// <summary>
/// Deterministic mutations of a parser's input. Byte level: bit flips, random bytes, insertions, deletions,
/// truncations, chunk duplication, "interesting" integers (0, ±1, 2^7, 2^15, 2^31, 2^32 − 1, 2^63 …) written over
/// format fields (length fields a target names) or anywhere. Text level: numbers → NaN/1e308/−1/2^31 …, deleted or
/// inserted brackets and quotes, huge repeats, deep nesting, duplicated/deleted/shuffled lines, changed indentation.
/// Each mutation appends a short description (for the failure report).
/// </summary>
public static partial class FuzzMutator
{
    static readonly ulong[] InterestingIntegers =
        [0, 1, 2, 3, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000, ulong.MaxValue, ulong.MaxValue - 1];

    static readonly string[] Numbers =
        ["NaN", "nan", "-nan", "Infinity", "-Infinity", "inf", ".inf", "1e308", "-1e308", "1e999", "1e-320", "-1", "0", "-0", "0.5",
         "2147483647", "2147483648", "-2147483649", "4294967296", "9223372036854775808", "1e9", "99999999999999999999", "0x10", "1_0", "+5", "3."];

    static readonly string[] Insertions =
        ["[", "]", "{", "}", "\"", "'", ":", ",", "-", "- ", "#", "&a ", "*a", "!!str ", "? ", "|", ">", "\t", "\0", "\n", "${", "${a}", "}", "\\", "\uFFFD", "\uD800", "null", "~", "[]", "{}", "\"\"", "%", "@", "<<: "];

    /// <summary>One to three byte-level mutations (field offsets, when given, attract the integer writes).</summary>
    public static byte[] MutateBytes(byte[] input, FuzzRandom r, IReadOnlyList<int>? fields, StringBuilder log)
    {
        var data = input;
        for (int n = 1 + r.Next(3), i = 0; i < n; i++) data = MutateBytesOnce(data, r, fields, log);
        return data;
    }

    static byte[] MutateBytesOnce(byte[] d, FuzzRandom r, IReadOnlyList<int>? fields, StringBuilder log)
    {
        if (d.Length == 0) { log.Append("insert-into-empty; "); return [(byte)r.NextUInt()]; }
        int at = r.Next(d.Length);
        switch (r.Next(9))
        {
            case 0:
            {
                var c = (byte[])d.Clone();
                int bits = 1 + r.Next(8);
                for (int b = 0; b < bits; b++) { int p = r.Chance(2) ? at : r.Next(d.Length); c[p] ^= (byte)(1 << r.Next(8)); }
                log.Append($"flip {bits} bits near {at}; ");
                return c;
            }
            case 1:
            {
                var c = (byte[])d.Clone();
                c[at] = (byte)r.NextUInt();
                log.Append($"byte {at}; ");
                return c;
            }
            case 2:
            {
                int len = 1 + r.Next(r.Chance(4) ? 256 : 8);
                var ins = new byte[len];
                for (int k = 0; k < len; k++) ins[k] = r.Chance(2) ? (byte)r.NextUInt() : d[r.Next(d.Length)];
                log.Append($"insert {len} at {at}; ");
                return [.. d.AsSpan(0, at), .. ins, .. d.AsSpan(at)];
            }
            case 3:
            {
                int len = Math.Min(d.Length - at, 1 + r.Next(r.Chance(4) ? 1024 : 16));
                log.Append($"delete {len} at {at}; ");
                return [.. d.AsSpan(0, at), .. d.AsSpan(at + len)];
            }
            case 4:
                log.Append($"truncate to {at}; ");
                return d[..at];
            case 5:
            {
                int len = Math.Min(d.Length - at, 1 + r.Next(512));
                int to = r.Next(d.Length + 1);
                int times = r.Chance(8) ? 2 + r.Next(30) : 1;
                log.Append($"duplicate {len}@{at} ×{times} to {to}; ");
                var chunk = d.AsSpan(at, len).ToArray();
                var copies = Enumerable.Repeat(chunk, times).SelectMany(c => c).ToArray();
                return [.. d.AsSpan(0, to), .. copies, .. d.AsSpan(to)];
            }
            default:
            {
                var c = (byte[])d.Clone();
                int pos = fields is { Count: > 0 } && !r.Chance(4) ? fields[r.Next(fields.Count)] : at;
                ulong value = r.Pick(InterestingIntegers);
                if (r.Chance(3)) value += (ulong)(r.Next(5) - 2);
                int width = r.Pick([1, 2, 4, 4, 8]);
                bool big = r.Chance(2);
                if (pos < 0 || pos + width > c.Length) return c;
                Span<byte> bytes = stackalloc byte[8];
                if (big) BinaryPrimitives.WriteUInt64BigEndian(bytes, value << (64 - 8 * width)); else BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
                bytes[..width].CopyTo(c.AsSpan(pos));   // the value's low bytes, in the chosen order
                log.Append($"int 0x{value:X} ({width} B {(big ? "BE" : "LE")}) at {pos}; ");
                return c;
            }
        }
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?([eE][-+]?\d+)?")]
    private static partial Regex NumberToken();

    [GeneratedRegex(@"[A-Za-z_][A-Za-z0-9_]*")]
    private static partial Regex WordToken();

    /// <summary>One to three token-level mutations of UTF-8 text, sometimes followed by a byte-level one.</summary>
    public static byte[] MutateText(byte[] input, FuzzRandom r, StringBuilder log)
    {
        string text = Encoding.UTF8.GetString(input);
        for (int n = 1 + r.Next(3), i = 0; i < n; i++) text = MutateTextOnce(text, r, log);
        var bytes = Encoding.UTF8.GetBytes(text);
        return r.Chance(5) ? MutateBytes(bytes, r, null, log) : bytes;
    }

    static string MutateTextOnce(string s, FuzzRandom r, StringBuilder log)
    {
        if (s.Length == 0) return r.Pick(Insertions);
        int at = r.Next(s.Length);
        switch (r.Next(10))
        {
            case 0: case 1: case 2:
            {
                var numbers = NumberToken().Matches(s);
                if (numbers.Count == 0) goto case 4;
                var m = numbers[r.Next(numbers.Count)];
                string to = r.Pick(Numbers);
                log.Append($"number '{m.Value}'@{m.Index} → {to}; ");
                return string.Concat(s.AsSpan(0, m.Index), to, s.AsSpan(m.Index + m.Length));
            }
            case 3:
            {
                var brackets = Enumerable.Range(0, s.Length).Where(i => s[i] is '[' or ']' or '{' or '}' or '"' or ':' or ',').ToList();
                if (brackets.Count == 0) goto case 4;
                int i = r.Pick(brackets);
                log.Append($"delete '{s[i]}'@{i}; ");
                return s.Remove(i, 1);
            }
            case 4:
            {
                string ins = r.Pick(Insertions);
                log.Append($"insert '{Escape(ins)}'@{at}; ");
                return s.Insert(at, ins);
            }
            case 5:
            {
                int len = 1 + r.Next(Math.Min(12, s.Length - at));
                int times = r.Pick([10, 100, 1000, 10000, 100000]);
                log.Append($"repeat {len}@{at} ×{times}; ");
                return string.Concat(s.AsSpan(0, at), string.Concat(Enumerable.Repeat(s.Substring(at, len), times)), s.AsSpan(at));
            }
            case 6:
            {
                string open = r.Pick(["[", "{", "{\"a\":", "[[", "- ", "a:\n  "]);
                int depth = r.Pick([64, 200, 1000, 5000]);
                log.Append($"nest '{Escape(open)}' ×{depth}@{at}; ");
                return s.Insert(at, string.Concat(Enumerable.Repeat(open, depth)));
            }
            case 7:
            {
                var lines = s.Split('\n').ToList();
                int li = r.Next(lines.Count);
                switch (r.Next(4))
                {
                    case 0: lines.Insert(li, lines[r.Next(lines.Count)]); log.Append($"duplicate line {li}; "); break;
                    case 1: lines.RemoveAt(li); log.Append($"delete line {li}; "); break;
                    case 2: (lines[li], lines[r.Next(lines.Count)]) = (lines[r.Next(lines.Count)], lines[li]); log.Append($"swap line {li}; "); break;
                    default:
                        lines[li] = r.Chance(2) ? new string(' ', 1 + r.Next(5)) + lines[li] : lines[li].TrimStart();
                        log.Append($"indent line {li}; "); break;
                }
                return string.Join('\n', lines);
            }
            case 8:
            {
                var words = WordToken().Matches(s);
                if (words.Count == 0) goto case 4;
                var m = words[r.Next(words.Count)];
                string to = r.Chance(2) ? words[r.Next(words.Count)].Value : r.Pick(["null", "true", "~", "[]", "{}", "''", "\"\"", "x", "NaN"]);
                log.Append($"word '{m.Value}'@{m.Index} → {to}; ");
                return string.Concat(s.AsSpan(0, m.Index), to, s.AsSpan(m.Index + m.Length));
            }
            default:
            {
                int len = Math.Min(s.Length - at, 1 + r.Next(40));
                log.Append($"delete {len} chars@{at}; ");
                return s.Remove(at, len);
            }
        }
    }

    static string Escape(string s) => s.Replace("\n", "\\n").Replace("\t", "\\t").Replace("\0", "\\0");
}
