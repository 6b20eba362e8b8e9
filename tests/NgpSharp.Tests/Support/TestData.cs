namespace NgpSharp.Tests.Support;

public static class TestData {
    static readonly string Root = Find();
    static string Find() { var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null) { var c = System.IO.Path.Combine(d.FullName, "shared", "data"); if (Directory.Exists(c)) return c;
            c = System.IO.Path.Combine(d.FullName, "..", "shared", "data"); if (Directory.Exists(c)) return System.IO.Path.GetFullPath(c); d = d.Parent; }
        throw new DirectoryNotFoundException("shared/data not found above " + AppContext.BaseDirectory); }
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);
}
