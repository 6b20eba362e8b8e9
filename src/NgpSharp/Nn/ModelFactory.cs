using System.Numerics;
using NgpSharp.Compute;
using NgpSharp.Config;
using NgpSharp.Nn.Encodings;
using NgpSharp.Nn.Losses;
using NgpSharp.Nn.Networks;
using NgpSharp.Nn.Optimizers;

namespace NgpSharp.Nn;

/// <summary>
/// Builds models, losses, optimizers and trainers from tiny-cuda-nn JSON (the format of its data/config_*.json
/// and of instant-ngp's network configs): {"loss": …, "optimizer": …, "encoding": …, "network": …}.
/// </summary>
public static class ModelFactory
{
    /// <summary>A network [B, inputWidth] → [B, outputWidth] from a "network" block.</summary>
    public static Network<T> CreateNetwork<T>(Backend backend, int inputWidth, int outputWidth, JsonConfig network)
        where T : unmanaged, IFloatingPointIeee754<T> => Mlp<T>.FromJson(backend, inputWidth, outputWidth, network);

    /// <summary>An encoding followed by a network: [B, inputDims] → [B, outputDims].</summary>
    public static NetworkWithInputEncoding<T> CreateNetworkWithInputEncoding<T>(Backend backend, int inputDims, int outputDims,
        JsonConfig encoding, JsonConfig network) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var enc = EncodingFactory.Create<T>(backend, inputDims, encoding);
        enc.SetAlignment(Mlp<T>.InputAlignmentFor(network));
        var net = CreateNetwork<T>(backend, enc.OutputWidth, outputDims, network);
        var model = new NetworkWithInputEncoding<T>(enc, net);
        // One buffer holds all parameters: more than an array can hold is a config error, not an OutOfMemoryException.
        if (model.ParamCount > Array.MaxLength)
            throw new ConfigException($"{encoding.Path}/{network.Path}: the model would have {model.ParamCount} parameters ({enc.ParamCount} in the encoding, {net.ParamCount} in the network), more than the {Array.MaxLength} one buffer can hold; reduce the hash table size, n_levels, n_neurons or n_hidden_layers");
        return model;
    }

    /// <summary>A trainer for a whole tiny-cuda-nn config (its "loss" and "optimizer" blocks default to L2 and Adam).</summary>
    public static Trainer<T> CreateTrainer<T>(Backend backend, int inputDims, int outputDims, JsonConfig config, ulong seed = 1337)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var model = CreateNetworkWithInputEncoding<T>(backend, inputDims, outputDims, config.Object("encoding"), config.Object("network"));
        var loss = config.OptionalObject("loss") is { } l ? LossFactory.Create<T>(l) : LossFactory.Create<T>(DefaultBlock("loss", "L2"));
        var optimizer = config.OptionalObject("optimizer") is { } o
            ? OptimizerFactory.Create<T>(backend, o)
            : OptimizerFactory.Create<T>(backend, DefaultBlock("optimizer", "Adam"));
        // fp16 tensor-core MLPs train with a scaled loss, as tiny-cuda-nn does (128); fp32 paths with 1.
        var trainer = new Trainer<T>(model, loss, optimizer, seed);
        if (model.Net is Mlp<T> mlp) trainer.LossScale = mlp.RecommendedLossScale;
        return trainer;
    }

    static JsonConfig DefaultBlock(string path, string otype) =>
        JsonConfig.From(new System.Text.Json.Nodes.JsonObject { ["otype"] = otype }, path);
}
