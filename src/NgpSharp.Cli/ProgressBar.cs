using System.Diagnostics;

namespace NgpSharp.Cli;

/// <summary>
/// One status line redrawn in place on a terminal (at most 10 times a second); when the output is redirected
/// (CI logs) a plain line every few seconds instead.
/// </summary>
public sealed class ProgressBar(bool quiet)
{
    readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    readonly bool _interactive = !Console.IsOutputRedirected;
    bool _drawn;

    /// <param name="done">Completed units (steps).</param>
    /// <param name="total">All units.</param>
    /// <param name="elapsed">Time spent on the units so far (for the ETA).</param>
    /// <param name="status">e.g. "loss 1.2e-3 · 1.4M samples/s".</param>
    /// <param name="remaining">Time left under a time limit (trainer.max_seconds): the ETA is never later than that.</param>
    public void Report(long done, long total, TimeSpan elapsed, string status, bool force = false, TimeSpan? remaining = null)
    {
        if (quiet) return;
        double interval = _interactive ? 0.1 : 5.0;
        if (!force && done < total && _sinceDraw.Elapsed.TotalSeconds < interval) return;
        _sinceDraw.Restart();
        double fraction = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 0;
        var eta = fraction > 0 ? TimeSpan.FromSeconds(elapsed.TotalSeconds * (1 - fraction) / fraction) : TimeSpan.Zero;
        if (remaining is { } left && (fraction == 0 || left < eta)) eta = left > TimeSpan.Zero ? left : TimeSpan.Zero;
        const int width = 24;
        int filled = (int)Math.Round(fraction * width);
        var line = $"[{new string('#', filled)}{new string('-', width - filled)}] {done}/{total} {status} · ETA {Format(eta)}";
        if (_interactive)
        {
            int max = Math.Max(20, SafeWindowWidth() - 1);
            if (line.Length > max) line = line[..max];
            Console.Write("\r" + line.PadRight(max));
            _drawn = true;
            if (done >= total) Finish();
        }
        else Console.WriteLine(line);
    }

    /// <summary>Ends the in-place line.</summary>
    public void Finish()
    {
        if (_drawn) Console.WriteLine();
        _drawn = false;
    }

    public static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";

    /// <summary>1234567 → "1.23M".</summary>
    public static string Si(double v) => v switch
    {
        >= 1e9 => $"{v / 1e9:F2}G",
        >= 1e6 => $"{v / 1e6:F2}M",
        >= 1e3 => $"{v / 1e3:F1}k",
        _ => $"{v:F0}",
    };

    static int SafeWindowWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; } catch (IOException) { return 120; }
    }
}
