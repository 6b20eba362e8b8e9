using System.Text;

namespace NgpSharp.Compute;

/// <summary>
/// Writes files atomically: the content goes to a hidden temp file in the same folder
/// (".name.PID.GUID.tmp"), which is then renamed over the target, so readers see the old or the new file, never
/// a half-written one. On failure the temp file is deleted and the exception propagates.
/// </summary>
public static class AtomicFile
{
    /// <summary>Writes through <paramref name="write"/>; <paramref name="flushToDisk"/> forces the data to the device before the rename.</summary>
    public static void Write(string path, Action<Stream> write, bool flushToDisk = false)
    {
        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full) ?? ".", $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes, bool flushToDisk = false)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy), flushToDisk);
    }

    /// <summary>UTF-8 without a byte-order mark.</summary>
    public static void WriteAllText(string path, string text, bool flushToDisk = false) =>
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(text), flushToDisk);
}
