using System.Runtime.InteropServices;
using ConsistencyModels.Runtime.Gl;

namespace ConsistencyModels.Runtime.Cuda;

/// <summary>
/// The few CUDA runtime (libcudart) entry points needed for CUDA↔OpenGL interop, resolved at run time so
/// the assembly loads everywhere; <see cref="TryLoad"/> is the probe (library present and ≥ 1 device).
/// </summary>
public sealed unsafe class CudaRuntime
{
    /// <summary>cudaGraphicsRegisterFlagsWriteDiscard: CUDA overwrites the whole resource, GL's contents are not preserved.</summary>
    internal const uint RegisterFlagsWriteDiscard = 2;

    /// <summary>cudaMemcpyDeviceToDevice.</summary>
    internal const int MemcpyDeviceToDevice = 3;

    /// <summary>GL_TEXTURE_2D.</summary>
    internal const uint GlTexture2D = 0x0DE1;

    /// <summary>GL_TEXTURE_2D_ARRAY (the sink's planar staging texture: one layer per channel).</summary>
    internal const uint GlTexture2DArray = 0x8C1A;

    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["cudart64_12.dll", "cudart64_110.dll", "cudart64_11.dll"]
        : ["libcudart.so", "libcudart.so.12", "libcudart.so.11.0"];

    internal readonly delegate* unmanaged<int*, int> GetDeviceCount;
    internal readonly delegate* unmanaged<int, byte*> GetErrorString;
    internal readonly delegate* unmanaged<IntPtr*, uint, uint, uint, int> GraphicsGLRegisterImage;
    internal readonly delegate* unmanaged<IntPtr, int> GraphicsUnregisterResource;
    internal readonly delegate* unmanaged<int, IntPtr*, IntPtr, int> GraphicsMapResources;
    internal readonly delegate* unmanaged<int, IntPtr*, IntPtr, int> GraphicsUnmapResources;
    internal readonly delegate* unmanaged<IntPtr*, IntPtr, uint, uint, int> GraphicsSubResourceGetMappedArray;
    internal readonly delegate* unmanaged<IntPtr, nuint, nuint, IntPtr, nuint, nuint, nuint, int, int> Memcpy2DToArray;

    private CudaRuntime(IntPtr lib)
    {
        GetDeviceCount = (delegate* unmanaged<int*, int>)NativeLibraryLoader.Export(lib, "cudaGetDeviceCount");
        GetErrorString = (delegate* unmanaged<int, byte*>)NativeLibraryLoader.Export(lib, "cudaGetErrorString");
        GraphicsGLRegisterImage = (delegate* unmanaged<IntPtr*, uint, uint, uint, int>)NativeLibraryLoader.Export(lib, "cudaGraphicsGLRegisterImage");
        GraphicsUnregisterResource = (delegate* unmanaged<IntPtr, int>)NativeLibraryLoader.Export(lib, "cudaGraphicsUnregisterResource");
        GraphicsMapResources = (delegate* unmanaged<int, IntPtr*, IntPtr, int>)NativeLibraryLoader.Export(lib, "cudaGraphicsMapResources");
        GraphicsUnmapResources = (delegate* unmanaged<int, IntPtr*, IntPtr, int>)NativeLibraryLoader.Export(lib, "cudaGraphicsUnmapResources");
        GraphicsSubResourceGetMappedArray = (delegate* unmanaged<IntPtr*, IntPtr, uint, uint, int>)NativeLibraryLoader.Export(lib, "cudaGraphicsSubResourceGetMappedArray");
        Memcpy2DToArray = (delegate* unmanaged<IntPtr, nuint, nuint, IntPtr, nuint, nuint, nuint, int, int>)NativeLibraryLoader.Export(lib, "cudaMemcpy2DToArray");
    }

    /// <summary>Number of CUDA devices found by the probe.</summary>
    public int DeviceCount { get; private init; }

    /// <summary>Loads libcudart and counts devices; false with the reason when CUDA cannot be used here.</summary>
    public static bool TryLoad(out CudaRuntime? cuda, out string reason)
    {
        cuda = null;
        if (!NativeLibraryLoader.TryLoad(Candidates, out var lib, out reason))
        {
            reason = "CUDA runtime not found (" + reason + ")";
            return false;
        }
        CudaRuntime runtime;
        try
        {
            runtime = new CudaRuntime(lib);
        }
        catch (EntryPointNotFoundException e)
        {
            reason = "CUDA runtime is incomplete: " + e.Message;
            return false;
        }
        int count;
        var status = runtime.GetDeviceCount(&count);
        if (status != 0 || count < 1)
        {
            reason = status != 0 ? $"cudaGetDeviceCount failed: {runtime.Describe(status)}" : "no CUDA device";
            return false;
        }
        cuda = new CudaRuntime(lib) { DeviceCount = count };
        reason = "";
        return true;
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> naming the call when a CUDA status is not success.</summary>
    internal void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed: {Describe(status)}");
    }

    private string Describe(int status) =>
        $"CUDA error {status} ({Marshal.PtrToStringUTF8((IntPtr)GetErrorString(status)) ?? "?"})";
}
