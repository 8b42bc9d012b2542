using Silk.NET.OpenGL;

namespace ConsistencyModels.Runtime.Gl;

/// <summary>
/// An OpenGL 4.5 core context and the Silk.NET <see cref="Silk.NET.OpenGL.GL"/> bound to it. Create it on
/// the thread that will issue every GL call (the context is made current there) and dispose it on that
/// thread after every GL object created with it has been disposed.
/// </summary>
public abstract class GlContext : IDisposable
{
    private GL? gl;

    /// <summary>The GL function table for this context.</summary>
    public GL GL => gl ?? throw new ObjectDisposedException(GetType().Name);

    /// <summary>The managed thread that created the context; GL calls belong on it.</summary>
    public int OwnerThreadId { get; } = Environment.CurrentManagedThreadId;

    /// <summary>"OpenGL &lt;version&gt; on &lt;renderer&gt;", and for a headless context the EGL route
    /// ("via EGL device 0 (/dev/dri/renderD128)", "via EGL surfaceless"), for logs.</summary>
    public string Description { get; private set; } = "";

    /// <summary>True for a context without a window (EGL device or surfaceless).</summary>
    public abstract bool IsHeadless { get; }

    /// <summary>Creates a headless OpenGL 4.5 core context with EGL: by default on a hardware EGL device (NVIDIA's
    /// headless route), else Mesa's surfaceless platform, else a software EGL device (<see cref="HeadlessGlPlatform"/>;
    /// the environment variable <c>CM_EGL_PLATFORM=device|surfaceless</c> overrides the default).</summary>
    /// <param name="platform">The EGL platform; <see cref="HeadlessGlPlatform.Auto"/> chooses as above.</param>
    /// <exception cref="GlUnavailableException">EGL or the platform is missing, or 4.5 core is not offered (the
    /// message names each route tried).</exception>
    public static GlContext CreateHeadless(HeadlessGlPlatform platform = HeadlessGlPlatform.Auto) => EglContext.Create(platform);

    /// <summary>Creates a window with an OpenGL 4.5 core, forward-compatible context (GLFW).</summary>
    /// <param name="width">Window width in screen units, ≥ 1.</param>
    /// <param name="height">Window height in screen units, ≥ 1.</param>
    /// <param name="title">Window title.</param>
    /// <param name="visible">False to create a hidden window (tests).</param>
    /// <exception cref="GlUnavailableException">GLFW is missing or there is no display (glfwInit fails).</exception>
    public static GlWindow CreateWindow(int width, int height, string title, bool visible = true) =>
        GlWindow.Create(width, height, title, visible);

    /// <summary>Tries <see cref="CreateHeadless"/>; false with the reason instead of throwing.</summary>
    public static bool TryCreateHeadless(out GlContext? context, out string reason, HeadlessGlPlatform platform = HeadlessGlPlatform.Auto)
    {
        try
        {
            context = CreateHeadless(platform);
            reason = "";
            return true;
        }
        catch (GlUnavailableException e)
        {
            context = null;
            reason = e.Message;
            return false;
        }
    }

    /// <summary>Binds the GL function table once the subclass has made its context current.</summary>
    private protected void Bind(Func<string, IntPtr> getProcAddress, string via = "")
    {
        gl = GL.GetApi(getProcAddress);
        var version = gl.GetStringS(StringName.Version) ?? "?";
        var renderer = gl.GetStringS(StringName.Renderer) ?? "?";
        Description = via.Length > 0 ? $"OpenGL {version} on {renderer} via {via}" : $"OpenGL {version} on {renderer}";
        gl.GetInteger(GetPName.MajorVersion, out int major);
        gl.GetInteger(GetPName.MinorVersion, out int minor);
        if (major < 4 || (major == 4 && minor < 5))
            throw new GlUnavailableException($"OpenGL 4.5 is required, the driver offers {major}.{minor} ({renderer}).");
    }

    /// <summary>Throws when called from a thread other than the owner (GL objects must be made and deleted there).</summary>
    public void VerifyThread()
    {
        if (Environment.CurrentManagedThreadId != OwnerThreadId)
            throw new InvalidOperationException($"GL calls must run on the thread that created the context (thread {OwnerThreadId}), not thread {Environment.CurrentManagedThreadId}.");
    }

    /// <summary>Releases the native context.</summary>
    protected abstract void ReleaseNative();

    /// <inheritdoc />
    public void Dispose()
    {
        if (gl is null) return;
        VerifyThread();
        gl.Dispose();
        gl = null;
        ReleaseNative();
        GC.SuppressFinalize(this);
    }
}
