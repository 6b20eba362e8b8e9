using System.Diagnostics;

namespace NgpSharp.Bench;

/// <summary>Times a repeated operation: warm-up, then the best of a few timed rounds.</summary>
public static class Throughput
{
    /// <summary>Items per second of <paramref name="iteration"/>, which processes <paramref name="itemsPerIteration"/> items.</summary>
    /// <param name="roundSeconds">Each round runs at least this long (and at least 2 iterations).</param>
    /// <param name="synchronize">Waits for queued device work (GPU backends run asynchronously).</param>
    public static double Measure(Action iteration, long itemsPerIteration, Action? synchronize = null, double roundSeconds = 0.6, int rounds = 3, int warmup = 2)
    {
        for (int i = 0; i < warmup; i++) iteration();
        synchronize?.Invoke();
        double best = 0;
        for (int r = 0; r < rounds; r++)
        {
            var clock = Stopwatch.StartNew();
            long iterations = 0;
            do
            {
                iteration();
                iterations++;
                if (clock.Elapsed.TotalSeconds >= roundSeconds && iterations >= 2) synchronize?.Invoke();
            }
            while (clock.Elapsed.TotalSeconds < roundSeconds || iterations < 2);
            synchronize?.Invoke();
            best = Math.Max(best, iterations * itemsPerIteration / clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}
