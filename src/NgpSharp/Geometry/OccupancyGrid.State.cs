using System.Numerics;
using System.Text;

namespace NgpSharp.Geometry;

public sealed partial class OccupancyGrid
{
    const string StateMagic = "NGPOCCG1";

    /// <summary>Writes the grid (geometry, schedule, counters, densities, bitfield) for a checkpoint; little-endian binary.</summary>
    public void Save(Stream stream)
    {
        using var w = new BinaryWriter(stream, Encoding.ASCII, leaveOpen: true);
        w.Write(Encoding.ASCII.GetBytes(StateMagic));
        w.Write(Resolution); w.Write(Cascades);
        WriteVector(w, BaseBox.Min); WriteVector(w, BaseBox.Max);
        WriteVector(w, RenderBox.Min); WriteVector(w, RenderBox.Max);
        w.Write(Decay); w.Write(WarmupSteps); w.Write(UpdateInterval); w.Write((int)Schedule);
        w.Write(UpdateCount); w.Write(Threshold);
        foreach (float d in Densities) w.Write(d);
        w.Write(Bitfield);
    }

    /// <summary>Reads a grid written by <see cref="Save"/>; a damaged or foreign stream gives an <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static OccupancyGrid Load(Stream stream, string source = "occupancy grid state")
    {
        try
        {
            using var r = new BinaryReader(stream, Encoding.ASCII, leaveOpen: true);
            var magic = Encoding.ASCII.GetString(r.ReadBytes(StateMagic.Length));
            if (magic != StateMagic) throw new InvalidDataException($"{source}: not an occupancy grid state (header '{magic}')");
            int res = r.ReadInt32(), cascades = r.ReadInt32();
            var baseBox = new Aabb(ReadVector(r), ReadVector(r));
            var renderBox = new Aabb(ReadVector(r), ReadVector(r));
            float decay = r.ReadSingle();
            int warmup = r.ReadInt32(), interval = r.ReadInt32(), schedule = r.ReadInt32();
            if (!Enum.IsDefined((OccupancyUpdateSchedule)schedule)) throw new InvalidDataException($"{source}: unknown update schedule {schedule}");
            var grid = new OccupancyGrid(baseBox, cascades, res, renderBox)
            {
                Decay = decay, WarmupSteps = warmup, UpdateInterval = interval, Schedule = (OccupancyUpdateSchedule)schedule,
            };
            grid.UpdateCount = r.ReadInt32();
            grid.Threshold = r.ReadSingle();
            for (int i = 0; i < grid.Densities.Length; i++) grid.Densities[i] = r.ReadSingle();
            var bits = r.ReadBytes(grid.Bitfield.Length);
            if (bits.Length != grid.Bitfield.Length) throw new EndOfStreamException();
            bits.CopyTo(grid.Bitfield, 0);
            return grid;
        }
        catch (EndOfStreamException) { throw new InvalidDataException($"{source}: truncated occupancy grid state"); }
        catch (ArgumentException e) { throw new InvalidDataException($"{source}: invalid occupancy grid state: {e.Message}", e); }
    }

    static void WriteVector(BinaryWriter w, Vector3 v) { w.Write(v.X); w.Write(v.Y); w.Write(v.Z); }
    static Vector3 ReadVector(BinaryReader r) => new(r.ReadSingle(), r.ReadSingle(), r.ReadSingle());
}
