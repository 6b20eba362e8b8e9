using System.Runtime.InteropServices;
using NgpSharp.Rendering;

namespace NgpSharp.Systems.Neus;

public sealed partial class NeusTrainer
{
    float[] _snapshotParams = [];

    /// <summary>The NaN/∞ policy: skip, restore the last good state with half the learning rate, give up (trainer.nan_*).</summary>
    public NanGuard NanGuard => _nanGuard ??= new NanGuard(Settings.Trainer.NanGuard, SaveTrainableState, LoadTrainableState, Optimizer);

    NanGuard? _nanGuard;

    /// <summary>The guard's snapshot: θ [sdf | colour], the optimizer state (moments, learning rate) and the variance's state.</summary>
    void SaveTrainableState(BinaryWriter w)
    {
        if (_snapshotParams.Length != _params.Length) _snapshotParams = new float[_params.Length];
        Backend.CopyToHost(_params.All, _snapshotParams);
        w.Write(MemoryMarshal.AsBytes<float>(_snapshotParams));
        Optimizer.SaveState(w);
        var v = Variance.State;
        w.Write(v.Value); w.Write(v.FirstMoment); w.Write(v.SecondMoment); w.Write(v.StepCount);
        w.Write(v.ModulationCap.HasValue); w.Write(v.ModulationCap ?? 0); w.Write(v.InvSBeforeModulation);
    }

    void LoadTrainableState(BinaryReader r)
    {
        r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(_snapshotParams.AsSpan()));
        Backend.CopyFromHost<float>(_snapshotParams, _params.All);
        Optimizer.LoadState(r);
        double value = r.ReadDouble(), m1 = r.ReadDouble(), m2 = r.ReadDouble();
        long steps = r.ReadInt64();
        bool hasCap = r.ReadBoolean();
        double cap = r.ReadDouble(), before = r.ReadDouble();
        Variance.Restore(new VarianceState(value, m1, m2, steps, hasCap ? cap : null, before));
    }
}
