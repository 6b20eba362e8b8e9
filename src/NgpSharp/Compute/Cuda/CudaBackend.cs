using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using NgpSharp.Compute.Cuda.Interop;
using static NgpSharp.Compute.Cuda.Interop.CudaDriver;

namespace NgpSharp.Compute.Cuda;

/// <summary>
/// The GPU backend: CUDA driver API (primary context, one non-blocking stream) and NVRTC-compiled kernels. Only
/// the NVIDIA driver and NVRTC are needed — no toolkit install, no nvcc. Every op is queued on
/// <see cref="Stream"/> in call order; host copies wait for it. Any thread may use the backend: each public entry
/// makes the primary context current on the calling thread first (once per thread).
/// </summary>
public sealed partial class CudaBackend : Backend
{
    const uint DefaultSharedLimit = 48 * 1024;
    static long s_nextId;
    [ThreadStatic] static long t_currentBackend;

    readonly long _id = Interlocked.Increment(ref s_nextId);
    readonly ConcurrentDictionary<nint, uint> _sharedLimits = new();
    readonly Action<ulong, long> _release;
    DeviceMemoryPool _pool = null!;
    CudaModuleCache? _modules;
    int _device;
    nint _context;
    bool _retained;
    volatile bool _disposed;

    CudaBackend() => _release = (pointer, _) => { if (pointer != 0 && !_disposed) _pool.Return(pointer); };

    /// <summary>Opens device <paramref name="ordinal"/>; throws <see cref="CudaUnavailableException"/> saying why not.</summary>
    public static CudaBackend Create(int ordinal = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ordinal);
        NativeLibraries.EnsureResolver();
        if (NativeLibraries.ResolverError is { } resolverError) throw new CudaUnavailableException(resolverError);
        var driver = NativeLibraries.LoadDriver();
        if (driver.Handle == 0) throw new CudaUnavailableException($"CUDA driver not found ({string.Join("; ", driver.Attempts)})");
        var backend = new CudaBackend();
        try
        {
            backend.Open(ordinal, driver.LoadedFrom!);
            return backend;
        }
        catch (Exception e)
        {
            backend.Dispose();
            if (e is CudaException) throw;
            if (e is DllNotFoundException or EntryPointNotFoundException)
                throw new CudaUnavailableException($"a CUDA library lacks an entry point this backend needs: {e.Message}", e);
            throw;
        }
    }

    /// <summary>Probes for a usable device and NVRTC without throwing; <paramref name="reason"/> says what was found or why not.</summary>
    public static bool TryCreate(out CudaBackend? backend, out string reason, int ordinal = 0)
    {
        try
        {
            backend = Create(ordinal);
            reason = backend.Description;
            return true;
        }
        catch (Exception e) when (e is CudaException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException)
        {
            backend = null;
            reason = e.Message;
            return false;
        }
    }

    void Open(int ordinal, string driverLibrary)
    {
        int r = cuInit(0);
        if (r != CUDA_SUCCESS) throw new CudaUnavailableException($"the CUDA driver ({driverLibrary}) did not initialise: cuInit(0) returned {ErrorName(r)} ({ErrorDescription(r)})");
        ThrowIfFailed(cuDriverGetVersion(out int driverVersion));
        DriverVersion = driverVersion;
        ThrowIfFailed(cuDeviceGetCount(out int count));
        if (count == 0) throw new CudaUnavailableException($"the CUDA driver ({driverLibrary}, {DriverVersionText}) reports no device");
        if (ordinal >= count) throw new CudaUnavailableException($"CUDA device {ordinal} requested; {count} present");
        ThrowIfFailed(cuDeviceGet(out _device, ordinal));
        Ordinal = ordinal;
        DeviceName = DeviceNameOf(_device);
        ComputeCapability = Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) * 10 + Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
        MultiprocessorCount = Attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        MaxSharedMemoryPerBlockOptin = Attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        ThrowIfFailed(cuDeviceTotalMem(out nuint total, _device));
        TotalMemory = (long)total;

        var nvrtc = NativeLibraries.LoadNvrtc(DriverVersion / 1000);
        if (nvrtc.Handle == 0) throw new CudaUnavailableException($"NVRTC not found (searched: {nvrtc.Search.Summary})");
        NvrtcPath = nvrtc.LoadedFrom;
        string nvrtcVersion = Nvrtc.Version();
        var target = KernelTarget.Choose(ComputeCapability, Nvrtc.SupportedArchs());

        ThrowIfFailed(cuDevicePrimaryCtxRetain(out _context, _device));
        _retained = true;
        ThrowIfFailed(cuCtxSetCurrent(_context));
        t_currentBackend = _id;
        ThrowIfFailed(cuStreamCreate(out nint stream, CU_STREAM_NON_BLOCKING));
        Stream = stream;
        _pool = new DeviceMemoryPool(new DriverMemory(this));
        string? cacheDir = KernelDiskCache.DefaultDirectory();
        var disk = Environment.GetEnvironmentVariable("NGP_KERNEL_CACHE") is "off" or "0" ? null : new KernelDiskCache(cacheDir);
        _modules = new CudaModuleCache(this, target, nvrtcVersion, disk);
    }

    int Attribute(int attribute)
    {
        ThrowIfFailed(cuDeviceGetAttribute(out int value, attribute, _device));
        return value;
    }

    internal static unsafe string DeviceNameOf(int device)
    {
        byte* name = stackalloc byte[256];
        ThrowIfFailed(cuDeviceGetName(name, 256, device));
        return new string((sbyte*)name, 0, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0) is var n and >= 0 ? n : 256, Encoding.UTF8);
    }

    public override BackendKind Kind => BackendKind.Cuda;

    public override string Description => IsEmulated ? EmulatorDescription : $"cuda ({DeviceName}, sm_{ComputeCapability}, {TotalMemory >> 20} MiB)";

    /// <summary>The device's name ("NVIDIA H100 80GB HBM3").</summary>
    public string DeviceName { get; private set; } = "";

    /// <summary>The device ordinal this backend opened.</summary>
    public int Ordinal { get; private set; }

    /// <summary>Compute capability as major·10 + minor (90 for Hopper).</summary>
    public int ComputeCapability { get; private set; }

    /// <summary>Streaming multiprocessors.</summary>
    public int MultiprocessorCount { get; private set; }

    /// <summary>The most dynamic shared memory one block may opt in to (bytes).</summary>
    public int MaxSharedMemoryPerBlockOptin { get; private set; }

    /// <summary>Device memory in bytes.</summary>
    public long TotalMemory { get; private set; }

    /// <summary>cuDriverGetVersion: 1000·major + 10·minor (12040 for CUDA 12.4).</summary>
    public int DriverVersion { get; private set; }

    /// <summary>"12.4".</summary>
    public string DriverVersionText => $"{DriverVersion / 1000}.{DriverVersion % 1000 / 10}";

    /// <summary>The NVRTC library in use.</summary>
    public string? NvrtcPath { get; private set; }

    /// <summary>The stream all ops of this backend run on (CUstream).</summary>
    public nint Stream { get; private set; }

    /// <summary>Compiles (once, cached on disk) and loads kernels from the embedded .cu sources.</summary>
    public CudaModuleCache Modules
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _modules!;
        }
    }

    /// <summary>Bytes of freed device blocks kept for reuse.</summary>
    public long CachedBytes => _pool.CachedBytes;

    /// <summary>Frees the cached device blocks (waits for queued work first).</summary>
    public void TrimCache()
    {
        EnsureCurrent();
        _pool.Trim();
    }

    /// <summary>Makes this backend's context current on the calling thread (a flag check after the first time).</summary>
    internal void EnsureCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (t_currentBackend == _id || IsEmulated) return;
        ThrowIfFailed(cuCtxSetCurrent(_context));
        t_currentBackend = _id;
    }

    /// <summary>
    /// Launches <paramref name="function"/> with one kernel parameter: <paramref name="args"/>, passed by value
    /// (the kernel's signature is <c>kernel_x(const XArgs args)</c> with a C struct laid out like TArgs).
    /// </summary>
    public unsafe void Launch<TArgs>(CudaFunction function, LaunchShape shape, in TArgs args) where TArgs : unmanaged
    {
        ArgumentNullException.ThrowIfNull(function);
        ulong threads = (ulong)shape.BlockX * shape.BlockY * shape.BlockZ;
        if (threads is 0 or > 1024 || shape.GridX == 0 || shape.GridY == 0 || shape.GridZ == 0)
            throw new ArgumentException($"launch of {function}: invalid shape {shape} (1..1024 threads per block, every grid dimension ≥ 1)", nameof(shape));
        EnsureCurrent();
        if (IsEmulated)
        {
            LaunchEmulated(function, shape, args);
            return;
        }
        if (shape.SharedBytes > DefaultSharedLimit) EnsureSharedLimit(function, shape.SharedBytes);

        TArgs copy = args;             // on this stack frame: the driver copies the parameter during the call
        void* argument = &copy;
        void** kernelParams = &argument; // kernelParams[0] → the argument struct
        int r = cuLaunchKernel(function.Handle, shape.GridX, shape.GridY, shape.GridZ, shape.BlockX, shape.BlockY, shape.BlockZ,
            shape.SharedBytes, Stream, kernelParams, null);
        if (r != CUDA_SUCCESS) throw Failure(r, $"cuLaunchKernel({function}, {shape}, {typeof(TArgs).Name} of {sizeof(TArgs)} bytes)");
    }

    void EnsureSharedLimit(CudaFunction function, uint bytes)
    {
        if (_sharedLimits.TryGetValue(function.Handle, out uint set) && set >= bytes) return;
        if (bytes > MaxSharedMemoryPerBlockOptin)
            throw new ArgumentException($"launch of {function} asks for {bytes} bytes of shared memory; this device allows {MaxSharedMemoryPerBlockOptin} per block");
        ThrowIfFailed(cuFuncSetAttribute(function.Handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, (int)bytes));
        _sharedLimits[function.Handle] = bytes;
    }

    protected override DeviceBuffer<T> AllocateCore<T>(long length)
    {
        long bytes = checked(length * Unsafe.SizeOf<T>());
        if (bytes == 0) return new CudaBuffer<T>(this, 0, length, _release);
        EnsureCurrent();
        ulong pointer = _pool.Rent(bytes);
        try
        {
            // Zero-filled like the CPU backend; stream-ordered, so later ops see zeros.
            if (bytes % 4 == 0) MemsetD32(pointer, 0, (nuint)(bytes / 4));
            else MemsetD8(pointer, 0, (nuint)bytes);
        }
        catch
        {
            _pool.Return(pointer);
            throw;
        }
        return new CudaBuffer<T>(this, pointer, length, _release);
    }

    /// <summary>The device address of a view of one of this backend's buffers (0 for an empty view).</summary>
    ulong Address<T>(DeviceSpan<T> span, string role) where T : unmanaged
    {
        if (span.Buffer is null) return 0;
        if (span.Buffer is not CudaBuffer<T> || !ReferenceEquals(span.Buffer.Backend, this))
            throw new ArgumentException($"the {role} lives on another backend ({span.Buffer.Backend.Description})", role);
        ObjectDisposedException.ThrowIf(span.Buffer.IsDisposed, span.Buffer);
        return span.Pointer();
    }

    public override unsafe void CopyFromHost<T>(ReadOnlySpan<T> source, DeviceSpan<T> destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException($"copy of {source.Length} elements into a view of {destination.Length}");
        ulong dst = Address(destination, "destination");
        if (source.IsEmpty) return;
        EnsureCurrent();
        nuint bytes = (nuint)((long)source.Length * sizeof(T));
        fixed (T* p = source)
        {
            // On the stream, so it lands after queued kernels that still read the old contents; then wait, so the
            // host memory (pinned only inside this block) is no longer needed when we return.
            CopyHostToDevice(dst, p, bytes);
        }
    }

    public override unsafe void CopyToHost<T>(DeviceSpan<T> source, Span<T> destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException($"copy of {source.Length} elements into {destination.Length}");
        ulong src = Address(source, "source");
        if (destination.IsEmpty) return;
        EnsureCurrent();
        nuint bytes = (nuint)((long)destination.Length * sizeof(T));
        fixed (T* p = destination)
        {
            CopyDeviceToHost(p, src, bytes); // after every queued kernel
        }
    }

    public override void Copy<T>(DeviceSpan<T> source, DeviceSpan<T> destination)
    {
        if (source.Length != destination.Length) throw new ArgumentException($"copy of {source.Length} elements into a view of {destination.Length}");
        ulong src = Address(source, "source"), dst = Address(destination, "destination");
        if (source.Length == 0 || src == dst) return;
        long bytes = source.Length * Unsafe.SizeOf<T>();
        if (ReferenceEquals(source.Buffer, destination.Buffer) && src < dst + (ulong)bytes && dst < src + (ulong)bytes)
            throw new ArgumentException($"overlapping device copy within one buffer (elements [{source.Offset}, +{source.Length}) → [{destination.Offset}, ...))");
        EnsureCurrent();
        CopyDeviceToDevice(dst, src, (nuint)bytes);
    }

    public override unsafe void Fill<T>(DeviceSpan<T> destination, T value)
    {
        ulong dst = Address(destination, "destination");
        if (destination.Length == 0) return;
        var plan = FillPlan.For(value, destination.Length);
        EnsureCurrent();
        switch (plan.Method)
        {
            case FillMethod.Memset32: MemsetD32(dst, plan.Value, (nuint)plan.Units); break;
            case FillMethod.Memset16: MemsetD16(dst, (ushort)plan.Value, (nuint)plan.Units); break;
            case FillMethod.Memset8: MemsetD8(dst, (byte)plan.Value, (nuint)plan.Units); break;
            default:
                var args = new FillPatternArgs { Destination = dst, Count = plan.Units, Period = plan.Period };
                for (int i = 0; i < plan.Pattern.Length; i++) args.Pattern[i] = plan.Pattern[i];
                var fn = Modules.GetFunction("Fill.cu", plan.Method == FillMethod.WordKernel ? "kernel_fill_words" : "kernel_fill_bytes");
                const uint threads = 256;
                ulong blocks = Math.Clamp((plan.Units + threads - 1) / threads, 1, 65536); // grid-stride loop covers the rest
                Launch(fn, new LaunchShape((uint)blocks, threads), args);
                break;
        }
    }

    public override void Synchronize()
    {
        EnsureCurrent();
        if (!IsEmulated) ThrowIfFailed(cuStreamSynchronize(Stream));
    }

    /// <summary>Milliseconds the GPU spent on the work <paramref name="work"/> queues on <see cref="Stream"/> (CUDA events).</summary>
    public float Time(Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnsureCurrent();
        if (IsEmulated) return TimeEmulated(work);
        ThrowIfFailed(cuEventCreate(out nint start, CU_EVENT_DEFAULT));
        nint end = 0;
        try
        {
            ThrowIfFailed(cuEventCreate(out end, CU_EVENT_DEFAULT));
            ThrowIfFailed(cuEventRecord(start, Stream));
            work();
            EnsureCurrent();
            ThrowIfFailed(cuEventRecord(end, Stream));
            ThrowIfFailed(cuEventSynchronize(end));
            ThrowIfFailed(cuEventElapsedTime(out float ms, start, end));
            return ms;
        }
        finally
        {
            cuEventDestroy(start);
            if (end != 0) cuEventDestroy(end);
        }
    }

    /// <summary>Waits for queued work, unloads modules, frees all device blocks, destroys the stream, releases the primary context.</summary>
    public override void Dispose()
    {
        if (_disposed) return;
        try
        {
            if (IsEmulated)
            {
                _modules?.Dispose();
                _pool?.FreeAll();
            }
            else if (_context != 0)
            {
                // Best effort throughout: after a kernel fault every call fails, and the context must still be released.
                cuCtxSetCurrent(_context);
                t_currentBackend = _id;
                if (Stream != 0) cuStreamSynchronize(Stream);
                try { _modules?.Dispose(); } catch (CudaException) { }
                try { _pool?.FreeAll(); } catch (CudaException) { }
                if (Stream != 0) cuStreamDestroy(Stream);
            }
        }
        finally
        {
            _disposed = true;
            t_currentBackend = 0;
            if (_retained) cuDevicePrimaryCtxRelease(_device);
            _retained = false;
            base.Dispose();
        }
    }

    /// <summary>The driver's allocator for <see cref="DeviceMemoryPool"/>.</summary>
    sealed class DriverMemory(CudaBackend backend) : IDeviceMemory
    {
        public int Allocate(ulong bytes, out ulong pointer) => cuMemAlloc(out pointer, (nuint)bytes);

        public void Free(ulong pointer) => ThrowIfFailed(cuMemFree(pointer));

        public void Synchronize() => ThrowIfFailed(cuStreamSynchronize(backend.Stream));

        public (long Free, long Total) Info() => cuMemGetInfo(out nuint free, out nuint total) == CUDA_SUCCESS ? ((long)free, (long)total) : (-1, -1);
    }
}
