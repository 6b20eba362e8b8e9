using System.Runtime.InteropServices;
using NgpSharp.Compute;
using NgpSharp.Geometry;
using NgpSharp.Nn;

namespace NgpSharp.Systems;

/// <summary>Training counters a checkpoint carries: steps taken, steps skipped, rays of the next step, the random stream.</summary>
public readonly record struct TrainingCounters(long Steps, long Skipped, int Rays, Rng Rng);

/// <summary>
/// The frame NeRF and NeuS checkpoints share: magic, version, parameter count, <see cref="TrainingCounters"/>, θ, the
/// optimizer state, then the system's own blocks, then the occupancy grid. Written atomically (temp file, then
/// rename); every read error becomes an <see cref="InvalidDataException"/> that names the file.
/// </summary>
public static class TrainerCheckpoint
{
    /// <summary>Writes the frame; <paramref name="writeExtra"/> adds the system's blocks before the grid.</summary>
    public static void Save(string path, uint magic, int version, Backend backend, DeviceSpan<float> parameters, Optimizer<float> optimizer,
        TrainingCounters counters, OccupancyGrid grid, Action<BinaryWriter>? writeExtra = null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        AtomicFile.Write(path, stream =>
        {
            using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                w.Write(magic);
                w.Write(version);
                w.Write(parameters.Length);
                w.Write(counters.Steps);
                w.Write(counters.Skipped);
                w.Write(counters.Rays);
                w.Write(counters.Rng.State);
                w.Write(counters.Rng.Increment);
                w.Write(MemoryMarshal.AsBytes<float>(backend.ToArray(parameters)));
                optimizer.SaveState(w);
                writeExtra?.Invoke(w);
                w.Flush();
            }
            grid.Save(stream);
        }, flushToDisk: true);
    }

    /// <summary>
    /// Reads what <see cref="Save"/> wrote into <paramref name="parameters"/> and <paramref name="optimizer"/>;
    /// <paramref name="readExtra"/> reads the system's blocks. Returns the counters and the saved grid, checked against
    /// <paramref name="grid"/>'s resolution and cascades. <paramref name="system"/> ("NeRF") and
    /// <paramref name="mismatchHint"/> (from the saved parameter count) go into the messages.
    /// </summary>
    public static (TrainingCounters Counters, OccupancyGrid Grid) Load(string path, string system, uint magic, int version, Backend backend,
        DeviceSpan<float> parameters, Optimizer<float> optimizer, OccupancyGrid grid, Func<long, string> mismatchHint, Action<BinaryReader>? readExtra = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: checkpoint not found", path);
        try
        {
            using var stream = File.OpenRead(path);
            TrainingCounters counters;
            using (var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                if (r.ReadUInt32() != magic) throw new InvalidDataException($"{path}: not a {system} checkpoint (wrong magic)");
                int saved = r.ReadInt32();
                if (saved != version) throw new InvalidDataException($"{path}: {system} checkpoint version {saved}, this build reads {version}");
                long count = r.ReadInt64();
                if (count != parameters.Length)
                    throw new InvalidDataException($"{path}: checkpoint has {count} parameters, the configured model {parameters.Length} ({mismatchHint(count)})");
                long steps = r.ReadInt64(), skipped = r.ReadInt64();
                int rays = r.ReadInt32();
                ulong state = r.ReadUInt64(), inc = r.ReadUInt64();
                var values = new float[count];
                stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
                backend.CopyFromHost<float>(values, parameters);
                optimizer.LoadState(r);
                readExtra?.Invoke(r);
                counters = new TrainingCounters(steps, skipped, rays, Rng.FromState(state, inc));
            }
            var loaded = OccupancyGrid.Load(stream, path);
            if (loaded.Resolution != grid.Resolution || loaded.Cascades != grid.Cascades)
                throw new InvalidDataException($"{path}: occupancy grid is {loaded.Cascades}×{loaded.Resolution}³, the config asks for {grid.Cascades}×{grid.Resolution}³");
            return (counters, loaded);
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{path}: checkpoint is truncated", e); }
        catch (InvalidDataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}
