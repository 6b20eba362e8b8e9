using System.IO.Compression;
using NgpSharp.Compute;

namespace NgpSharp.Data.Npy;

/// <summary>
/// numpy's .npz archives: a zip file (stored or deflated entries) of .npy files, one per array, named
/// "key.npy". Keys are the entry names without ".npy"; entries not ending in ".npy" (and folders) are ignored.
/// Entry sizes claimed by the zip are checked against the array headers but never trusted for allocation.
/// </summary>
public static class Npz
{
    /// <summary>Reads every array of the .npz file at <paramref name="path"/>, in archive order.</summary>
    /// <exception cref="NpyFormatException">Not a zip archive, or a malformed entry; the message names the file and entry.</exception>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>Reads every array of an .npz archive from <paramref name="stream"/>; <paramref name="nameForErrors"/> starts every error message.</summary>
    public static IReadOnlyDictionary<string, NpyArray> Read(Stream stream, string nameForErrors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ZipArchive zip;
        try { zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e)
        {
            throw new NpyFormatException($"{nameForErrors}: not an .npz file (not a readable zip archive: {e.Message})", e);
        }
        using (zip)
        {
            IReadOnlyCollection<ZipArchiveEntry> entries;
            try { entries = zip.Entries; } // the central directory is read here, not in the constructor
            catch (InvalidDataException e)
            {
                throw new NpyFormatException($"{nameForErrors}: not an .npz file (corrupt zip central directory: {e.Message})", e);
            }
            var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                string name = entry.FullName;
                if (name.EndsWith('/') || !name.EndsWith(".npy", StringComparison.Ordinal)) continue;
                string where = $"{nameForErrors}[{name}]";
                string key = name[..^4];
                if (arrays.ContainsKey(key)) throw new NpyFormatException($"{where}: the archive holds '{name}' twice");
                try
                {
                    using var entryStream = entry.Open();
                    arrays.Add(key, Npy.ReadCore(entryStream, where, claimedLength: entry.Length));
                }
                catch (Exception e) when (e is InvalidDataException or NotSupportedException or EndOfStreamException)
                {
                    throw new NpyFormatException($"{where}: corrupt or unsupported zip entry: {e.Message}", e);
                }
            }
            return arrays;
        }
    }

    /// <summary>
    /// Writes <paramref name="arrays"/> as an .npz archive at <paramref name="path"/> (atomically): entry "key.npy"
    /// per array, deflated when <paramref name="compressed"/> (np.savez_compressed) or stored (np.savez).
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, NpyArray>> arrays, bool compressed = false) =>
        AtomicFile.Write(path, s => Write(s, arrays, compressed));

    /// <summary>Writes an .npz archive to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, IEnumerable<KeyValuePair<string, NpyArray>> arrays, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(arrays);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var (key, array) in arrays)
        {
            if (string.IsNullOrEmpty(key)) throw new ArgumentException("npz keys must not be empty", nameof(arrays));
            if (!seen.Add(key)) throw new ArgumentException($"npz key '{key}' appears twice", nameof(arrays));
            var entry = zip.CreateEntry(key + ".npy", compressed ? CompressionLevel.Optimal : CompressionLevel.NoCompression);
            using var entryStream = entry.Open();
            Npy.Write(entryStream, array);
        }
    }
}
