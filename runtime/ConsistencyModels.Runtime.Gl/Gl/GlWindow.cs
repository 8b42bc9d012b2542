using System.Collections.Concurrent;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>
/// A GLFW window with an OpenGL 4.5 core, forward-compatible context. Without a display glfwInit fails
/// and <see cref="GlContext.CreateWindow"/> throws <see cref="GlUnavailableException"/> with GLFW's
/// reason: the caller's signal to fall back to <see cref="GlContext.CreateHeadless"/>.
/// </summary>
public sealed unsafe class GlWindow : GlContext
{
    private static readonly ConcurrentDictionary<IntPtr, GlWindow> Windows = new();
    // glfwInit/glfwTerminate are process-wide: terminate only when the last window goes.
    private static readonly Lock Gate = new();
    private static int liveWindows;
    private readonly Glfw glfw;
    private IntPtr handle;
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? callbackError;

    private GlWindow(Glfw glfw, IntPtr handle)
    {
        this.glfw = glfw;
        this.handle = handle;
        Windows[handle] = this;
        glfw.SetKeyCallback(handle, &OnKey);
        Bind(glfw.GetProcAddress);
    }

    /// <summary>Raised on the window thread (inside <see cref="PollEvents"/>) for each key press or repeat, with the GLFW key code.</summary>
    public event Action<int>? KeyPressed;

    /// <inheritdoc />
    public override bool IsHeadless => false;

    /// <summary>True once the user asked to close the window (or <see cref="Close"/> was called).</summary>
    public bool ShouldClose => glfw.WindowShouldClose(handle) != 0;

    /// <summary>The framebuffer size in pixels (may differ from the window size on high-DPI screens).</summary>
    public (int Width, int Height) FramebufferSize
    {
        get
        {
            int w, h;
            glfw.GetFramebufferSize(handle, &w, &h);
            return (w, h);
        }
    }

    internal static GlWindow Create(int width, int height, string title, bool visible)
    {
        if (width < 1 || height < 1)
            throw new ArgumentOutOfRangeException(nameof(width), $"window size must be at least 1×1, got {width}×{height}.");
        if (!Glfw.TryLoad(out var loaded, out var reason))
            throw new GlUnavailableException($"{reason}; install: {GlUnavailableException.WindowInstallHint}");
        var glfw = loaded!;
        lock (Gate)
        {
            Glfw.ClearError();
            if (glfw.Init() == 0)
                throw new GlUnavailableException($"glfwInit failed: {Glfw.LastError ?? "no reason given"} (no display? set DISPLAY or use headless EGL).");
            liveWindows++;
        }
        glfw.DefaultWindowHints();
        glfw.WindowHint(Glfw.ContextVersionMajor, 4);
        glfw.WindowHint(Glfw.ContextVersionMinor, 5);
        glfw.WindowHint(Glfw.OpenGLProfile, Glfw.OpenGLCoreProfile);
        glfw.WindowHint(Glfw.OpenGLForwardCompat, 1);
        glfw.WindowHint(Glfw.Visible, visible ? 1 : 0);
        var titleBytes = Glfw.Utf8Z(title);
        IntPtr handle;
        fixed (byte* t = titleBytes) handle = glfw.CreateWindow(width, height, t, IntPtr.Zero, IntPtr.Zero);
        if (handle == IntPtr.Zero)
        {
            var error = Glfw.LastError ?? "no reason given";
            Release(glfw);
            throw new GlUnavailableException($"glfwCreateWindow with OpenGL 4.5 core failed: {error}");
        }
        glfw.MakeContextCurrent(handle);
        try
        {
            return new GlWindow(glfw, handle);
        }
        catch
        {
            Windows.TryRemove(handle, out _);
            glfw.DestroyWindow(handle);
            Release(glfw);
            throw;
        }
    }

    /// <summary>Sets the window title (allocates; call a few times per second at most).</summary>
    public void SetTitle(string title)
    {
        var bytes = Glfw.Utf8Z(title);
        fixed (byte* t = bytes) glfw.SetWindowTitle(handle, t);
    }

    /// <summary>Sets the swap interval: 1 waits for vertical sync, 0 does not.</summary>
    public void SetSwapInterval(int interval) => glfw.SwapInterval(interval);

    /// <summary>Shows the back buffer.</summary>
    public void SwapBuffers() => glfw.SwapBuffers(handle);

    /// <summary>Processes pending window events; raises <see cref="KeyPressed"/> and rethrows here anything a handler threw.</summary>
    public void PollEvents()
    {
        glfw.PollEvents();
        var error = callbackError;
        callbackError = null;
        error?.Throw();
    }

    /// <summary>Asks the window to close; <see cref="ShouldClose"/> becomes true.</summary>
    public void Close() => glfw.SetWindowShouldClose(handle, 1);

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnKey(IntPtr window, int key, int scancode, int action, int mods)
    {
        if ((action != Glfw.Press && action != Glfw.Repeat) || !Windows.TryGetValue(window, out var w)) return;
        // An exception must not unwind through GLFW's native frames: keep it for PollEvents.
        try
        {
            w.KeyPressed?.Invoke(key);
        }
        catch (Exception e)
        {
            w.callbackError ??= System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
        }
    }

    /// <inheritdoc />
    protected override void ReleaseNative()
    {
        if (handle == IntPtr.Zero) return;
        Windows.TryRemove(handle, out _);
        glfw.MakeContextCurrent(IntPtr.Zero);
        glfw.DestroyWindow(handle);
        Release(glfw);
        handle = IntPtr.Zero;
    }

    private static void Release(Glfw glfw)
    {
        lock (Gate)
        {
            if (--liveWindows == 0) glfw.Terminate();
        }
    }
}
