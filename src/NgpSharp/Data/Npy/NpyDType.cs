namespace NgpSharp.Data.Npy;

/// <summary>
/// An element type of an .npy array: numpy's kind character ('f' float, 'i' signed, 'u' unsigned, 'b' bool) and the
/// item size in bytes. Byte order is a property of the file, not of the array: <see cref="NpyArray"/> keeps its
/// data in the machine's byte order.
/// </summary>
public readonly record struct NpyDType
{
    NpyDType(char kind, int itemSize) => (Kind, ItemSize) = (kind, itemSize);

    /// <summary>'f', 'i', 'u' or 'b'.</summary>
    public char Kind { get; }

    /// <summary>Bytes per element (1, 2, 4 or 8).</summary>
    public int ItemSize { get; }

    public static NpyDType Float16 { get; } = new('f', 2);
    public static NpyDType Float32 { get; } = new('f', 4);
    public static NpyDType Float64 { get; } = new('f', 8);
    public static NpyDType Int8 { get; } = new('i', 1);
    public static NpyDType Int16 { get; } = new('i', 2);
    public static NpyDType Int32 { get; } = new('i', 4);
    public static NpyDType Int64 { get; } = new('i', 8);
    public static NpyDType UInt8 { get; } = new('u', 1);
    public static NpyDType UInt16 { get; } = new('u', 2);
    public static NpyDType UInt32 { get; } = new('u', 4);
    public static NpyDType UInt64 { get; } = new('u', 8);
    public static NpyDType Bool { get; } = new('b', 1);

    /// <summary>All supported types.</summary>
    public static IReadOnlyList<NpyDType> All { get; } =
        [Float16, Float32, Float64, Int8, Int16, Int32, Int64, UInt8, UInt16, UInt32, UInt64, Bool];

    public bool IsFloatingPoint => Kind == 'f';
    public bool IsInteger => Kind is 'i' or 'u';

    /// <summary>numpy's name without byte order: "f8", "i4", "b1", ...</summary>
    public string Name => $"{Kind}{ItemSize}";

    /// <summary>The .NET element type: Half, float, double, sbyte, short, int, long, byte, ushort, uint, ulong or bool.</summary>
    public Type ClrType => (Kind, ItemSize) switch
    {
        ('f', 2) => typeof(Half), ('f', 4) => typeof(float), ('f', 8) => typeof(double),
        ('i', 1) => typeof(sbyte), ('i', 2) => typeof(short), ('i', 4) => typeof(int), ('i', 8) => typeof(long),
        ('u', 1) => typeof(byte), ('u', 2) => typeof(ushort), ('u', 4) => typeof(uint), ('u', 8) => typeof(ulong),
        _ => typeof(bool),
    };

    public override string ToString() => Name;

    /// <summary>The dtype whose <see cref="ClrType"/> is <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException">T is not one of the supported element types.</exception>
    public static NpyDType Of<T>() where T : unmanaged
    {
        foreach (var d in All)
            if (d.ClrType == typeof(T)) return d;
        throw new NotSupportedException($"{typeof(T).Name} is not an .npy element type (supported: {string.Join(", ", All.Select(d => d.ClrType.Name))})");
    }

    /// <summary>
    /// Parses a header 'descr' such as "&lt;f8", "&gt;i4", "|u1", "|b1", "=f4" or "?": the type and whether its bytes are
    /// big-endian. Returns an error message (and default) for anything else: pickled objects, strings, structured
    /// or complex types, unknown codes.
    /// </summary>
    public static (NpyDType Type, bool BigEndian, string? Error) Parse(string descr)
    {
        string s = descr;
        if (s == "?") s = "|b1";
        char order = s.Length > 0 && s[0] is '<' or '>' or '|' or '=' ? s[0] : '\0';
        string code = order == '\0' ? s : s[1..];
        if (code.Length > 0 && code[0] == 'O')
            return (default, false, $"object arrays ('{descr}': pickled Python objects) are not supported; save plain numeric arrays");
        if (code.Length >= 2 && code[0] is 'f' or 'i' or 'u' or 'b' && int.TryParse(code.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int size))
        {
            foreach (var d in All)
                if (d.Kind == code[0] && d.ItemSize == size)
                {
                    bool big = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
                    if (size == 1 && order is '<' or '>') big = false; // byte order is meaningless for one byte
                    return (d, big, null);
                }
        }
        string kindName = code.Length == 0 ? "" : code[0] switch
        {
            'c' => " (complex)", 'U' or 'S' or 'a' => " (strings)", 'V' => " (void/structured)", 'M' or 'm' => " (datetime)", _ => "",
        };
        return (default, false, $"unsupported dtype '{descr}'{kindName}; supported: {string.Join(", ", All.Select(d => d.Name))} (little or big endian)");
    }
}
