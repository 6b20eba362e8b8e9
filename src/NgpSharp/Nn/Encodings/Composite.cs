using System.Numerics;
using System.Text.Json.Nodes;
using NgpSharp.Compute;
using NgpSharp.Config;

namespace NgpSharp.Nn.Encodings;

/// <summary>
/// tiny-cuda-nn's "Composite" encoding: nested encodings each read a range of input columns and their outputs are
/// concatenated. input: [B, D]; output: [B, Σ nested widths] (+ padding with the last nested encoding's padding
/// value, as tiny-cuda-nn pads the last nested encoding). Parameters are the nested ones, concatenated in order.
/// The composite owns (and disposes) its nested encodings.
/// </summary>
public sealed class Composite<T> : Encoding<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A nested encoding reading input columns [InputBegin, InputBegin + Encoding.InputWidth).</summary>
    public readonly record struct Part(Encoding<T> Encoding, int InputBegin);

    readonly Part[] _parts;

    /// <summary>Nested encodings over explicit input ranges (they may overlap or leave columns unread).</summary>
    public Composite(Backend backend, int inputDims, IEnumerable<Part> parts) : base(backend)
    {
        ArgumentNullException.ThrowIfNull(parts);
        _parts = [.. parts];
        if (inputDims < 1) throw new ArgumentOutOfRangeException(nameof(inputDims), inputDims, "Composite: needs at least one input dimension");
        if (_parts.Length == 0) throw new ArgumentException("Composite: needs at least one nested encoding", nameof(parts));
        foreach (var (enc, begin) in _parts)
        {
            ArgumentNullException.ThrowIfNull(enc);
            if (!ReferenceEquals(enc.Backend, backend)) throw new ArgumentException($"Composite: nested {enc.GetType().Name} lives on another backend");
            if (begin < 0 || begin + enc.InputWidth > inputDims)
                throw new ArgumentException($"Composite: nested {enc.GetType().Name} reads input columns [{begin}, {begin + enc.InputWidth}), outside the {inputDims} input dims");
        }
        InputWidth = inputDims;
        Compute.Cuda.CudaElementType.RequireFloatOnCuda<T>(backend, "Composite");
    }

    /// <summary>Nested encodings reading consecutive input columns; the input width is the sum of theirs.</summary>
    public Composite(Backend backend, params Encoding<T>[] nested) : this(backend, nested.Sum(e => e.InputWidth), Consecutive(nested)) { }

    static IEnumerable<Part> Consecutive(Encoding<T>[] nested)
    {
        int begin = 0;
        foreach (var e in nested) { yield return new Part(e, begin); begin += e.InputWidth; }
    }

    /// <summary>
    /// Keys: nested (array of encoding configs, each with optional n_dims_to_encode and dims_to_encode_begin),
    /// reduction ("Concatenation" only). As tiny-cuda-nn: nested encodings consume input dims in order; at most one
    /// may leave n_dims_to_encode out and then takes the dims the others leave (none of them may then use
    /// dims_to_encode_begin); nested encodings with 0 dims are dropped. Nested encodings come from
    /// <see cref="EncodingFactory"/>.
    /// </summary>
    public static Composite<T> FromJson(Backend backend, int inputDims, JsonConfig config)
    {
        var nested = config.ObjectArray("nested");
        if (nested.Count == 0) throw config.Error("nested", "needs at least one nested encoding");
        string reduction = config.String("reduction", "Concatenation");
        if (!reduction.Equals("Concatenation", StringComparison.OrdinalIgnoreCase))
            throw config.Error("reduction", $"\"{reduction}\" is not supported (only \"Concatenation\"; tiny-cuda-nn's Sum and Product are not implemented)");

        bool explicitBegins = nested.Any(n => n.Has("dims_to_encode_begin"));
        int specified = 0;
        foreach (var n in nested)
        {
            int dims = n.Int("n_dims_to_encode", 0);
            if (dims < 0) throw n.Error("n_dims_to_encode", $"must be ≥ 0, got {dims}");
            specified += dims;
        }
        if (!explicitBegins && specified > inputDims)
            throw config.Error("nested", $"the nested encodings take {specified} input dims in total, but the composite gets only {inputDims}");

        int? rest = explicitBegins ? null : inputDims - specified;
        var parts = new List<Part>();
        try
        {
            int offset = 0;
            foreach (var n in nested)
            {
                int dims;
                if (n.Has("n_dims_to_encode"))
                {
                    if (n.Has("dims_to_encode_begin")) offset = n.Int("dims_to_encode_begin", 0);
                    dims = n.Int("n_dims_to_encode", 0);
                }
                else
                {
                    if (n.Has("dims_to_encode_begin")) throw n.Error("dims_to_encode_begin", "needs n_dims_to_encode beside it");
                    if (rest is null)
                        throw n.Error("n_dims_to_encode", explicitBegins
                            ? "is required when any nested encoding uses dims_to_encode_begin"
                            : "may be left out for only one nested encoding");
                    dims = rest.Value;
                    rest = null;
                }
                if (dims > 0)
                {
                    if (offset < 0 || offset + dims > inputDims)
                        throw n.Error("n_dims_to_encode", $"input dims [{offset}, {offset + dims}) are outside the composite's {inputDims} input dims");
                    parts.Add(new Part(EncodingFactory.Create<T>(backend, dims, n), offset));
                }
                offset += dims;
            }
            if (parts.Count == 0) throw config.Error("nested", "no nested encoding gets any input dims");
            return new Composite<T>(backend, inputDims, parts);
        }
        catch
        {
            foreach (var p in parts) p.Encoding.Dispose();
            throw;
        }
    }

    /// <summary>The nested encodings in output order.</summary>
    public IReadOnlyList<Part> Nested => _parts;

    public override int InputWidth { get; }

    public override int EncodedWidth => _parts.Sum(p => p.Encoding.OutputWidth);

    public override long ParamCount => _parts.Sum(p => p.Encoding.ParamCount);

    /// <summary>The last nested encoding's padding value (tiny-cuda-nn pads the last nested encoding).</summary>
    public override T PaddingValue => _parts[^1].Encoding.PaddingValue;

    public override void InitializeParams(ref Rng rng, DeviceSpan<T> parameters, float scale = 1f)
    {
        long offset = 0;
        foreach (var (enc, _) in _parts)
        {
            if (enc.ParamCount > 0) enc.InitializeParams(ref rng, parameters.Slice(offset, enc.ParamCount), scale);
            offset += enc.ParamCount;
        }
    }

    protected override void OnParamsSet()
    {
        long offset = 0;
        foreach (var (enc, _) in _parts)
        {
            if (enc.ParamCount > 0) enc.SetParams(Params.Slice(offset, enc.ParamCount), Gradients.Slice(offset, enc.ParamCount));
            offset += enc.ParamCount;
        }
    }

    public override JsonObject Hyperparams()
    {
        var nested = new JsonArray();
        int expectedBegin = 0;
        bool consecutive = _parts.All(p => { bool ok = p.InputBegin == expectedBegin; expectedBegin += p.Encoding.InputWidth; return ok; });
        foreach (var (enc, begin) in _parts)
        {
            var h = enc.Hyperparams();
            h["n_dims_to_encode"] = enc.InputWidth;
            if (!consecutive) h["dims_to_encode_begin"] = begin;
            nested.Add(h);
        }
        return new JsonObject { ["otype"] = "Composite", ["nested"] = nested };
    }

    /// <summary>Per nested encoding: its input and output matrices and its forward context.</summary>
    sealed class Context(int n) : ForwardContext
    {
        public readonly DeviceMatrix<T>[] Inputs = new DeviceMatrix<T>[n], Outputs = new DeviceMatrix<T>[n];
        public readonly ForwardContext[] Nested = new ForwardContext[n];
    }

    /// <summary>True when the single nested encoding reads the whole input and fills the whole output.</summary>
    bool IsPassThrough => _parts.Length == 1 && _parts[0].InputBegin == 0 && _parts[0].Encoding.InputWidth == InputWidth
        && _parts[0].Encoding.OutputWidth == OutputWidth;

    protected override ForwardContext ForwardCore(DeviceMatrix<T> input, DeviceMatrix<T> output, bool prepareBackward)
    {
        RequireSupportedBackend();
        int rows = input.Rows;
        var ctx = new Context(_parts.Length);
        int outCol = 0;
        for (int i = 0; i < _parts.Length; i++)
        {
            var (enc, begin) = _parts[i];
            DeviceMatrix<T> x = input, y = output;
            if (!IsPassThrough)
            {
                if (begin != 0 || enc.InputWidth != InputWidth)
                {
                    ctx.Own(Backend.AllocateMatrix<T>(rows, enc.InputWidth, out x));
                    MatrixColumns.Copy(input, begin, x, 0, enc.InputWidth);
                }
                ctx.Own(Backend.AllocateMatrix<T>(rows, enc.OutputWidth, out y));
            }
            ctx.Nested[i] = ctx.Own(enc.Forward(x, y, prepareBackward));
            ctx.Inputs[i] = x;
            ctx.Outputs[i] = y;
            if (!IsPassThrough) MatrixColumns.Copy(y, 0, output, outCol, enc.OutputWidth);
            outCol += enc.OutputWidth;
        }
        if (prepareBackward) return ctx;
        ctx.Dispose();
        return ForwardContext.Empty;
    }

    protected override void BackwardCore(ForwardContext ctx, DeviceMatrix<T> input, DeviceMatrix<T> output,
        DeviceMatrix<T> dLdOutput, DeviceMatrix<T>? dLdInput, GradientMode paramGradients)
    {
        RequireSupportedBackend();
        if (ctx is not Context c) throw new ArgumentException("Composite.Backward: the context does not come from this module's Forward (or Forward ran with prepareBackward: false)", nameof(ctx));
        int rows = input.Rows;
        if (dLdInput is { } dxAll && !IsPassThrough) Backend.Fill(dxAll.Data, T.Zero); // unread columns get 0; overlapping ranges add
        int outCol = 0;
        for (int i = 0; i < _parts.Length; i++)
        {
            var (enc, begin) = _parts[i];
            int width = enc.OutputWidth;
            bool wantParams = paramGradients != GradientMode.Ignore && enc.ParamCount > 0;
            if (!wantParams && dLdInput is null) { outCol += width; continue; }

            DeviceBuffer<T>? dyBuf = null, dxBuf = null;
            try
            {
                var dy = dLdOutput;
                DeviceMatrix<T>? dx = dLdInput;
                if (!IsPassThrough)
                {
                    dyBuf = Backend.AllocateMatrix<T>(rows, width, out dy);
                    MatrixColumns.Copy(dLdOutput, outCol, dy, 0, width);
                    if (dLdInput is not null) { dxBuf = Backend.AllocateMatrix<T>(rows, enc.InputWidth, out var m); dx = m; }
                }
                enc.Backward(c.Nested[i], c.Inputs[i], c.Outputs[i], dy, dx, paramGradients);
                if (dxBuf is not null) MatrixColumns.Add(dx!.Value, dLdInput!.Value, begin);
            }
            finally
            {
                dyBuf?.Dispose();
                dxBuf?.Dispose();
            }
            outCol += width;
        }
    }

    /// <summary>The CPU, and CUDA through MatrixColumns' kernels; the nested encodings dispatch themselves.</summary>
    void RequireSupportedBackend()
    {
        if (Backend.Kind is not (BackendKind.Cpu or BackendKind.Cuda)) throw new NotSupportedException($"Composite: no kernel for the {Backend.Kind} backend yet");
    }

    public override void Dispose()
    {
        foreach (var p in _parts) p.Encoding.Dispose();
        base.Dispose();
    }
}
