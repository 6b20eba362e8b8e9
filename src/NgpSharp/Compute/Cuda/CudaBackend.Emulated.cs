using System.Diagnostics;
using System.Runtime.InteropServices;
using NgpSharp.Compute.Cuda.Emulation;
using static NgpSharp.Compute.Cuda.Interop.CudaDriver;

namespace NgpSharp.Compute.Cuda;

/// <summary>
/// The emulated device: the same <see cref="CudaBackend"/> (Kind = Cuda, so every module takes its CUDA path), but
/// device memory is host memory and kernels are the embedded .cu sources compiled with g++ against a host prelude
/// (Emulation/ngp_prelude_host.h) and run on the CPU, one launch at a time on the calling thread. For testing
/// kernels without a GPU; slow, deterministic.
/// </summary>
public sealed partial class CudaBackend
{
    const string EmulatorDescription = "cuda-emulator (host, g++)";
    const int EmulatedSharedMemoryOptin = 163 * 1024; // an A100's (sm_80) per-block opt-in limit

    EmulatedKernelCompiler? _emulator;

    /// <summary>True for a backend from <see cref="CreateEmulated"/>.</summary>
    public bool IsEmulated => _emulator is not null;

    /// <summary>
    /// A CUDA backend that runs kernels on the CPU (compiled with g++). Throws <see cref="CudaUnavailableException"/>
    /// saying why when g++ is missing or the platform is not x86-64 Linux.
    /// </summary>
    public static CudaBackend CreateEmulated()
    {
        var compiler = EmulatedKernelCompiler.Create();
        var backend = new CudaBackend();
        backend._emulator = compiler;
        backend.DeviceName = "CUDA emulator (" + compiler.CompilerVersion + ")";
        backend.ComputeCapability = 80;
        backend.MultiprocessorCount = 1;
        backend.MaxSharedMemoryPerBlockOptin = EmulatedSharedMemoryOptin;
        backend.TotalMemory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        backend._pool = new DeviceMemoryPool(new HostMemory());
        backend._modules = new CudaModuleCache(backend, compiler);
        return backend;
    }

    /// <summary>Like <see cref="CreateEmulated"/> without throwing; <paramref name="reason"/> says why not.</summary>
    public static bool TryCreateEmulated(out CudaBackend? backend, out string reason)
    {
        try
        {
            backend = CreateEmulated();
            reason = backend.Description;
            return true;
        }
        catch (CudaUnavailableException e)
        {
            backend = null;
            reason = e.Message;
            return false;
        }
    }

    // ---- device operations: the driver's (stream-ordered) or the emulator's (immediate) ----

    unsafe void MemsetD32(ulong dst, uint value, nuint count)
    {
        if (IsEmulated) new Span<uint>((void*)dst, checked((int)count)).Fill(value);
        else ThrowIfFailed(cuMemsetD32Async(dst, value, count, Stream));
    }

    unsafe void MemsetD16(ulong dst, ushort value, nuint count)
    {
        if (IsEmulated) new Span<ushort>((void*)dst, checked((int)count)).Fill(value);
        else ThrowIfFailed(cuMemsetD16Async(dst, value, count, Stream));
    }

    unsafe void MemsetD8(ulong dst, byte value, nuint count)
    {
        if (IsEmulated) NativeMemory.Fill((void*)dst, count, value);
        else ThrowIfFailed(cuMemsetD8Async(dst, value, count, Stream));
    }

    /// <summary>Copies and waits, so the host memory is no longer needed on return.</summary>
    unsafe void CopyHostToDevice(ulong dst, void* src, nuint bytes)
    {
        if (IsEmulated)
        {
            NativeMemory.Copy(src, (void*)dst, bytes);
            return;
        }
        ThrowIfFailed(cuMemcpyHtoDAsync(dst, src, bytes, Stream));
        ThrowIfFailed(cuStreamSynchronize(Stream));
    }

    unsafe void CopyDeviceToHost(void* dst, ulong src, nuint bytes)
    {
        if (IsEmulated)
        {
            NativeMemory.Copy((void*)src, dst, bytes);
            return;
        }
        ThrowIfFailed(cuMemcpyDtoHAsync(dst, src, bytes, Stream));
        ThrowIfFailed(cuStreamSynchronize(Stream));
    }

    unsafe void CopyDeviceToDevice(ulong dst, ulong src, nuint bytes)
    {
        if (IsEmulated) NativeMemory.Copy((void*)src, (void*)dst, bytes);
        else ThrowIfFailed(cuMemcpyDtoDAsync(dst, src, bytes, Stream));
    }

    /// <summary>Runs the whole grid now, on this thread, through the kernel's <c>ngp_launch_*</c> entry.</summary>
    unsafe void LaunchEmulated<TArgs>(CudaFunction function, LaunchShape shape, in TArgs args) where TArgs : unmanaged
    {
        if (!function.Emulated) throw new ArgumentException($"{function} was not compiled by this backend's emulator", nameof(function));
        if (shape.SharedBytes > MaxSharedMemoryPerBlockOptin)
            throw new ArgumentException($"launch of {function} asks for {shape.SharedBytes} bytes of shared memory; this device allows {MaxSharedMemoryPerBlockOptin} per block");
        const int ErrorCapacity = 1024;
        byte* error = stackalloc byte[ErrorCapacity];
        error[0] = 0;
        var launch = new EmulatedLaunch
        {
            GridX = shape.GridX, GridY = shape.GridY, GridZ = shape.GridZ,
            BlockX = shape.BlockX, BlockY = shape.BlockY, BlockZ = shape.BlockZ,
            SharedBytes = shape.SharedBytes, ArgsSize = (uint)sizeof(TArgs),
            Error = (nint)error, ErrorCapacity = ErrorCapacity,
        };
        TArgs copy = args;
        int r = ((delegate* unmanaged<EmulatedLaunch*, void*, int>)function.Handle)(&launch, &copy);
        if (r != 0)
            throw new CudaException($"emulated launch of {function} ({shape}, {typeof(TArgs).Name}) failed: {Marshal.PtrToStringUTF8((nint)error)}", r);
    }

    float TimeEmulated(Action work)
    {
        long start = Stopwatch.GetTimestamp();
        work();
        return (float)Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }

    /// <summary>NgpLaunch in ngp_prelude_host.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct EmulatedLaunch
    {
        public uint GridX, GridY, GridZ, BlockX, BlockY, BlockZ, SharedBytes, ArgsSize;
        public nint Error;
        public uint ErrorCapacity, Reserved;
    }

    /// <summary>
    /// An artificial device-memory size for the emulator (bytes the pool may hold from the host, cached blocks
    /// included; null: the host's memory): allocations beyond it fail with CUDA_ERROR_OUT_OF_MEMORY, as on a small
    /// GPU (for out-of-memory handling tests).
    /// </summary>
    public long? EmulatedMemoryLimit
    {
        get => (_pool.Memory as HostMemory)?.Limit;
        set
        {
            if (_pool.Memory is not HostMemory host) throw new InvalidOperationException("EmulatedMemoryLimit: only the CUDA emulator has an artificial memory size");
            host.Limit = value;
        }
    }

    /// <summary>Bytes the emulator's pool holds from the host now (live and cached blocks).</summary>
    public long EmulatedAllocatedBytes => (_pool.Memory as HostMemory)?.Allocated ?? 0;

    /// <summary>"Device" memory for the emulator: 256-byte aligned native host memory, optionally capped.</summary>
    sealed unsafe class HostMemory : IDeviceMemory
    {
        readonly Dictionary<ulong, ulong> _sizes = [];
        long _allocated;

        public long? Limit { get; set; }
        public long Allocated { get { lock (_sizes) return _allocated; } }

        public int Allocate(ulong bytes, out ulong pointer)
        {
            lock (_sizes)
            {
                pointer = 0;
                if (Limit is { } limit && _allocated + (long)bytes > limit) return 2; // CUDA_ERROR_OUT_OF_MEMORY
                try { pointer = (ulong)NativeMemory.AlignedAlloc((nuint)bytes, 256); }
                catch (OutOfMemoryException) { return 2; } // CUDA_ERROR_OUT_OF_MEMORY: the pool trims and retries
                _sizes[pointer] = bytes;
                _allocated += (long)bytes;
                return 0;
            }
        }

        public void Free(ulong pointer)
        {
            lock (_sizes)
            {
                if (_sizes.Remove(pointer, out ulong bytes)) _allocated -= (long)bytes;
                NativeMemory.AlignedFree((void*)pointer);
            }
        }

        public void Synchronize() { }

        public (long Free, long Total) Info()
        {
            long total = Limit ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
            return (Limit is { } l ? l - Allocated : -1, total);
        }
    }
}
