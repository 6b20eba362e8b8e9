using NgpSharp.Compute;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

/// <summary>
/// The learned background (model.learned_background): its parameters are the last block of the trainer's flat
/// buffer, θ = [sdf | colour | background], so one Adam, the NaN guard and the checkpoint cover them.
/// </summary>
public sealed partial class NeusTrainer
{
    ScratchMatrix? _dLdBackground;

    /// <summary>The background NeRF, or null for a constant background colour.</summary>
    public NeusBackgroundModel<float>? BackgroundModel { get; private set; }

    /// <summary>Background samples of the last training step (0 without a learned background).</summary>
    public int BackgroundSamples { get; private set; }

    long BackgroundParamOffset => Sdf.ParamCount + Colour.ParamCount;

    /// <summary>Builds the background NeRF when the config asks for one; returns its parameter count (0 without).</summary>
    long CreateBackgroundModel()
    {
        if (!Settings.Model.LearnedBackground) return 0;
        BackgroundModel = NeusBackgroundModel<float>.Create(Backend, Settings.Model);
        _dLdBackground = new ScratchMatrix(Backend);
        return BackgroundModel.ParamCount;
    }

    /// <summary>Initialises the background's parameters (after the colour network's, from the same stream) and binds them.</summary>
    void InitializeBackgroundParams()
    {
        if (BackgroundModel is not { } bg) return;
        var p = _params.All.Slice(BackgroundParamOffset, bg.ParamCount);
        bg.Network.InitializeParams(ref _rng, p);
        bg.Network.SetParams(p, _gradients.All.Slice(BackgroundParamOffset, bg.ParamCount));
    }

    /// <summary>
    /// The colour behind the batch's rays in _origins/_directions: the constant <paramref name="colour"/>, or the
    /// background NeRF's C_bg + (1 − A_bg)·colour per ray (training: jittered, kept for <see cref="BackgroundBackward"/>).
    /// </summary>
    RayBackground<float> RayBackgroundFor(int rays, (float R, float G, float B) colour, bool training)
    {
        if (BackgroundModel is not { } bg) return RayBackground<float>.Constant(colour.R, colour.G, colour.B);
        var output = training
            ? bg.Forward(_origins.AsSpan(0, 3 * rays), _directions.AsSpan(0, 3 * rays), rays, colour, prepareBackward: true, ref _rng, jitter: true)
            : bg.Inference(_origins.AsSpan(0, 3 * rays), _directions.AsSpan(0, 3 * rays), rays, colour);
        if (training) BackgroundSamples = bg.Samples.Count;
        return RayBackground<float>.PerRay(output.Colour);
    }

    /// <summary>dL/dbackground [R, 3] for the NeuS renderer's backward, or a null matrix without a learned background.</summary>
    DeviceMatrix<float> BackgroundGradient(int rays) => _dLdBackground?.Matrix(rays, 3) ?? default;

    /// <summary>Sends dL/dbackground through the background NeRF (its parameter gradients are overwritten).</summary>
    void BackgroundBackward(int rays)
    {
        if (BackgroundModel is { } bg) bg.Backward(_dLdBackground!.Matrix(rays, 3));
    }

    /// <summary>Training targets: the captured colour when the background is learned (no mask), else rgb·a + bg·(1 − a).</summary>
    float TargetCoverage(float alpha) => BackgroundModel is null ? alpha : 1f;

    /// <summary>Why a checkpoint's parameter count may differ: a background NeRF present on one side only, or another model config.</summary>
    string CheckpointMismatchHint(long count)
    {
        long foreground = Sdf.ParamCount + Colour.ParamCount;
        if (BackgroundModel is not null && count == foreground) return "the checkpoint has no background NeRF, the config sets model.learned_background: true";
        if (BackgroundModel is null && count > foreground) return "the checkpoint may hold a background NeRF: set model.learned_background: true and its geometry_bg/texture_bg as trained";
        return "different model config?";
    }

    void DisposeBackground()
    {
        BackgroundModel?.Dispose();
        _dLdBackground?.Dispose();
    }
}
