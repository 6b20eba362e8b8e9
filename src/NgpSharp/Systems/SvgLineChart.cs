using System.Globalization;
using System.Net;
using System.Text;

namespace NgpSharp.Systems;

/// <summary>
/// A small inline SVG line chart (one series) for <see cref="RunReport"/>: axes with min/max labels, a polyline with one
/// vertex per finite point. With <c>logY</c> the y axis is log10 and points ≤ 0 are left out, with ticks at the
/// powers of ten in range.
/// </summary>
public static class SvgLineChart
{
    const int Width = 520, Height = 260, Left = 64, Right = 16, Top = 28, Bottom = 40;

    /// <summary>
    /// The <c>&lt;svg&gt;</c> element for points (xs[i], ys[i]) (equal lengths); non-finite points (and ≤ 0 ones with
    /// <paramref name="logY"/>) are skipped. The element carries <c>data-series</c> (the title) and <c>data-points</c>
    /// (the vertex count). Fewer than one usable point gives a chart with "no data".
    /// </summary>
    public static string Write(string title, string xLabel, IReadOnlyList<double> xs, IReadOnlyList<double> ys, bool logY = false)
    {
        if (xs.Count != ys.Count) throw new ArgumentException($"chart \"{title}\": {xs.Count} x values for {ys.Count} y values");
        var points = new List<(double X, double Y)>();
        for (int i = 0; i < xs.Count; i++)
        {
            double x = xs[i], y = ys[i];
            if (!double.IsFinite(x) || !double.IsFinite(y) || (logY && y <= 0)) continue;
            points.Add((Math.Clamp(x, -1e300, 1e300), logY ? Math.Log10(y) : Math.Clamp(y, -1e300, 1e300)));   // a finite span
        }

        var sb = new StringBuilder();
        string t = WebUtility.HtmlEncode(title);
        sb.Append(Inv($"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" data-series=\"{t}\" data-points=\"{points.Count}\">"));
        sb.Append(Inv($"<title>{t}</title><text x=\"{Left}\" y=\"18\" class=\"chart-title\">{t}{(logY ? " (log scale)" : "")}</text>"));
        int plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        sb.Append(Inv($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"none\" stroke=\"#999\"/>"));
        sb.Append(Inv($"<text x=\"{Left + plotW / 2}\" y=\"{Height - 6}\" text-anchor=\"middle\" class=\"axis\">{WebUtility.HtmlEncode(xLabel)}</text>"));
        if (points.Count == 0)
        {
            sb.Append(Inv($"<text x=\"{Left + plotW / 2}\" y=\"{Top + plotH / 2}\" text-anchor=\"middle\" class=\"axis\">no data</text></svg>"));
            return sb.ToString();
        }

        var (x0, x1) = Range(points.Select(p => p.X));
        var (y0, y1) = Range(points.Select(p => p.Y));
        if (logY) { y0 = Math.Floor(y0); y1 = Math.Ceiling(y1); if (y1 <= y0) y1 = y0 + 1; }
        double Px(double x) => Left + (x - x0) / (x1 - x0) * plotW;
        double Py(double y) => Top + plotH - (y - y0) / (y1 - y0) * plotH;

        foreach (double y in logY ? Enumerable.Range((int)y0, (int)(y1 - y0) + 1).Select(e => (double)e) : [y0, (y0 + y1) / 2, y1])
        {
            string label = logY ? "1e" + y.ToString("0", CultureInfo.InvariantCulture) : Format(y);
            sb.Append(Inv($"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Py(y):0.##}\" y2=\"{Py(y):0.##}\" stroke=\"#eee\"/>"));
            sb.Append(Inv($"<text x=\"{Left - 4}\" y=\"{Py(y) + 4:0.##}\" text-anchor=\"end\" class=\"axis\">{label}</text>"));
        }
        sb.Append(Inv($"<text x=\"{Left}\" y=\"{Top + plotH + 14}\" text-anchor=\"start\" class=\"axis\">{Format(x0)}</text>"));
        sb.Append(Inv($"<text x=\"{Left + plotW}\" y=\"{Top + plotH + 14}\" text-anchor=\"end\" class=\"axis\">{Format(x1)}</text>"));

        sb.Append("<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"1.5\" points=\"");
        for (int i = 0; i < points.Count; i++)
        {
            if (i > 0) sb.Append(' ');
            sb.Append(Inv($"{Px(points[i].X):0.##},{Py(points[i].Y):0.##}"));
        }
        sb.Append("\"/></svg>");
        return sb.ToString();
    }

    /// <summary>Min and max, widened when they coincide so that the scale is never zero.</summary>
    static (double Lo, double Hi) Range(IEnumerable<double> values)
    {
        double lo = double.MaxValue, hi = double.MinValue;
        foreach (double v in values) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
        if (hi - lo <= Math.Abs(hi) * 1e-12 || hi - lo < 1e-300) { double pad = Math.Abs(lo) > 0 ? Math.Abs(lo) * 0.5 : 1; lo -= pad; hi += pad; }
        return (lo, hi);
    }

    static string Format(double v) => Math.Abs(v) is >= 1e5 or (< 1e-3 and > 0)
        ? v.ToString("0.##e0", CultureInfo.InvariantCulture)
        : v.ToString("0.####", CultureInfo.InvariantCulture);

    static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
