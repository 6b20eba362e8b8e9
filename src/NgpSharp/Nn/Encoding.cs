using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Nn;

/// <summary>
/// Maps inputs [B, InputWidth] to features [B, OutputWidth] (tiny-cuda-nn's Encoding). The output may be padded
/// to a network's input alignment: columns past <see cref="EncodedWidth"/> hold <see cref="PaddingValue"/>.
/// </summary>
public abstract class Encoding<T> : DifferentiableObject<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    int _paddedWidth = -1;

    protected Encoding(Backend backend) : base(backend) { }

    /// <summary>Width of the encoding proper, before padding.</summary>
    public abstract int EncodedWidth { get; }

    /// <summary>Encoded width padded up to the alignment set by <see cref="SetAlignment"/>.</summary>
    public sealed override int OutputWidth => _paddedWidth < 0 ? EncodedWidth : _paddedWidth;

    /// <summary>Value of padding columns: 1 for encodings whose padding acts as a bias input, else 0.</summary>
    public virtual T PaddingValue => T.Zero;

    /// <summary>Pads the output width up to a multiple of <paramref name="alignment"/> (≥ 1).</summary>
    public virtual void SetAlignment(int alignment)
    {
        if (alignment < 1) throw new ArgumentOutOfRangeException(nameof(alignment), alignment, "alignment must be ≥ 1");
        _paddedWidth = (EncodedWidth + alignment - 1) / alignment * alignment;
    }

    protected override void AfterForward(DeviceMatrix<T> output)
    {
        int pad = OutputWidth - EncodedWidth;
        if (pad == 0) return;
        if (Backend.Kind == BackendKind.Cuda) { Encodings.MatrixColumns.Fill(output, EncodedWidth, pad, PaddingValue); return; }
        if (Backend.Kind != BackendKind.Cpu) throw new NotSupportedException("padding fill on this backend");
        var span = output.AsSpan();
        int width = output.Cols;
        for (int r = 0; r < output.Rows; r++) span.Slice(r * width + EncodedWidth, pad).Fill(PaddingValue);
    }
}
