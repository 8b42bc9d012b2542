namespace ConsistencyModels.Runtime.Gl;

/// <summary>
/// Minimal EGL 1.5 binding (libEGL.so.1) for a headless OpenGL context on the device platform
/// (EGL_EXT_platform_device) or Mesa's surfaceless platform.
/// Function pointers are resolved once from the loaded library, so a missing library is a recoverable
/// condition (<see cref="TryLoad"/>) rather than a <see cref="DllNotFoundException"/> at the first call.
/// </summary>
internal sealed unsafe class Egl
{
    public const int PlatformSurfacelessMesa = 0x31DD;
    public const int PlatformDeviceExt = 0x313F;
    public const int Extensions = 0x3055;
    public const int DrmDeviceFileExt = 0x3233;
    public const int OpenGLApi = 0x30A2;
    public const int None = 0x3038;
    public const int RenderableType = 0x3040;
    public const int OpenGLBit = 0x0008;
    public const int ContextMajorVersion = 0x3098;
    public const int ContextMinorVersion = 0x30FB;
    public const int ContextOpenGLProfileMask = 0x30FD;
    public const int ContextOpenGLCoreProfileBit = 0x0001;
    public const int Success = 0x3000;

    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["libEGL.dll", "EGL.dll"]
        : ["libEGL.so.1", "libEGL.so"];

    public readonly delegate* unmanaged<byte*, IntPtr> GetProcAddressPtr;
    public readonly delegate* unmanaged<int, IntPtr, nint*, IntPtr> GetPlatformDisplay;
    public readonly delegate* unmanaged<int, IntPtr, int*, IntPtr> GetPlatformDisplayExt;
    public readonly delegate* unmanaged<IntPtr, int*, int*, int> Initialize;
    public readonly delegate* unmanaged<int, int> BindApi;
    public readonly delegate* unmanaged<IntPtr, int*, IntPtr*, int, int*, int> ChooseConfig;
    public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr, int*, IntPtr> CreateContext;
    public readonly delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, int> MakeCurrent;
    public readonly delegate* unmanaged<IntPtr, IntPtr, int> DestroyContext;
    public readonly delegate* unmanaged<IntPtr, int> Terminate;
    public readonly delegate* unmanaged<int> GetError;
    public readonly delegate* unmanaged<int> ReleaseThread;
    // EGL_EXT_device_enumeration / EGL_EXT_device_query: null where the implementation lacks them.
    public readonly delegate* unmanaged<int, IntPtr*, int*, int> QueryDevicesExt;
    public readonly delegate* unmanaged<IntPtr, int, byte*> QueryDeviceStringExt;

    private Egl(IntPtr lib)
    {
        GetProcAddressPtr = (delegate* unmanaged<byte*, IntPtr>)NativeLibraryLoader.Export(lib, "eglGetProcAddress");
        GetPlatformDisplay = (delegate* unmanaged<int, IntPtr, nint*, IntPtr>)NativeLibraryLoader.OptionalExport(lib, "eglGetPlatformDisplay");
        GetPlatformDisplayExt = (delegate* unmanaged<int, IntPtr, int*, IntPtr>)GetProcAddress("eglGetPlatformDisplayEXT");
        Initialize = (delegate* unmanaged<IntPtr, int*, int*, int>)NativeLibraryLoader.Export(lib, "eglInitialize");
        BindApi = (delegate* unmanaged<int, int>)NativeLibraryLoader.Export(lib, "eglBindAPI");
        ChooseConfig = (delegate* unmanaged<IntPtr, int*, IntPtr*, int, int*, int>)NativeLibraryLoader.Export(lib, "eglChooseConfig");
        CreateContext = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, int*, IntPtr>)NativeLibraryLoader.Export(lib, "eglCreateContext");
        MakeCurrent = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr, int>)NativeLibraryLoader.Export(lib, "eglMakeCurrent");
        DestroyContext = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibraryLoader.Export(lib, "eglDestroyContext");
        Terminate = (delegate* unmanaged<IntPtr, int>)NativeLibraryLoader.Export(lib, "eglTerminate");
        GetError = (delegate* unmanaged<int>)NativeLibraryLoader.Export(lib, "eglGetError");
        ReleaseThread = (delegate* unmanaged<int>)NativeLibraryLoader.Export(lib, "eglReleaseThread");
        QueryDevicesExt = (delegate* unmanaged<int, IntPtr*, int*, int>)GetProcAddress("eglQueryDevicesEXT");
        QueryDeviceStringExt = (delegate* unmanaged<IntPtr, int, byte*>)GetProcAddress("eglQueryDeviceStringEXT");
    }

    /// <summary>Loads libEGL; false with a reason when it is not installed or lacks an entry point.</summary>
    public static bool TryLoad(out Egl? egl, out string reason)
    {
        egl = null;
        if (!NativeLibraryLoader.TryLoad(Candidates, out var lib, out reason))
        {
            reason = "EGL library not found (" + reason + ")";
            return false;
        }
        try
        {
            egl = new Egl(lib);
            return true;
        }
        catch (EntryPointNotFoundException e)
        {
            reason = "EGL library is incomplete: " + e.Message;
            return false;
        }
    }

    /// <summary>The EGL devices (EGL_EXT_device_enumeration); empty when the extension is missing.</summary>
    public IntPtr[] QueryDevices()
    {
        if (QueryDevicesExt == null) return [];
        int count = 0;
        if (QueryDevicesExt(0, null, &count) == 0 || count <= 0) return [];
        var devices = new IntPtr[count];
        fixed (IntPtr* p = devices)
            if (QueryDevicesExt(count, p, &count) == 0) return [];
        return devices[..Math.Min(count, devices.Length)];
    }

    /// <summary>eglQueryDeviceStringEXT (e.g. <see cref="Extensions"/>, <see cref="DrmDeviceFileExt"/>); empty when unknown.</summary>
    public string QueryDeviceString(IntPtr device, int name)
    {
        if (QueryDeviceStringExt == null) return "";
        byte* text = QueryDeviceStringExt(device, name);
        if (text == null)
        {
            GetError(); // clear EGL_BAD_PARAMETER for a string the device does not have
            return "";
        }
        return System.Runtime.InteropServices.Marshal.PtrToStringAnsi((IntPtr)text) ?? "";
    }

    /// <summary>eglGetProcAddress for a GL or EGL function name (zero when unknown).</summary>
    public IntPtr GetProcAddress(string name)
    {
        // Names are short ASCII; a stack buffer keeps this allocation-free.
        Span<byte> buffer = stackalloc byte[name.Length + 1];
        for (var i = 0; i < name.Length; i++) buffer[i] = (byte)name[i];
        buffer[name.Length] = 0;
        fixed (byte* p = buffer) return GetProcAddressPtr(p);
    }
}
