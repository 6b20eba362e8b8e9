namespace NgpSharp.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.WriteLine("ngp: work in progress");
        return 0;
    }
}
