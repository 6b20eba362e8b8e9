using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// tiny-cuda-nn's "Identity" encoding: y = x·scale + offset, per column. input: [B, D], output: [B, D] (+ padding
/// of 1s). dL/dx = dL/dy·scale.
/// </summary>
public sealed class Identity<T> : ParameterFreeEncoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    readonly T _scale, _offset;

    public Identity(Backend backend, int inputDims, float scale = 1f, float offset = 0f) : base(backend, inputDims)
    {
        if (!float.IsFinite(scale) || !float.IsFinite(offset)) throw new ArgumentException($"Identity: scale {scale} and offset {offset} must be finite");
        Scale = scale;
        Offset = offset;
        _scale = T.CreateChecked(scale);
        _offset = T.CreateChecked(offset);
    }

    /// <summary>Keys: scale (default 1), offset (default 0).</summary>
    public static Identity<T> FromJson(Backend backend, int inputDims, JsonConfig config) =>
        new(backend, inputDims, config.Float("scale", 1f), config.Float("offset", 0f));

    public float Scale { get; }
    public float Offset { get; }

    public override int EncodedWidth => InputWidth;

    private protected override CudaEncodingKernels? CudaKernels => new("Identity.cu", "kernel_identity_forward", "kernel_identity_backward", InputWidth, InputWidth, Scale: Scale, Offset: Offset);

    public override JsonObject Hyperparams() => new() { ["otype"] = "Identity", ["scale"] = Scale, ["offset"] = Offset };

    protected override void EncodeRows(DeviceMatrix<T> input, DeviceMatrix<T> output, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = output.Cols;
        var x = input.AsSpan();
        var y = output.AsSpan();
        if (outW == d) Affine(x[(rowStart * d)..(rowEnd * d)], y[(rowStart * d)..(rowEnd * d)], _scale, _offset);
        else for (int r = rowStart; r < rowEnd; r++) Affine(x.Slice(r * d, d), y.Slice(r * outW, d), _scale, _offset);
    }

    protected override void InputGradientRows(DeviceMatrix<T> input, DeviceMatrix<T> output, DeviceMatrix<T> dLdOutput,
        DeviceMatrix<T> dLdInput, int rowStart, int rowEnd)
    {
        int d = InputWidth, outW = dLdOutput.Cols;
        var dy = dLdOutput.AsSpan();
        var dx = dLdInput.AsSpan();
        if (outW == d) Affine(dy[(rowStart * d)..(rowEnd * d)], dx[(rowStart * d)..(rowEnd * d)], _scale, T.Zero);
        else for (int r = rowStart; r < rowEnd; r++) Affine(dy.Slice(r * outW, d), dx.Slice(r * d, d), _scale, T.Zero);
    }

    /// <summary>y = x·a + b elementwise (SIMD).</summary>
    static void Affine(ReadOnlySpan<T> x, Span<T> y, T a, T b)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<T>.Count)
        {
            var va = new Vector<T>(a);
            var vb = new Vector<T>(b);
            for (; i <= x.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(x[i..]) * va + vb).CopyTo(y[i..]);
        }
        for (; i < x.Length; i++) y[i] = x[i] * a + b;
    }
}
