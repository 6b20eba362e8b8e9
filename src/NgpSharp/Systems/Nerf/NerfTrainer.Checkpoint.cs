using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Geometry;

namespace NgpSharp.Systems.Nerf;

public sealed partial class NerfTrainer
{
    const uint CheckpointMagic = 0x4652454E; // "NERF"
    const int CheckpointVersion = 1;

    /// <summary>
    /// Writes everything a bit-identical continuation needs — parameters, optimizer state (moments, EMA, counters),
    /// occupancy grid, random state, step and rays per step — atomically (temp file, then rename).
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
                w.Write(Network.ParamCount);
                w.Write(StepCount);
                w.Write(SkippedSteps);
                w.Write(RaysPerStep);
                w.Write(_rng.State);
                w.Write(_rng.Increment);
                w.Write(MemoryMarshal.AsBytes<float>(Backend.ToArray(_params.All)));
                Optimizer.SaveState(w);
                w.Flush();
            }
            Grid.Save(stream);
        }, flushToDisk: true);
    }

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
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        try
        {
            using var stream = File.OpenRead(path);
            using (var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                if (r.ReadUInt32() != CheckpointMagic) throw new InvalidDataException($"{path}: not a NeRF checkpoint (wrong magic)");
                int version = r.ReadInt32();
                if (version != CheckpointVersion) throw new InvalidDataException($"{path}: NeRF checkpoint version {version}, this build reads {CheckpointVersion}");
                long count = r.ReadInt64();
                if (count != Network.ParamCount)
                    throw new InvalidDataException($"{path}: checkpoint has {count} parameters, the configured network {Network.ParamCount} (different model config?)");
                long steps = r.ReadInt64(), skipped = r.ReadInt64();
                int rays = r.ReadInt32();
                ulong state = r.ReadUInt64(), inc = r.ReadUInt64();
                var values = new float[count];
                var bytes = MemoryMarshal.AsBytes(values.AsSpan());
                int read = 0;
                while (read < bytes.Length)
                {
                    int n = r.Read(bytes[read..]);
                    if (n == 0) throw new EndOfStreamException();
                    read += n;
                }
                Backend.CopyFromHost<float>(values, _params.All);
                Optimizer.LoadState(r);
                (StepCount, SkippedSteps, RaysPerStep, _rng) = (steps, skipped, rays, Rng.FromState(state, inc));
            }
            var grid = OccupancyGrid.Load(stream, path);
            if (grid.Resolution != Grid.Resolution || grid.Cascades != Grid.Cascades)
                throw new InvalidDataException($"{path}: occupancy grid is {grid.Cascades}×{grid.Resolution}³, the config asks for {Grid.Cascades}×{Grid.Resolution}³");
            Grid = grid;
            _bitfieldStale = true;
            NanGuard.Reset();
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path}: checkpoint is truncated", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
