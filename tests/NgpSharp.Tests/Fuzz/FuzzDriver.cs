using System.Diagnostics;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace NgpSharp.Tests.Fuzz;

/// <summary>A starting input; <paramref name="Heavy"/> seeds (large real files) are picked for 1 case in 32.</summary>
public sealed record FuzzSeed(string Name, byte[] Bytes, bool Heavy = false);

/// <summary>
/// A parser under fuzz: <paramref name="Parse"/> consumes one input and either returns (accepted) or throws one of
/// <paramref name="Rejections"/> (or a subclass): rejected. Any other exception, a case running past
/// <see cref="Timeout"/>, or one allocating over <see cref="AllocationLimit"/> on the fuzz thread is a bug.
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyList<FuzzSeed> Seeds, Action<byte[]> Parse, params Type[] Rejections)
{
    /// <summary>Cases run by default (NGP_FUZZ_CASES raises it, see <see cref="FuzzDriver.CaseCount"/>).</summary>
    public int Cases { get; init; } = 2000;
    /// <summary>Text formats get token-level mutations (3 cases in 4) besides byte-level ones.</summary>
    public bool Text { get; init; }
    /// <summary>Offsets of length/size fields in an input, where interesting integers are written.</summary>
    public Func<byte[], IReadOnlyList<int>>? Fields { get; init; }
    /// <summary>Repairs checksums after a mutation (applied to half the cases), so that mutations reach deeper code.</summary>
    public Func<byte[], byte[]>? Fixup { get; init; }
    /// <summary>Format-aware mutations (input, random, log → output), used for 1 case in 3.</summary>
    public IReadOnlyList<Func<byte[], FuzzRandom, StringBuilder, byte[]>> ExtraMutations { get; init; } = [];
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    public long AllocationLimit { get; init; } = 1L << 30;
}

public sealed record FuzzCounts(int Cases, int Accepted, int Rejected);

/// <summary>
/// Runs a <see cref="FuzzTarget"/>: case i mutates a seed with pcg32(seed = hash(name), stream = i), so every case
/// is reproducible by its index. Cases run one after another on a worker thread watched by the caller (a hang fails
/// the test at once). Failing inputs are saved under the temp folder (ngp-fuzz-failures/NAME/case-N.bin); the test
/// fails listing them, grouped by exception type and throwing frame.
/// Adding a parser takes one line: <c>FuzzDriver.Run(output, new FuzzTarget("npy", seeds, b =&gt; Npy.Parse(b, "x.npy"), typeof(NpyFormatException)));</c>
/// </summary>
public static class FuzzDriver
{
    /// <summary>
    /// <paramref name="defaultCases"/>, or NGP_FUZZ_CASES when that is larger (long local runs):
    /// <c>NGP_FUZZ_CASES=200000 dotnet test ... --filter FullyQualifiedName~Fuzz</c>.
    /// </summary>
    public static int CaseCount(int defaultCases) =>
        int.TryParse(Environment.GetEnvironmentVariable("NGP_FUZZ_CASES"), out int n) && n > defaultCases ? n : defaultCases;

    /// <summary>Seeds read from files (each named by its file name).</summary>
    public static List<FuzzSeed> Files(IEnumerable<string> paths, bool heavy = false) =>
        paths.Select(p => new FuzzSeed(Path.GetFileName(p), File.ReadAllBytes(p), heavy)).ToList();

    /// <summary>Runs the target, writes its counts to <paramref name="output"/>, fails on any bug; returns the counts.</summary>
    public static FuzzCounts Run(ITestOutputHelper output, FuzzTarget target)
    {
        if (target.Seeds.Count == 0) throw new ArgumentException($"fuzz target {target.Name} has no seeds");
        int cases = CaseCount(target.Cases);
        ulong seed = Fnv1a(target.Name);
        var light = target.Seeds.Where(s => !s.Heavy).ToList();
        var heavy = target.Seeds.Where(s => s.Heavy).ToList();
        var failures = new List<(int Case, string Seed, string Mutations, string Problem, string SavedAs)>();
        int accepted = 0, rejected = 0;
        long current = -1, caseStarted = 0;
        byte[]? running = null;

        Exception? driverError = null;
        var worker = new Thread(() =>
        {
            try { RunCases(); }
            catch (Exception e) { driverError = e; }   // a bug in a mutation, not in the parser
        }, 8 << 20) { IsBackground = true, Name = "fuzz " + target.Name };   // the main thread's stack on Linux, where the CLI parses

        void RunCases()
        {
            for (int i = 0; i < cases; i++)
            {
                var r = new FuzzRandom(seed, (ulong)i);
                var pool = heavy.Count > 0 && (light.Count == 0 || r.Chance(32)) ? heavy : light;
                var s = r.Pick(pool);
                var log = new StringBuilder();
                byte[] input = Mutate(target, s.Bytes, r, log);
                Volatile.Write(ref running, input);
                Volatile.Write(ref caseStarted, Stopwatch.GetTimestamp());
                Volatile.Write(ref current, i);
                long before = GC.GetAllocatedBytesForCurrentThread();
                string? problem = null;
                try
                {
                    target.Parse(input);
                    accepted++;
                }
                catch (Exception e) when (target.Rejections.Any(t => t.IsInstanceOfType(e))) { rejected++; }
                catch (Exception e)
                {
                    var frame = new StackTrace(e, false).GetFrames().FirstOrDefault(f => f.GetMethod()?.DeclaringType?.Namespace is { } ns && ns.StartsWith("NgpSharp") && !ns.StartsWith("NgpSharp.Tests"));
                    string where = frame?.GetMethod() is { } m ? $"{m.DeclaringType?.Name}.{m.Name}" : "?";
                    problem = $"{e.GetType().Name} in {where}: {e.Message}";
                }
                long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                if (problem is null && allocated > target.AllocationLimit) problem = $"allocation bomb: {allocated >> 20} MiB";
                if (problem is not null)
                    lock (failures) failures.Add((i, s.Name, log.ToString(), problem, Save(target.Name, i, input)));
            }
        }

        var clock = Stopwatch.StartNew();
        worker.Start();
        while (!worker.Join(50))
        {
            long started = Volatile.Read(ref caseStarted);
            if (started != 0 && Stopwatch.GetElapsedTime(started) > target.Timeout)
            {
                long i = Volatile.Read(ref current);
                Assert.Fail($"fuzz {target.Name}: case {i} ran over {target.Timeout.TotalSeconds} s (a hang); input saved as {Save(target.Name, (int)i, Volatile.Read(ref running)!)}");
            }
        }
        if (driverError is not null) throw new InvalidOperationException($"fuzz {target.Name}: the driver failed", driverError);
        var counts = new FuzzCounts(cases, accepted, rejected);
        output.WriteLine($"fuzz {target.Name}: {cases} cases from {target.Seeds.Count} seeds, {accepted} accepted, {rejected} rejected, {failures.Count} bugs ({clock.Elapsed.TotalSeconds:F1} s)");
        if (failures.Count > 0)
        {
            var report = new StringBuilder($"fuzz {target.Name}: {failures.Count} of {cases} cases failed\n");
            foreach (var group in failures.GroupBy(f => f.Problem.Split(':')[0]).Take(10))
            {
                var f = group.First();
                report.Append($"- {group.Count()}× {f.Problem}\n    e.g. case {f.Case} (seed {f.Seed}: {f.Mutations}) saved as {f.SavedAs}\n");
            }
            Assert.Fail(report.ToString());
        }
        return counts;
    }

    static byte[] Mutate(FuzzTarget target, byte[] seed, FuzzRandom r, StringBuilder log)
    {
        byte[] input = target.ExtraMutations.Count > 0 && r.Chance(3) ? r.Pick(target.ExtraMutations)(seed, r, log)
            : target.Text && !r.Chance(4)
            ? FuzzMutator.MutateText(seed, r, log)
            : FuzzMutator.MutateBytes(seed, r, target.Fields?.Invoke(seed), log);
        if (target.Fixup is not null && r.Chance(2)) { input = target.Fixup(input); log.Append("fixup"); }
        return input;
    }

    static string FailureFolder(string name) => Path.Combine(Path.GetTempPath(), "ngp-fuzz-failures", string.Concat(name.Select(c => char.IsLetterOrDigit(c) ? c : '_')));

    static string Save(string name, int index, byte[] input)
    {
        string dir = FailureFolder(name);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"case-{index}.bin");
        File.WriteAllBytes(path, input);
        return path;
    }

    static ulong Fnv1a(string s)
    {
        ulong h = 14695981039346656037;
        foreach (char c in s) { h ^= c; h *= 1099511628211; }
        return h;
    }
}
