using NgpSharp.Cli;

namespace NgpSharp.Tests.Support;

/// <summary>
/// Runs `ngp` in-process and captures what it prints. Console redirection is process-wide: callers belong to the
/// non-parallel "Console" test collection.
/// </summary>
public static class NgpCli
{
    public static (int code, string output, string error) Run(params string[] args)
    {
        var (oldOut, oldErr) = (Console.Out, Console.Error);
        var (outWriter, errWriter) = (new StringWriter(), new StringWriter());
        Console.SetOut(outWriter);
        Console.SetError(errWriter);
        try { return (Program.Main(args), outWriter.ToString(), errWriter.ToString()); }
        finally { Console.SetOut(oldOut); Console.SetError(oldErr); }
    }
}
