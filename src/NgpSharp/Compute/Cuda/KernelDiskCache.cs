using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace NgpSharp.Compute.Cuda;

/// <summary>
/// Compiled kernel images on disk, one file per key (a SHA-256 hex string). Files carry a magic, the payload
/// length and the payload's SHA-256, so a truncated or corrupt file is detected, deleted and reported as a miss.
/// Writes go to a temp file in the same folder, then a rename, so readers never see half a file.
/// </summary>
public sealed class KernelDiskCache(string directory)
{
    static ReadOnlySpan<byte> Magic => "NGPKRN01"u8;
    const int HeaderBytes = 8 + 8 + 32; // magic, payload length, payload SHA-256

    public string Directory { get; } = directory;

    /// <summary>The folder: NGP_KERNEL_CACHE, else $XDG_CACHE_HOME/ngpsharp/kernels, else ~/.cache/ngpsharp/kernels (LocalAppData on Windows).</summary>
    public static string DefaultDirectory(Func<string, string?>? variable = null, string? home = null)
    {
        variable ??= Environment.GetEnvironmentVariable;
        if (variable("NGP_KERNEL_CACHE") is { Length: > 0 } explicitDir) return explicitDir;
        if (variable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "ngpsharp", "kernels");
        if (OperatingSystem.IsWindows() && home is null)
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "ngpsharp", "kernels");
        home ??= variable("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".cache", "ngpsharp", "kernels");
    }

    public string PathFor(string key) => Path.Combine(Directory, key + ".bin");

    /// <summary>The image stored under <paramref name="key"/>, or null (missing, unreadable, or corrupt — then deleted).</summary>
    public byte[]? TryRead(string key)
    {
        string path = PathFor(key);
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        if (Decode(bytes) is { } payload) return payload;
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>Stores <paramref name="image"/> atomically; false (and no file) when the folder is not writable.</summary>
    public bool Write(string key, ReadOnlySpan<byte> image)
    {
        string path = PathFor(key);
        string temp = Path.Combine(Directory, $"{key}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using (var f = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                f.Write(Encode(image));
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temp); } catch (Exception e2) when (e2 is IOException or UnauthorizedAccessException) { }
            return false;
        }
    }

    internal static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var file = new byte[HeaderBytes + payload.Length];
        Magic.CopyTo(file);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(8), payload.Length);
        SHA256.HashData(payload, file.AsSpan(16, 32));
        payload.CopyTo(file.AsSpan(HeaderBytes));
        return file;
    }

    internal static byte[]? Decode(ReadOnlySpan<byte> file)
    {
        if (file.Length < HeaderBytes || !file[..8].SequenceEqual(Magic)) return null;
        long length = BinaryPrimitives.ReadInt64LittleEndian(file[8..]);
        if (length <= 0 || length != file.Length - HeaderBytes) return null;
        var payload = file[HeaderBytes..];
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        return hash.SequenceEqual(file.Slice(16, 32)) ? payload.ToArray() : null;
    }
}

/// <summary>The disk-cache key of one compilation: everything that changes the compiled image.</summary>
public static class KernelCacheKey
{
    /// <summary>
    /// SHA-256 (hex) over the source name and text, every included header (name and text, sorted by name), the
    /// defines (sorted by name), the NVRTC options, the NVRTC version and the target. Each field is length-prefixed
    /// so no two different inputs concatenate to the same bytes.
    /// </summary>
    public static string Compute(string sourceName, string sourceText, IEnumerable<KeyValuePair<string, string>> headers,
        IEnumerable<KeyValuePair<string, string>> defines, IEnumerable<string> options, string nvrtcVersion, KernelTarget target)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Field(string tag, string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, bytes.Length);
            h.AppendData(Encoding.ASCII.GetBytes(tag));
            h.AppendData(len);
            h.AppendData(bytes);
        }
        Field("format", "ngpsharp-kernel-v1");
        Field("source", sourceName);
        Field("text", sourceText);
        foreach (var (name, text) in headers.OrderBy(x => x.Key, StringComparer.Ordinal)) { Field("header", name); Field("text", text); }
        foreach (var (name, value) in defines.OrderBy(x => x.Key, StringComparer.Ordinal)) { Field("define", name); Field("value", value); }
        foreach (var o in options) Field("option", o);
        Field("nvrtc", nvrtcVersion);
        Field("target", target.Option);
        Field("device", target.Device.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return Convert.ToHexStringLower(h.GetHashAndReset());
    }
}
