using System.Numerics;
using System.Runtime.InteropServices;

namespace NgpSharp.Data.Npy;

/// <summary>
/// An n-dimensional numeric array as stored in an .npy file: element type, shape and the elements in C order
/// (row-major, last index fastest) in the machine's byte order, whatever order and byte order the file used.
/// A 0-d array (shape ()) holds one element; an array with a zero dimension holds none.
/// </summary>
public sealed class NpyArray
{
    readonly byte[] _data;
    readonly int[] _shape;

    internal NpyArray(NpyDType dtype, int[] shape, byte[] data)
    {
        (DType, _shape, _data) = (dtype, shape, data);
        Length = checked((int)(data.LongLength / dtype.ItemSize));
    }

    public NpyDType DType { get; }

    /// <summary>The dimensions; empty for a 0-d (scalar) array.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (the product of <see cref="Shape"/>; 1 for a 0-d array).</summary>
    public int Length { get; }

    /// <summary>The elements' bytes: C order, machine byte order, Length·ItemSize bytes.</summary>
    public ReadOnlySpan<byte> RawBytes => _data;

    /// <summary>"f8 (3, 4, 5)".</summary>
    public string Description => $"{DType} ({string.Join(", ", _shape)}{(_shape.Length == 1 ? "," : "")})";

    public override string ToString() => Description;

    /// <summary>An array of <paramref name="values"/> (C order) with the given shape (empty: 0-d, one value).</summary>
    /// <exception cref="ArgumentException">The shape's product differs from the number of values, or a dimension is negative.</exception>
    public static NpyArray Create<T>(ReadOnlySpan<T> values, params int[] shape) where T : unmanaged
    {
        var dtype = NpyDType.Of<T>();
        long count = shape.Contains(0) ? 0 : 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape ({string.Join(", ", shape)}) has a negative dimension", nameof(shape));
            count *= d;
            if (count > Array.MaxLength) throw new ArgumentException($"shape ({string.Join(", ", shape)}) is too large", nameof(shape));
        }
        if (count != values.Length)
            throw new ArgumentException($"shape ({string.Join(", ", shape)}) holds {count} elements but {values.Length} values were given", nameof(shape));
        var data = MemoryMarshal.AsBytes(values).ToArray();
        if (typeof(T) == typeof(bool))
            for (int i = 0; i < data.Length; i++) data[i] = data[i] != 0 ? (byte)1 : (byte)0;
        return new NpyArray(dtype, (int[])shape.Clone(), data);
    }

    /// <summary>A 0-d array holding <paramref name="value"/>.</summary>
    public static NpyArray Scalar<T>(T value) where T : unmanaged => Create<T>([value]);

    /// <summary>
    /// The elements as <typeparamref name="T"/> exactly (no conversion), C order.
    /// </summary>
    /// <exception cref="InvalidOperationException">T is not the array's element type.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (typeof(T) != DType.ClrType)
            throw new InvalidOperationException($"the array holds {DType} ({DType.ClrType.Name}), not {typeof(T).Name}; use ToDoubles/ToFloats/ToInt64s to convert");
        return MemoryMarshal.Cast<byte, T>(_data).ToArray();
    }

    /// <summary>Every element converted to double (bool → 0/1), C order.</summary>
    public double[] ToDoubles()
    {
        var result = new double[Length];
        for (int i = 0; i < result.Length; i++) result[i] = ElementAsDouble(i);
        return result;
    }

    /// <summary>Every element converted to float (rounded to nearest; bool → 0/1), C order.</summary>
    public float[] ToFloats()
    {
        if (DType == NpyDType.Float32) return ToArray<float>();
        var result = new float[Length];
        for (int i = 0; i < result.Length; i++) result[i] = (float)ElementAsDouble(i);
        return result;
    }

    /// <summary>Integer or bool elements as long, C order.</summary>
    /// <exception cref="InvalidOperationException">Floating-point elements, or a u8 value beyond long's range.</exception>
    public long[] ToInt64s()
    {
        RequireIntegral("ToInt64s");
        var result = new long[Length];
        for (int i = 0; i < result.Length; i++)
        {
            if (DType == NpyDType.UInt64)
            {
                ulong u = MemoryMarshal.Cast<byte, ulong>(_data)[i];
                if (u > long.MaxValue) throw new InvalidOperationException($"element {i} = {u} does not fit a long");
                result[i] = (long)u;
            }
            else result[i] = IntegerAt(i);
        }
        return result;
    }

    /// <summary>Integer or bool elements as int, C order.</summary>
    /// <exception cref="InvalidOperationException">Floating-point elements, or a value beyond int's range.</exception>
    public int[] ToInt32s()
    {
        var wide = ToInt64s();
        var result = new int[wide.Length];
        for (int i = 0; i < wide.Length; i++)
        {
            if (wide[i] < int.MinValue || wide[i] > int.MaxValue) throw new InvalidOperationException($"element {i} = {wide[i]} does not fit an int");
            result[i] = (int)wide[i];
        }
        return result;
    }

    /// <summary>Elements as bool: b1 as stored, numbers as "≠ 0", C order.</summary>
    public bool[] ToBooleans()
    {
        var result = new bool[Length];
        for (int i = 0; i < result.Length; i++) result[i] = ElementAsDouble(i) != 0;
        return result;
    }

    /// <summary>The element at a multi-index (one index per dimension; none for 0-d) as double.</summary>
    public double GetDouble(params ReadOnlySpan<int> index)
    {
        if (index.Length != _shape.Length)
            throw new ArgumentException($"{index.Length} indices for a {_shape.Length}-d array of shape ({string.Join(", ", _shape)})", nameof(index));
        long flat = 0;
        for (int k = 0; k < index.Length; k++)
        {
            if ((uint)index[k] >= (uint)_shape[k])
                throw new ArgumentOutOfRangeException(nameof(index), $"index {index[k]} is outside dimension {k} of size {_shape[k]}");
            flat = flat * _shape[k] + index[k];
        }
        return ElementAsDouble((int)flat);
    }

    /// <summary>
    /// A 4×4 array as a <see cref="Matrix4x4"/> element by element: M<sub>ij</sub> = a[i−1, j−1]. numpy matrices act
    /// on column vectors (y = A·x), System.Numerics on row vectors, so <c>Matrix4x4.Transpose(a.ToMatrix4x4())</c>
    /// is the transform to use with <c>Vector4.Transform</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">The shape is not (4, 4).</exception>
    public Matrix4x4 ToMatrix4x4()
    {
        if (_shape is not [4, 4]) throw new InvalidOperationException($"expected a 4×4 matrix, the array is {Description}");
        var v = ToDoubles();
        return new Matrix4x4(
            (float)v[0], (float)v[1], (float)v[2], (float)v[3],
            (float)v[4], (float)v[5], (float)v[6], (float)v[7],
            (float)v[8], (float)v[9], (float)v[10], (float)v[11],
            (float)v[12], (float)v[13], (float)v[14], (float)v[15]);
    }

    void RequireIntegral(string method)
    {
        if (DType.IsFloatingPoint)
            throw new InvalidOperationException($"{method}: the array holds floating-point {DType}; use ToDoubles or ToFloats");
    }

    long IntegerAt(int i) => (DType.Kind, DType.ItemSize) switch
    {
        ('i', 1) => (sbyte)_data[i],
        ('i', 2) => MemoryMarshal.Cast<byte, short>(_data)[i],
        ('i', 4) => MemoryMarshal.Cast<byte, int>(_data)[i],
        ('i', 8) => MemoryMarshal.Cast<byte, long>(_data)[i],
        ('u', 1) => _data[i],
        ('u', 2) => MemoryMarshal.Cast<byte, ushort>(_data)[i],
        ('u', 4) => MemoryMarshal.Cast<byte, uint>(_data)[i],
        ('u', 8) => (long)MemoryMarshal.Cast<byte, ulong>(_data)[i],
        _ => _data[i] != 0 ? 1 : 0, // b1
    };

    double ElementAsDouble(int i) => (DType.Kind, DType.ItemSize) switch
    {
        ('f', 2) => (double)MemoryMarshal.Cast<byte, Half>(_data)[i],
        ('f', 4) => MemoryMarshal.Cast<byte, float>(_data)[i],
        ('f', 8) => MemoryMarshal.Cast<byte, double>(_data)[i],
        ('u', 8) => MemoryMarshal.Cast<byte, ulong>(_data)[i],
        _ => IntegerAt(i),
    };
}
