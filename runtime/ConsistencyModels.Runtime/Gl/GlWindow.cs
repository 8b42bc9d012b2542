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
    private readonly Glfw glfw;
    private IntPtr handle;

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
        Glfw.ClearError();
        if (glfw.Init() == 0)
            throw new GlUnavailableException($"glfwInit failed: {Glfw.LastError ?? "no reason given"} (no display? set DISPLAY or use headless EGL).");
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
            glfw.Terminate();
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
            glfw.Terminate();
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

    /// <summary>Processes pending window events; raises <see cref="KeyPressed"/>.</summary>
    public void PollEvents() => glfw.PollEvents();

    /// <summary>Asks the window to close; <see cref="ShouldClose"/> becomes true.</summary>
    public void Close() => glfw.SetWindowShouldClose(handle, 1);

    [System.Runtime.InteropServices.UnmanagedCallersOnly]
    private static void OnKey(IntPtr window, int key, int scancode, int action, int mods)
    {
        if ((action == Glfw.Press || action == Glfw.Repeat) && Windows.TryGetValue(window, out var w))
            w.KeyPressed?.Invoke(key);
    }

    /// <inheritdoc />
    protected override void ReleaseNative()
    {
        if (handle == IntPtr.Zero) return;
        Windows.TryRemove(handle, out _);
        glfw.MakeContextCurrent(IntPtr.Zero);
        glfw.DestroyWindow(handle);
        glfw.Terminate();
        handle = IntPtr.Zero;
    }
}
