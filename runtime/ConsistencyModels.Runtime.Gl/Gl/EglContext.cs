namespace ConsistencyModels.Runtime.Gl;

/// <summary>A headless OpenGL 4.5 core context: EGL on Mesa's surfaceless platform, no window, no display.</summary>
internal sealed unsafe class EglContext : GlContext
{
    private readonly Egl egl;
    private IntPtr display;
    private IntPtr context;

    // eglInitialize/eglTerminate are not reference-counted per display (EGL_KHR_display_reference is
    // optional), so the process counts live contexts and terminates the shared display with the last one.
    private static readonly Lock Gate = new();
    private static int liveContexts;

    private EglContext(Egl egl, IntPtr display, IntPtr context)
    {
        this.egl = egl;
        this.display = display;
        this.context = context;
        Bind(egl.GetProcAddress);
    }

    /// <inheritdoc />
    public override bool IsHeadless => true;

    public static EglContext Create()
    {
        if (!Egl.TryLoad(out var egl, out var reason))
            throw new GlUnavailableException($"{reason}; install: {GlUnavailableException.InstallHint}");
        var e = egl!;

        // EGL 1.5's eglGetPlatformDisplay takes EGLAttrib, the EXT variant EGLint; both accept a null list.
        var display = e.GetPlatformDisplay != null
            ? e.GetPlatformDisplay(Egl.PlatformSurfacelessMesa, IntPtr.Zero, null)
            : e.GetPlatformDisplayExt != null ? e.GetPlatformDisplayExt(Egl.PlatformSurfacelessMesa, IntPtr.Zero, null) : IntPtr.Zero;
        if (display == IntPtr.Zero)
            throw new GlUnavailableException($"EGL has no surfaceless platform display (error 0x{e.GetError():X}); install: {GlUnavailableException.InstallHint}");

        int major, minor;
        lock (Gate)
        {
            if (e.Initialize(display, &major, &minor) == 0)
                throw new GlUnavailableException($"eglInitialize failed (error 0x{e.GetError():X}); install: {GlUnavailableException.InstallHint}");
            liveContexts++;
        }
        IntPtr context = IntPtr.Zero;
        try
        {
            if (e.BindApi(Egl.OpenGLApi) == 0)
                throw new GlUnavailableException($"eglBindAPI(EGL_OPENGL_API) failed (error 0x{e.GetError():X}).");

            var configAttribs = stackalloc int[] { Egl.RenderableType, Egl.OpenGLBit, Egl.None };
            IntPtr config;
            int count;
            // Surfaceless needs no surface type; EGL_KHR_no_config_context allows a null config when none matches.
            if (e.ChooseConfig(display, configAttribs, &config, 1, &count) == 0 || count < 1)
                config = IntPtr.Zero;

            var contextAttribs = stackalloc int[]
            {
                Egl.ContextMajorVersion, 4, Egl.ContextMinorVersion, 5,
                Egl.ContextOpenGLProfileMask, Egl.ContextOpenGLCoreProfileBit, Egl.None,
            };
            context = e.CreateContext(display, config, IntPtr.Zero, contextAttribs);
            if (context == IntPtr.Zero)
                throw new GlUnavailableException($"eglCreateContext for OpenGL 4.5 core failed (error 0x{e.GetError():X}).");
            if (e.MakeCurrent(display, IntPtr.Zero, IntPtr.Zero, context) == 0)
                throw new GlUnavailableException($"eglMakeCurrent without a surface failed (error 0x{e.GetError():X}).");
            return new EglContext(e, display, context);
        }
        catch
        {
            if (context != IntPtr.Zero)
            {
                e.MakeCurrent(display, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
                e.DestroyContext(display, context);
            }
            Release(e, display);
            throw;
        }
    }

    protected override void ReleaseNative()
    {
        if (display == IntPtr.Zero) return;
        egl.MakeCurrent(display, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
        egl.DestroyContext(display, context);
        egl.ReleaseThread();
        Release(egl, display);
        display = IntPtr.Zero;
        context = IntPtr.Zero;
    }

    private static void Release(Egl egl, IntPtr display)
    {
        lock (Gate)
        {
            if (--liveContexts == 0) egl.Terminate(display);
        }
    }
}
