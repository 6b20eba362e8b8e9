using NgpSharp.Nn;

namespace NgpSharp.Systems;

/// <summary>
/// How a trainer treats steps whose loss or gradients are NaN/∞ (trainer.nan_patience, nan_snapshot_every,
/// nan_max_restores): such a step is skipped; after <paramref name="Patience"/> bad steps in a row the last good state
/// is restored and the learning rate halved; after <paramref name="MaxRestores"/> restores the run stops with
/// <see cref="TrainingDivergedException"/>.
/// </summary>
/// <param name="Patience">Consecutive NaN/∞ steps before a restore (0: never restore, only skip).</param>
/// <param name="SnapshotEvery">Good steps between in-memory snapshots of the trainable state (≥ 1).</param>
/// <param name="MaxRestores">Restores allowed before the run gives up.</param>
public sealed record NanGuardSettings(int Patience = 3, int SnapshotEvery = 100, int MaxRestores = 5);

/// <summary>Training kept producing NaN/∞ after the allowed restores of the last good state.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>What <see cref="NanGuard.AfterStep"/> did.</summary>
public enum NanGuardAction { None, Skipped, Restored }

/// <summary>
/// The NaN/∞ policy both trainers share. The trainer calls <see cref="BeforeStep"/> at the start of each step (takes
/// the first snapshot), skips the optimizer update itself when the step is not finite, then calls
/// <see cref="AfterStep"/>. The snapshot is whatever <c>save</c> writes (parameters, optimizer state with its learning
/// rate, NeuS's variance) kept in one reused in-memory stream, refreshed every <see cref="NanGuardSettings.SnapshotEvery"/>
/// good steps; its size is <see cref="SnapshotBytes"/> (for instant-ngp's NeRF: θ, Adam's two moments and the EMA,
/// ≈ 16 bytes a parameter).
/// </summary>
public sealed class NanGuard(NanGuardSettings settings, Action<BinaryWriter> save, Action<BinaryReader> load, Optimizer<float> optimizer)
{
    readonly MemoryStream _snapshot = new();
    bool _hasSnapshot;
    long _goodSinceSnapshot;

    public NanGuardSettings Settings { get; } = settings ?? throw new ArgumentNullException(nameof(settings));

    /// <summary>Steps skipped since the trainer was built or resumed (the trainer keeps its own lifetime count).</summary>
    public long Skipped { get; private set; }
    public int ConsecutiveBad { get; private set; }
    public int Restores { get; private set; }
    /// <summary>Bytes of the in-memory snapshot (0 before the first).</summary>
    public long SnapshotBytes => _hasSnapshot ? _snapshot.Length : 0;

    /// <summary>Messages for the user (restores), e.g. the CLI's console; null: silent.</summary>
    public Action<string>? Log { get; set; }

    /// <summary>Takes the first snapshot (of the state the next step starts from).</summary>
    public void BeforeStep()
    {
        if (!_hasSnapshot) TakeSnapshot();
    }

    /// <summary>Forgets the snapshot and counters (after the trainer loaded a checkpoint).</summary>
    public void Reset()
    {
        _hasSnapshot = false;
        _goodSinceSnapshot = 0;
        ConsecutiveBad = 0;
    }

    /// <summary>
    /// Records a step (finite: its update was applied; else it was skipped). Refreshes the snapshot every N good
    /// steps; restores it and halves the learning rate after K bad steps in a row.
    /// </summary>
    /// <exception cref="TrainingDivergedException">The bad streak came back after <see cref="NanGuardSettings.MaxRestores"/> restores.</exception>
    public NanGuardAction AfterStep(bool finite, long step)
    {
        if (finite)
        {
            ConsecutiveBad = 0;
            if (++_goodSinceSnapshot >= Settings.SnapshotEvery) TakeSnapshot();
            return NanGuardAction.None;
        }
        Skipped++;
        ConsecutiveBad++;
        if (Settings.Patience == 0 || ConsecutiveBad < Settings.Patience || !_hasSnapshot) return NanGuardAction.Skipped;
        if (Restores >= Settings.MaxRestores)
            throw new TrainingDivergedException(FormattableString.Invariant(
                $"training diverged at step {step}: {ConsecutiveBad} steps in a row with NaN/Inf loss or gradients after {Restores} restores of the last good state (learning rate now {optimizer.LearningRate:G3}); lower the learning rate (model.optimizer / system.optimizer.lr) or check the dataset, or raise trainer.nan_max_restores"));
        _snapshot.Position = 0;
        using (var r = new BinaryReader(_snapshot, System.Text.Encoding.UTF8, leaveOpen: true)) load(r);
        float lr = optimizer.LearningRate * 0.5f;
        optimizer.LearningRate = lr;
        Restores++;
        ConsecutiveBad = 0;
        TakeSnapshot(); // the halved rate is part of the state from now on: a second restore halves again
        Log?.Invoke(FormattableString.Invariant(
            $"warning: step {step}: {Settings.Patience} steps in a row with NaN/Inf; restored the last good state and halved the learning rate to {lr:G3} (restore {Restores} of {Settings.MaxRestores})"));
        return NanGuardAction.Restored;
    }

    void TakeSnapshot()
    {
        _snapshot.SetLength(0); // keeps the capacity: no new large allocation per refresh
        using (var w = new BinaryWriter(_snapshot, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            save(w);
            w.Flush();
        }
        _hasSnapshot = true;
        _goodSinceSnapshot = 0;
    }
}
