using NgpSharp.Compute;
using NgpSharp.Nn.Optimizers;
using NgpSharp.Systems;
using Xunit;

namespace NgpSharp.Tests.Robustness;

/// <summary>The shared NaN/∞ policy on a toy state: one float and a plain Adam optimizer.</summary>
public sealed class NanGuardTests
{
    sealed class Toy
    {
        public float Value;
        public readonly Adam<float> Optimizer = new(CpuBackend.Shared) { LearningRate = 0.08f };
        public NanGuard Guard(NanGuardSettings s) => new(s, w => w.Write(Value), r => Value = r.ReadSingle(), Optimizer);
    }

    [Fact]
    public void GoodSteps_RefreshTheSnapshot_EveryN()
    {
        var toy = new Toy();
        var guard = toy.Guard(new NanGuardSettings(Patience: 2, SnapshotEvery: 3, MaxRestores: 4));
        guard.BeforeStep();                       // snapshot of 0
        for (int i = 1; i <= 4; i++) { toy.Value = i; Assert.Equal(NanGuardAction.None, guard.AfterStep(true, i)); } // snapshot at value 3
        toy.Value = float.NaN;
        Assert.Equal(NanGuardAction.Skipped, guard.AfterStep(false, 5));
        Assert.Equal(NanGuardAction.Restored, guard.AfterStep(false, 6));
        Assert.Equal(3f, toy.Value);
        Assert.Equal(0.04f, toy.Optimizer.LearningRate);
        Assert.Equal(2, guard.Skipped);
        Assert.Equal(1, guard.Restores);
        Assert.True(guard.SnapshotBytes >= 4);
    }

    [Fact]
    public void AGoodStep_ResetsTheStreak()
    {
        var toy = new Toy();
        var guard = toy.Guard(new NanGuardSettings(Patience: 3, SnapshotEvery: 100, MaxRestores: 1));
        guard.BeforeStep();
        Assert.Equal(NanGuardAction.Skipped, guard.AfterStep(false, 1));
        Assert.Equal(NanGuardAction.Skipped, guard.AfterStep(false, 2));
        Assert.Equal(NanGuardAction.None, guard.AfterStep(true, 3));
        Assert.Equal(NanGuardAction.Skipped, guard.AfterStep(false, 4));
        Assert.Equal(NanGuardAction.Skipped, guard.AfterStep(false, 5));
        Assert.Equal(0, guard.Restores);
        Assert.Equal(0.08f, toy.Optimizer.LearningRate);
    }

    [Fact]
    public void EachRestore_HalvesAgain_ThenGivesUpWithAClearError()
    {
        var toy = new Toy();
        var messages = new List<string>();
        var guard = toy.Guard(new NanGuardSettings(Patience: 1, SnapshotEvery: 100, MaxRestores: 2));
        guard.Log = messages.Add;
        guard.BeforeStep();
        Assert.Equal(NanGuardAction.Restored, guard.AfterStep(false, 1));
        Assert.Equal(NanGuardAction.Restored, guard.AfterStep(false, 2));
        Assert.Equal(0.02f, toy.Optimizer.LearningRate);
        var e = Assert.Throws<TrainingDivergedException>(() => guard.AfterStep(false, 3));
        Assert.Contains("step 3", e.Message);
        Assert.Contains("after 2 restores", e.Message);
        Assert.Contains("nan_max_restores", e.Message);
        Assert.Equal(2, messages.Count);
        Assert.Contains("halved the learning rate to 0.02", messages[1]);
    }

    [Fact]
    public void PatienceZero_OnlySkips()
    {
        var toy = new Toy();
        var guard = toy.Guard(new NanGuardSettings(Patience: 0, SnapshotEvery: 1, MaxRestores: 0));
        guard.BeforeStep();
        for (int i = 0; i < 10; i++) Assert.Equal(NanGuardAction.Skipped, guard.AfterStep(false, i));
        Assert.Equal(10, guard.Skipped);
    }
}
