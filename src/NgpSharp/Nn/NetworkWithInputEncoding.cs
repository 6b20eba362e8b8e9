using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;

namespace NgpSharp.Nn;

/// <summary>
/// An encoding followed by a network (tiny-cuda-nn's NetworkWithInputEncoding): x [B, InputWidth] →
/// encoding → [B, padded encoded width] → network → y [B, OutputWidth]. Parameters: the network's first (its
/// weight matrices are the optimizer's "matrix" parameters), then the encoding's.
/// </summary>
public sealed class NetworkWithInputEncoding<T> : Network<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <param name="encoding">Maps [B, inputs] to features; its output is padded to the network's input alignment here.</param>
    /// <param name="network">Its InputWidth must equal the encoding's padded output width.</param>
    public NetworkWithInputEncoding(Encoding<T> encoding, Network<T> network) : base(encoding.Backend)
    {
        if (!ReferenceEquals(encoding.Backend, network.Backend)) throw new ArgumentException("encoding and network live on different backends");
        encoding.SetAlignment(network.RequiredInputAlignment);
        if (encoding.OutputWidth != network.InputWidth)
            throw new ArgumentException($"the encoding outputs {encoding.OutputWidth} values per element (padded to {network.RequiredInputAlignment}), the network takes {network.InputWidth}");
        Encoding = encoding;
        Net = network;
    }

    public Encoding<T> Encoding { get; }
    public Network<T> Net { get; }

    public override int InputWidth => Encoding.InputWidth;
    public override int OutputWidth => Net.OutputWidth;
    public override long ParamCount => Net.ParamCount + Encoding.ParamCount;
    public override long MatrixParamCount => Net.MatrixParamCount;
    public override int BatchGranularity => (int)Math.Max(Encoding.BatchGranularity, Net.BatchGranularity);

    protected override void OnParamsSet()
    {
        long n = Net.ParamCount;
        Net.SetParams(Params.Slice(0, n), Gradients.Slice(0, n));
        Encoding.SetParams(Params.Slice(n), Gradients.Slice(n));
    }

    public override void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f)
    {
        long n = Net.ParamCount;
        Net.InitializeParams(ref rng, parameters.Slice(0, n), scale);
        Encoding.InitializeParams(ref rng, parameters.Slice(n), scale);
    }

    sealed class Context : ForwardContext
    {
        public required DeviceMatrix<T> Encoded;
        public ForwardContext? EncodingContext, NetworkContext;

        public override void Dispose()
        {
            EncodingContext?.Dispose();
            NetworkContext?.Dispose();
            base.Dispose();
        }
    }

    protected override ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        var ctx = new Context { Encoded = default };
        ctx.Own(Backend.AllocateMatrix<T>(input.Rows, Encoding.OutputWidth, out var encoded));
        ctx.Encoded = encoded;
        ctx.EncodingContext = Encoding.Forward(input, encoded, prepareBackward);
        ctx.NetworkContext = Net.Forward(encoded, output, prepareBackward);
        return ctx;
    }

    protected override void BackwardCore(ForwardContext context, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        var ctx = (Context)context;
        bool encodingNeedsGradient = (Encoding.ParamCount > 0 && paramGradients != GradientMode.Ignore) || dLdInput is not null;
        if (!encodingNeedsGradient)
        {
            Net.Backward(ctx.NetworkContext!, ctx.Encoded, output, dLdOutput, null, paramGradients);
            return;
        }
        using var dEncodedBuffer = Backend.AllocateMatrix<T>(input.Rows, Encoding.OutputWidth, out var dLdEncoded);
        Net.Backward(ctx.NetworkContext!, ctx.Encoded, output, dLdOutput, dLdEncoded, paramGradients);
        Encoding.Backward(ctx.EncodingContext!, input, ctx.Encoded, dLdEncoded, dLdInput, paramGradients);
    }

    public override JsonObject Hyperparams() => new()
    {
        ["otype"] = "NetworkWithInputEncoding",
        ["encoding"] = Encoding.Hyperparams(),
        ["network"] = Net.Hyperparams(),
    };

    public override void Dispose()
    {
        Encoding.Dispose();
        Net.Dispose();
        base.Dispose();
    }
}
