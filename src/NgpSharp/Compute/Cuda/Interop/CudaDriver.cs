using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NgpSharp.Compute.Cuda.Interop;

/// <summary>
/// The CUDA driver API (libcuda.so.1 / nvcuda.dll), bound by [LibraryImport]. Signatures follow cuda.h:
/// CUresult = int, CUdevice = int, CUdeviceptr = ulong (64-bit), size_t = nuint, handles (CUcontext, CUstream,
/// CUmodule, CUfunction, CUevent) = nint. Where cuda.h #defines a name to a _v2 export, the _v2 symbol is bound
/// explicitly (the unversioned exports keep their old 32-bit-size ABI). The async memsets have no _v2.
/// </summary>
internal static unsafe partial class CudaDriver
{
    const string Lib = NativeLibraries.CudaName;

    static CudaDriver() => NativeLibraries.EnsureResolver();

    public const int CUDA_SUCCESS = 0;
    public const int CUDA_ERROR_OUT_OF_MEMORY = 2;
    public const int CUDA_ERROR_NOT_INITIALIZED = 3;
    public const int CUDA_ERROR_NO_DEVICE = 100;

    // CUdevice_attribute values (cuda.h).
    public const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    /// <summary>CUfunction_attribute CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES.</summary>
    public const int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    /// <summary>CUstream_flags: the stream does not synchronise with the legacy NULL stream.</summary>
    public const uint CU_STREAM_NON_BLOCKING = 0x1;

    public const uint CU_EVENT_DEFAULT = 0x0;

    // ---- initialisation, version, devices ----
    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(out int driverVersion);
    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int len, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(out nuint bytes, int device);

    // ---- primary context ----
    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial int cuCtxSynchronize();

    // ---- streams ----
    [LibraryImport(Lib)] public static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);

    // ---- memory ----
    [LibraryImport(Lib, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(out ulong pointer, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong pointer);
    [LibraryImport(Lib, EntryPoint = "cuMemGetInfo_v2")] public static partial int cuMemGetInfo(out nuint free, out nuint total);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoD_v2")] public static partial int cuMemcpyHtoD(ulong destination, void* source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoH_v2")] public static partial int cuMemcpyDtoH(void* destination, ulong source, nuint bytes);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoDAsync_v2")] public static partial int cuMemcpyDtoDAsync(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);
    /// <summary>N is a count of 8-bit values.</summary>
    [LibraryImport(Lib)] public static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);
    /// <summary>N is a count of 16-bit values; destination 2-byte aligned.</summary>
    [LibraryImport(Lib)] public static partial int cuMemsetD16Async(ulong destination, ushort value, nuint count, nint stream);
    /// <summary>N is a count of 32-bit values; destination 4-byte aligned.</summary>
    [LibraryImport(Lib)] public static partial int cuMemsetD32Async(ulong destination, uint value, nuint count, nint stream);

    // ---- modules and launches ----
    [LibraryImport(Lib)] public static partial int cuModuleLoadData(out nint module, void* image);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial int cuModuleGetFunction(out nint function, nint module, string name);
    [LibraryImport(Lib)] public static partial int cuFuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(nint function, uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ, uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    // ---- events (benchmark timing) ----
    [LibraryImport(Lib)] public static partial int cuEventCreate(out nint ev, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint ev, nint stream);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(nint ev);
    /// <summary>The unversioned export: every driver has it (cuEventElapsedTime_v2 exists only from 12.8).</summary>
    [LibraryImport(Lib)] public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);
    [LibraryImport(Lib, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint ev);

    // ---- errors ----
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, out nint name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, out nint description);

    /// <summary>"CUDA_ERROR_OUT_OF_MEMORY" for 2; "CUresult 999" when the driver does not know the code (or is absent).</summary>
    public static string ErrorName(int result)
    {
        try
        {
            if (cuGetErrorName(result, out nint p) == CUDA_SUCCESS && p != 0) return Marshal.PtrToStringUTF8(p) ?? $"CUresult {result}";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return $"CUresult {result}";
    }

    /// <summary>The driver's one-line description of an error, or "" when unavailable.</summary>
    public static string ErrorDescription(int result)
    {
        try
        {
            if (cuGetErrorString(result, out nint p) == CUDA_SUCCESS && p != 0) return Marshal.PtrToStringUTF8(p) ?? "";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        return "";
    }

    /// <summary>Throws a <see cref="CudaException"/> naming the call and the error when <paramref name="result"/> is not CUDA_SUCCESS.</summary>
    public static void ThrowIfFailed(int result, [CallerArgumentExpression(nameof(result))] string call = "")
    {
        if (result != CUDA_SUCCESS) throw Failure(result, call);
    }

    /// <summary>The exception ThrowIfFailed throws: "cuMemAlloc(...) failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)".</summary>
    public static CudaException Failure(int result, string call)
    {
        string description = ErrorDescription(result);
        return new CudaException($"{call} failed: {ErrorName(result)}{(description.Length > 0 ? $" ({description})" : "")}", result);
    }
}
