using System.Diagnostics;
using NgpSharp.Compute;

namespace NgpSharp.Imaging;

/// <summary>
/// Writes an orbit video: through <c>ffmpeg</c> (H.264 in MP4) when it is on PATH, else — or when ffmpeg fails —
/// as an animated GIF with our own encoder. Frames are rendered on demand (a second time if ffmpeg fails part way).
/// </summary>
public static class VideoWriter
{
    /// <summary>
    /// Writes <paramref name="basePath"/>.mp4 or <paramref name="basePath"/>.gif and returns the path written.
    /// frames: <paramref name="frameCount"/> images of one size from <paramref name="renderFrame"/>(i).
    /// <paramref name="findFfmpeg"/> returns ffmpeg's path or null (default: a PATH search); tests inject it.
    /// </summary>
    public static string Write(string basePath, int frameCount, Func<int, Image> renderFrame, double fps = 30,
        Func<string?>? findFfmpeg = null, GifOptions? gifOptions = null, Action<string>? log = null)
    {
        if (frameCount < 1) throw new ArgumentOutOfRangeException(nameof(frameCount), "a video needs at least one frame");
        if (!(fps > 0)) throw new ArgumentOutOfRangeException(nameof(fps), "fps must be positive");
        string? ffmpeg = (findFfmpeg ?? (() => FindOnPath("ffmpeg")))();
        if (ffmpeg is not null)
        {
            string mp4 = basePath + ".mp4";
            string? error = TryFfmpeg(ffmpeg, mp4, frameCount, renderFrame, fps);
            if (error is null) return mp4;
            log?.Invoke($"ffmpeg failed ({error}); writing a GIF instead");
        }
        string gif = basePath + ".gif";
        var options = (gifOptions ?? new GifOptions()) with { DelayCentiseconds = gifOptions?.DelayCentiseconds ?? GifOptions.DelayForFps(fps) };
        AtomicFile.Write(gif, stream =>
        {
            GifWriter? writer = null;
            for (int i = 0; i < frameCount; i++)
            {
                var frame = renderFrame(i);
                writer ??= new GifWriter(stream, frame.Width, frame.Height, options);
                writer.AddFrame(frame);
            }
            writer!.Finish();
        });
        return gif;
    }

    /// <summary>Writes the frames in memory as a video (see the other overload).</summary>
    public static string Write(string basePath, IReadOnlyList<Image> frames, double fps = 30, Func<string?>? findFfmpeg = null, GifOptions? gifOptions = null) =>
        Write(basePath, frames.Count, i => frames[i], fps, findFfmpeg, gifOptions);

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var exts = OperatingSystem.IsWindows() ? new[] { ".exe", ".cmd", "" } : [""];
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var ext in exts)
            {
                string p = Path.Combine(dir, name + ext);
                if (File.Exists(p)) return p;
            }
        return null;
    }

    // Null on success; else why it failed (the partial file is removed).
    static string? TryFfmpeg(string ffmpeg, string output, int frameCount, Func<int, Image> renderFrame, double fps)
    {
        var first = renderFrame(0);
        int w = first.Width, h = first.Height;
        string temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, $".{Path.GetFileNameWithoutExtension(output)}.{Environment.ProcessId}.tmp.mp4");
        var psi = new ProcessStartInfo(ffmpeg) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{w}x{h}",
                     "-r", fps.ToString(System.Globalization.CultureInfo.InvariantCulture), "-i", "-",
                     "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-c:v", "libx264", "-pix_fmt", "yuv420p", temp })
            psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi) ?? throw new InvalidOperationException("could not start"); }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException) { return $"could not start {ffmpeg}: {e.Message}"; }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            _ = process.StandardOutput.ReadToEndAsync();
            string? writeError = null;
            try
            {
                var stdin = process.StandardInput.BaseStream;
                var buffer = new byte[w * h * 3];
                for (int i = 0; i < frameCount; i++)
                {
                    var frame = i == 0 ? first : renderFrame(i);
                    if (frame.Width != w || frame.Height != h) throw new ArgumentException($"frame {i} is {frame.Width}×{frame.Height}, frame 0 is {w}×{h}");
                    var rgb = GifWriter.ToRgb(frame);
                    for (int p = 0; p < rgb.Length; p++) { buffer[3 * p] = (byte)(rgb[p] >> 16); buffer[3 * p + 1] = (byte)(rgb[p] >> 8); buffer[3 * p + 2] = (byte)rgb[p]; }
                    stdin.Write(buffer);
                }
                stdin.Close();
            }
            catch (IOException e) { writeError = e.Message; }
            process.WaitForExit();
            string err = stderr.Result.Trim();
            if (process.ExitCode == 0 && writeError is null && File.Exists(temp) && new FileInfo(temp).Length > 0)
            {
                File.Move(temp, output, overwrite: true);
                return null;
            }
            try { File.Delete(temp); } catch (IOException) { }
            return $"exit code {process.ExitCode}{(writeError is null ? "" : ", " + writeError)}{(err.Length > 0 ? ": " + err[..Math.Min(err.Length, 400)] : "")}";
        }
    }
}
