using System.Runtime.InteropServices;
using NgpSharp.Compute;

namespace NgpSharp.Systems.Nerf;

public sealed partial class NerfTrainer
{
    const uint CheckpointMagic = 0x4652454E; // "NERF"
    const int CheckpointVersion = 1;

    /// <summary>
    /// Writes everything a bit-identical continuation needs — parameters, optimizer state (moments, EMA, counters),
    /// occupancy grid, random state, step and rays per step — atomically (temp file, then rename).
    /// </summary>
    public void SaveCheckpoint(string path) =>
        TrainerCheckpoint.Save(path, CheckpointMagic, CheckpointVersion, Backend, _params.All, Optimizer,
            new TrainingCounters(StepCount, SkippedSteps, RaysPerStep, _rng), Grid);

    float[] _snapshotParams = [];

    /// <summary>The NaN guard's snapshot: θ [ParamCount] and the optimizer state (moments, EMA, learning rate).</summary>
    void SaveTrainableState(BinaryWriter w)
    {
        if (_snapshotParams.Length != _params.Length) _snapshotParams = new float[_params.Length];
        Backend.CopyToHost(_params.All, _snapshotParams);
        w.Write(MemoryMarshal.AsBytes<float>(_snapshotParams));
        Optimizer.SaveState(w);
    }

    void LoadTrainableState(BinaryReader r)
    {
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(_snapshotParams.AsSpan()));
        Backend.CopyFromHost<float>(_snapshotParams, _params.All);
        Optimizer.LoadState(r);
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote, for a trainer built from the same settings.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this model, or is damaged (the message names it).</exception>
    public void Resume(string path)
    {
        var (c, grid) = TrainerCheckpoint.Load(path, "NeRF", CheckpointMagic, CheckpointVersion, Backend, _params.All, Optimizer, Grid,
            _ => "different model config?");
        (StepCount, SkippedSteps, RaysPerStep, _rng) = (c.Steps, c.Skipped, c.Rays, c.Rng);
        Grid = grid;
        _bitfieldStale = true;
        NanGuard.Reset();
    }
}
