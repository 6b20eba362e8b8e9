using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Geometry;
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
    public void SaveCheckpoint(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream =>
        {
            using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                w.Write(CheckpointMagic);
                w.Write(CheckpointVersion);
                w.Write(_params.Length);
                w.Write(StepCount);
                w.Write(SkippedSteps);
                w.Write(RaysPerStep);
                w.Write(_rng.State);
                w.Write(_rng.Increment);
                w.Write(MemoryMarshal.AsBytes<float>(Backend.ToArray(_params.All)));
                Optimizer.SaveState(w);
                var v = Variance.State;
                w.Write(v.Value); w.Write(v.FirstMoment); w.Write(v.SecondMoment); w.Write(v.StepCount);
                w.Write(v.ModulationCap.HasValue); w.Write(v.ModulationCap ?? 0); w.Write(v.InvSBeforeModulation);
                w.Flush();
            }
            Grid.Save(stream);
        }, flushToDisk: true);
    }

    /// <summary>Restores what <see cref="SaveCheckpoint"/> wrote, for a trainer built from the same settings.</summary>
    /// <exception cref="InvalidDataException">The file is not a checkpoint of this model, or is damaged (the message names it).</exception>
    public void Resume(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        try
        {
            using var stream = File.OpenRead(path);
            using (var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                if (r.ReadUInt32() != CheckpointMagic) throw new InvalidDataException($"{path}: not a NeuS checkpoint (wrong magic)");
                int version = r.ReadInt32();
                if (version != CheckpointVersion) throw new InvalidDataException($"{path}: NeuS checkpoint version {version}, this build reads {CheckpointVersion}");
                long count = r.ReadInt64();
                if (count != _params.Length)
                    throw new InvalidDataException($"{path}: checkpoint has {count} parameters, the configured model {_params.Length} ({CheckpointMismatchHint(count)})");
                long steps = r.ReadInt64(), skipped = r.ReadInt64();
                int rays = r.ReadInt32();
                ulong state = r.ReadUInt64(), inc = r.ReadUInt64();
                var values = new float[count];
                var bytes = MemoryMarshal.AsBytes(values.AsSpan());
                for (int read = 0; read < bytes.Length;)
                {
                    int n = r.Read(bytes[read..]);
                    if (n == 0) throw new EndOfStreamException();
                    read += n;
                }
                Backend.CopyFromHost<float>(values, _params.All);
                Optimizer.LoadState(r);
                double value = r.ReadDouble(), m1 = r.ReadDouble(), m2 = r.ReadDouble();
                long vSteps = r.ReadInt64();
                bool hasCap = r.ReadBoolean();
                double cap = r.ReadDouble(), before = r.ReadDouble();
                try { Variance.Restore(new VarianceState(value, m1, m2, vSteps, hasCap ? cap : null, before)); }
                catch (ArgumentException e) { throw new InvalidDataException(e.Message, e); }
                (StepCount, SkippedSteps, RaysPerStep, _rng) = (steps, skipped, rays, Rng.FromState(state, inc));
            }
            var grid = OccupancyGrid.Load(stream, path);
            if (grid.Resolution != Grid.Resolution || grid.Cascades != Grid.Cascades)
                throw new InvalidDataException($"{path}: occupancy grid is {grid.Cascades}×{grid.Resolution}³, the config asks for {Grid.Cascades}×{Grid.Resolution}³");
            Grid = grid;
            if (_device is not null) _device.BitfieldStale = true;
            UpdateSchedules(StepCount);
            NanGuard.Reset();
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path}: checkpoint is truncated", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
