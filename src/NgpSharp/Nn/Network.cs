using System.Numerics;
using NgpSharp.Compute;

namespace NgpSharp.Nn;

/// <summary>A neural network [B, InputWidth] → [B, OutputWidth] (tiny-cuda-nn's Network).</summary>
public abstract class Network<T> : DifferentiableObject<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    protected Network(Backend backend) : base(backend) { }

    /// <summary>Input widths must be padded to a multiple of this (16 for FullyFusedMLP configs, as tiny-cuda-nn).</summary>
    public virtual int RequiredInputAlignment => 1;

    /// <summary>
    /// Number of parameters that are weight matrices (placed first in the parameter slice); optimizers apply
    /// L2 regularisation to these only.
    /// </summary>
    public virtual long MatrixParamCount => ParamCount;
}
