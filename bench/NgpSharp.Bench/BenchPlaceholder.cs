namespace NgpSharp.Bench;

internal static class BenchPlaceholder { }
