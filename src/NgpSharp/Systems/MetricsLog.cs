using System.Globalization;
using System.Text;
using NgpSharp.Compute;

namespace NgpSharp.Systems;

/// <summary>
/// A CSV log of numbers (<c>metrics.csv</c>: step, loss, lr, psnr, samples/s ...): a header line, then one row per
/// <see cref="Append"/>, invariant culture, round-trip precision. Rows are buffered; <see cref="Flush"/> (or
/// dispose) writes them out. The first column is the step.
/// </summary>
public sealed class MetricsLog : IDisposable
{
    readonly StreamWriter _writer;

    MetricsLog(string path, IReadOnlyList<string> columns, StreamWriter writer)
    {
        Path = path;
        Columns = columns;
        _writer = writer;
    }

    public string Path { get; }
    public IReadOnlyList<string> Columns { get; }

    /// <summary>
    /// Creates the file with a header, or — when it exists with the same header — appends to it. With
    /// <paramref name="resumeStep"/>, rows whose step is greater are dropped first (a resumed run rewrites them).
    /// A different header is an error naming both.
    /// </summary>
    public static MetricsLog Open(string path, IReadOnlyList<string> columns, long? resumeStep = null)
    {
        if (columns.Count == 0) throw new ArgumentException("metrics need at least one column", nameof(columns));
        foreach (var c in columns)
            if (c.Length == 0 || c.IndexOfAny([',', '"', '\n', '\r']) >= 0) throw new ArgumentException($"metrics column \"{c}\" must be non-empty without commas, quotes or newlines", nameof(columns));
        string header = string.Join(',', columns);
        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        if (File.Exists(full) && new FileInfo(full).Length > 0)
        {
            var lines = File.ReadAllLines(full);
            if (lines[0] != header) throw new InvalidDataException($"{path}: existing header \"{lines[0]}\" differs from \"{header}\"");
            if (resumeStep is long keep)
            {
                var kept = lines.Take(1).Concat(lines.Skip(1).Where(l => l.Length > 0 && double.TryParse(l.Split(',')[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double s) && s <= keep));
                AtomicFile.WriteAllText(full, string.Join('\n', kept) + "\n");
            }
            return new MetricsLog(path, columns, new StreamWriter(full, append: true, new UTF8Encoding(false)) { NewLine = "\n" });
        }
        var writer = new StreamWriter(full, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
        writer.WriteLine(header);
        writer.Flush();
        return new MetricsLog(path, columns, writer);
    }

    /// <summary>One row: a value per column, in column order.</summary>
    public void Append(params ReadOnlySpan<double> values)
    {
        if (values.Length != Columns.Count) throw new ArgumentException($"{Path}: {values.Length} values for {Columns.Count} columns ({string.Join(",", Columns)})");
        var sb = new StringBuilder();
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(values[i].ToString("R", CultureInfo.InvariantCulture));
        }
        _writer.WriteLine(sb.ToString());
    }

    public void Flush() => _writer.Flush();

    public void Dispose() => _writer.Dispose();
}
