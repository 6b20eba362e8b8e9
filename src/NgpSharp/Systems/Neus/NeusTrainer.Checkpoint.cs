using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

public sealed partial class NeusTrainer
{
    const uint CheckpointMagic = 0x5355454E; // "NEUS"
    const int CheckpointVersion = 1;

    /// <summary>
    /// Writes everything a bit-identical continuation needs — parameters, optimizer and variance state, occupancy grid,
    /// random state, step and rays per step — atomically (temp file, then rename).
    /// </summary>
    public void SaveCheckpoint(string path) =>
        TrainerCheckpoint.Save(path, CheckpointMagic, CheckpointVersion, Backend, _params.All, Optimizer,
            new TrainingCounters(StepCount, SkippedSteps, RaysPerStep, _rng), Grid, w =>
            {
                var v = Variance.State;
                w.Write(v.Value); w.Write(v.FirstMoment); w.Write(v.SecondMoment); w.Write(v.StepCount);
                w.Write(v.ModulationCap.HasValue); w.Write(v.ModulationCap ?? 0); w.Write(v.InvSBeforeModulation);
            });

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote, for a trainer built from the same settings.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this model, or is damaged (the message names it).</exception>
    public void Resume(string path)
    {
        var (c, grid) = TrainerCheckpoint.Load(path, "NeuS", CheckpointMagic, CheckpointVersion, Backend, _params.All, Optimizer, Grid,
            CheckpointMismatchHint, r =>
            {
                double value = r.ReadDouble(), m1 = r.ReadDouble(), m2 = r.ReadDouble();
                long vSteps = r.ReadInt64();
                bool hasCap = r.ReadBoolean();
                double cap = r.ReadDouble(), before = r.ReadDouble();
                try { Variance.Restore(new VarianceState(value, m1, m2, vSteps, hasCap ? cap : null, before)); }
                catch (ArgumentException e) { throw new InvalidDataException(e.Message, e); }
            });
        (StepCount, SkippedSteps, RaysPerStep, _rng) = (c.Steps, c.Skipped, c.Rays, c.Rng);
        Grid = grid;
        if (_device is not null) _device.BitfieldStale = true;
        UpdateSchedules(StepCount);
        NanGuard.Reset();
    }
}
