using System.Runtime.InteropServices;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>
/// Minimal GLFW 3.3 binding (libglfw.so.3 / glfw3.dll / libglfw.3.dylib): just what a window with an
/// OpenGL 4.5 core context needs. Callbacks are static <see cref="UnmanagedCallersOnlyAttribute"/>
/// methods, so no delegate can be collected while native code still holds it.
/// </summary>
internal sealed unsafe class Glfw
{
    public const int ContextVersionMajor = 0x00022002;
    public const int ContextVersionMinor = 0x00022003;
    public const int OpenGLForwardCompat = 0x00022006;
    public const int OpenGLProfile = 0x00022008;
    public const int OpenGLCoreProfile = 0x00032001;
    public const int Visible = 0x00020004;
    public const int Resizable = 0x00020003;
    public const int Press = 1;
    public const int Repeat = 2;

    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? ["glfw3.dll", "glfw.dll"]
        : OperatingSystem.IsMacOS() ? ["libglfw.3.dylib", "libglfw.dylib"] : ["libglfw.so.3", "libglfw.so"];

    private static Glfw? loaded;
    private static string? lastError;

    public readonly delegate* unmanaged<delegate* unmanaged<int, byte*, void>, IntPtr> SetErrorCallback;
    public readonly delegate* unmanaged<int> Init;
    public readonly delegate* unmanaged<void> Terminate;
    public readonly delegate* unmanaged<void> DefaultWindowHints;
    public readonly delegate* unmanaged<int, int, void> WindowHint;
    public readonly delegate* unmanaged<int, int, byte*, IntPtr, IntPtr, IntPtr> CreateWindow;
    public readonly delegate* unmanaged<IntPtr, void> DestroyWindow;
    public readonly delegate* unmanaged<IntPtr, void> MakeContextCurrent;
    public readonly delegate* unmanaged<IntPtr, void> SwapBuffers;
    public readonly delegate* unmanaged<int, void> SwapInterval;
    public readonly delegate* unmanaged<void> PollEvents;
    public readonly delegate* unmanaged<IntPtr, int> WindowShouldClose;
    public readonly delegate* unmanaged<IntPtr, int, void> SetWindowShouldClose;
    public readonly delegate* unmanaged<IntPtr, byte*, void> SetWindowTitle;
    public readonly delegate* unmanaged<IntPtr, int*, int*, void> GetFramebufferSize;
    public readonly delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, int, int, int, int, void>, IntPtr> SetKeyCallback;
    public readonly delegate* unmanaged<byte*, IntPtr> GetProcAddressPtr;

    private Glfw(IntPtr lib)
    {
        SetErrorCallback = (delegate* unmanaged<delegate* unmanaged<int, byte*, void>, IntPtr>)NativeLibraryLoader.Export(lib, "glfwSetErrorCallback");
        Init = (delegate* unmanaged<int>)NativeLibraryLoader.Export(lib, "glfwInit");
        Terminate = (delegate* unmanaged<void>)NativeLibraryLoader.Export(lib, "glfwTerminate");
        DefaultWindowHints = (delegate* unmanaged<void>)NativeLibraryLoader.Export(lib, "glfwDefaultWindowHints");
        WindowHint = (delegate* unmanaged<int, int, void>)NativeLibraryLoader.Export(lib, "glfwWindowHint");
        CreateWindow = (delegate* unmanaged<int, int, byte*, IntPtr, IntPtr, IntPtr>)NativeLibraryLoader.Export(lib, "glfwCreateWindow");
        DestroyWindow = (delegate* unmanaged<IntPtr, void>)NativeLibraryLoader.Export(lib, "glfwDestroyWindow");
        MakeContextCurrent = (delegate* unmanaged<IntPtr, void>)NativeLibraryLoader.Export(lib, "glfwMakeContextCurrent");
        SwapBuffers = (delegate* unmanaged<IntPtr, void>)NativeLibraryLoader.Export(lib, "glfwSwapBuffers");
        SwapInterval = (delegate* unmanaged<int, void>)NativeLibraryLoader.Export(lib, "glfwSwapInterval");
        PollEvents = (delegate* unmanaged<void>)NativeLibraryLoader.Export(lib, "glfwPollEvents");
        WindowShouldClose = (delegate* unmanaged<IntPtr, int>)NativeLibraryLoader.Export(lib, "glfwWindowShouldClose");
        SetWindowShouldClose = (delegate* unmanaged<IntPtr, int, void>)NativeLibraryLoader.Export(lib, "glfwSetWindowShouldClose");
        SetWindowTitle = (delegate* unmanaged<IntPtr, byte*, void>)NativeLibraryLoader.Export(lib, "glfwSetWindowTitle");
        GetFramebufferSize = (delegate* unmanaged<IntPtr, int*, int*, void>)NativeLibraryLoader.Export(lib, "glfwGetFramebufferSize");
        SetKeyCallback = (delegate* unmanaged<IntPtr, delegate* unmanaged<IntPtr, int, int, int, int, void>, IntPtr>)NativeLibraryLoader.Export(lib, "glfwSetKeyCallback");
        GetProcAddressPtr = (delegate* unmanaged<byte*, IntPtr>)NativeLibraryLoader.Export(lib, "glfwGetProcAddress");
    }

    /// <summary>The last message GLFW reported through its error callback (null when none).</summary>
    public static string? LastError => Volatile.Read(ref lastError);

    /// <summary>Loads GLFW once and installs the error callback (GLFW wants it before glfwInit).</summary>
    public static bool TryLoad(out Glfw? glfw, out string reason)
    {
        if (loaded is not null)
        {
            glfw = loaded;
            reason = "";
            return true;
        }
        glfw = null;
        if (!NativeLibraryLoader.TryLoad(Candidates, out var lib, out reason))
        {
            reason = "GLFW library not found (" + reason + ")";
            return false;
        }
        try
        {
            glfw = new Glfw(lib);
        }
        catch (EntryPointNotFoundException e)
        {
            reason = "GLFW library is incomplete: " + e.Message;
            return false;
        }
        glfw.SetErrorCallback(&OnError);
        loaded = glfw;
        return true;
    }

    /// <summary>Clears the remembered error before a call whose failure we want to explain.</summary>
    public static void ClearError() => Volatile.Write(ref lastError, null);

    /// <summary>glfwGetProcAddress for a GL function name (needs a current context).</summary>
    public IntPtr GetProcAddress(string name)
    {
        Span<byte> buffer = stackalloc byte[name.Length + 1];
        for (var i = 0; i < name.Length; i++) buffer[i] = (byte)name[i];
        buffer[name.Length] = 0;
        fixed (byte* p = buffer) return GetProcAddressPtr(p);
    }

    /// <summary>Null-terminated UTF-8 bytes of a string (titles, only at low rate).</summary>
    public static byte[] Utf8Z(string text)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(text) + 1];
        System.Text.Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    [UnmanagedCallersOnly]
    private static void OnError(int code, byte* description)
    {
        var text = Marshal.PtrToStringUTF8((IntPtr)description) ?? "(no description)";
        Volatile.Write(ref lastError, $"GLFW error 0x{code:X}: {text}");
    }
}
