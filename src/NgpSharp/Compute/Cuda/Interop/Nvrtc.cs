using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace NgpSharp.Compute.Cuda.Interop;

/// <summary>
/// NVRTC (nvrtc.h), bound by [LibraryImport] to the library <see cref="NvrtcLocator"/> found. nvrtcResult = int,
/// nvrtcProgram = nint, size_t = nuint; strings are NUL-terminated UTF-8.
/// </summary>
internal static unsafe partial class Nvrtc
{
    const string Lib = NativeLibraries.NvrtcName;

    static Nvrtc() => NativeLibraries.EnsureResolver();

    public const int NVRTC_SUCCESS = 0;
    public const int NVRTC_ERROR_COMPILATION = 6;

    [LibraryImport(Lib)] public static partial int nvrtcVersion(out int major, out int minor);
    [LibraryImport(Lib)] public static partial int nvrtcGetNumSupportedArchs(out int count);
    [LibraryImport(Lib)] public static partial int nvrtcGetSupportedArchs(int* archs);
    [LibraryImport(Lib)]
    public static partial int nvrtcCreateProgram(out nint program, byte* source, byte* name, int numHeaders, byte** headers, byte** includeNames);
    [LibraryImport(Lib)] public static partial int nvrtcCompileProgram(nint program, int numOptions, byte** options);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLogSize(nint program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBINSize(nint program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetCUBIN(nint program, byte* cubin);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTXSize(nint program, out nuint size);
    [LibraryImport(Lib)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    /// <summary>Takes nvrtcProgram* and sets it to NULL.</summary>
    [LibraryImport(Lib)] public static partial int nvrtcDestroyProgram(ref nint program);
    [LibraryImport(Lib)] public static partial nint nvrtcGetErrorString(int result);

    public static string ErrorString(int result)
    {
        try { return Marshal.PtrToStringUTF8(nvrtcGetErrorString(result)) ?? $"nvrtcResult {result}"; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return $"nvrtcResult {result}"; }
    }

    public static void ThrowIfFailed(int result, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != NVRTC_SUCCESS) throw new CudaException($"{call} failed: {ErrorString(result)}", result);
    }

    /// <summary>"13.0".</summary>
    public static string Version()
    {
        ThrowIfFailed(nvrtcVersion(out int major, out int minor));
        return $"{major}.{minor}";
    }

    /// <summary>The real architectures this NVRTC compiles for (75, 80, 86, 89, 90, ...), ascending.</summary>
    public static int[] SupportedArchs()
    {
        ThrowIfFailed(nvrtcGetNumSupportedArchs(out int count));
        var archs = new int[count];
        fixed (int* p = archs) ThrowIfFailed(nvrtcGetSupportedArchs(p));
        Array.Sort(archs);
        return archs;
    }

    /// <summary>The outcome of one compilation: the image (cubin, or NUL-terminated PTX) or null, and NVRTC's log.</summary>
    public sealed record Output(byte[]? Image, string Log, int Result);

    /// <summary>
    /// Compiles <paramref name="source"/> (named <paramref name="name"/> in diagnostics) with the in-memory
    /// <paramref name="headers"/> (include name → text). Returns the cubin, or the PTX when <paramref name="ptx"/>.
    /// A compile error returns Image = null with the log; other NVRTC failures throw.
    /// </summary>
    public static Output Compile(string source, string name, IReadOnlyList<KeyValuePair<string, string>> headers, IReadOnlyList<string> options, bool ptx)
    {
        using var strings = new Utf8Strings();
        byte* src = strings.Add(source), nm = strings.Add(name);
        byte** headerTexts = strings.AddArray(headers.Select(h => h.Value).ToList());
        byte** headerNames = strings.AddArray(headers.Select(h => h.Key).ToList());
        byte** opts = strings.AddArray(options);

        using var program = new ProgramHandle();
        ThrowIfFailed(nvrtcCreateProgram(out nint raw, src, nm, headers.Count, headerTexts, headerNames));
        program.Adopt(raw);
        int result = nvrtcCompileProgram(raw, options.Count, opts);
        string log = Log(raw);
        if (result == NVRTC_ERROR_COMPILATION) return new Output(null, log, result);
        if (result != NVRTC_SUCCESS) throw new CudaException($"nvrtcCompileProgram({name}) failed: {ErrorString(result)}\n{log}", result);

        byte[] image;
        if (ptx)
        {
            ThrowIfFailed(nvrtcGetPTXSize(raw, out nuint size));   // includes the trailing NUL
            image = new byte[(int)size];
            fixed (byte* p = image) ThrowIfFailed(nvrtcGetPTX(raw, p));
            if (image.Length == 0 || image[^1] != 0) image = [.. image, 0]; // cuModuleLoadData needs NUL-terminated PTX
        }
        else
        {
            ThrowIfFailed(nvrtcGetCUBINSize(raw, out nuint size));
            if (size == 0) throw new CudaException($"NVRTC produced no cubin for {name} (options: {string.Join(' ', options)})");
            image = new byte[(int)size];
            fixed (byte* p = image) ThrowIfFailed(nvrtcGetCUBIN(raw, p));
        }
        return new Output(image, log, result);
    }

    static string Log(nint program)
    {
        if (nvrtcGetProgramLogSize(program, out nuint size) != NVRTC_SUCCESS || size <= 1) return "";
        var bytes = new byte[(int)size];
        fixed (byte* p = bytes)
            if (nvrtcGetProgramLog(program, p) != NVRTC_SUCCESS) return "";
        return Encoding.UTF8.GetString(bytes, 0, Math.Max(0, bytes.Length - 1)).TrimEnd('\0', '\n', '\r');
    }

    /// <summary>An nvrtcProgram: host memory only, so a SafeHandle's release (nvrtcDestroyProgram) is safe on any thread.</summary>
    sealed class ProgramHandle() : SafeHandleZeroOrMinusOneIsInvalid(ownsHandle: true)
    {
        public void Adopt(nint raw) => SetHandle(raw);

        protected override bool ReleaseHandle()
        {
            nint p = handle;
            return nvrtcDestroyProgram(ref p) == NVRTC_SUCCESS;
        }
    }

    /// <summary>NUL-terminated UTF-8 copies in unmanaged memory, freed together.</summary>
    sealed class Utf8Strings : IDisposable
    {
        readonly List<nint> _blocks = [];

        public byte* Add(string s)
        {
            int n = Encoding.UTF8.GetByteCount(s);
            var p = (byte*)NativeMemory.Alloc((nuint)n + 1);
            _blocks.Add((nint)p);
            Encoding.UTF8.GetBytes(s, new Span<byte>(p, n));
            p[n] = 0;
            return p;
        }

        public byte** AddArray(IReadOnlyList<string> items)
        {
            var array = (byte**)NativeMemory.Alloc((nuint)Math.Max(items.Count, 1), (nuint)sizeof(byte*));
            _blocks.Add((nint)array);
            for (int i = 0; i < items.Count; i++) array[i] = Add(items[i]);
            return array;
        }

        public void Dispose()
        {
            foreach (var b in _blocks) NativeMemory.Free((void*)b);
            _blocks.Clear();
        }
    }
}
