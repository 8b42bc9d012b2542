namespace ConsistencyModels.Runtime.Gl;

/// <summary>
/// A headless OpenGL 4.5 core context with EGL, no window, no display server: on an EGL device
/// (EGL_EXT_platform_device, NVIDIA's headless route and Mesa's) or Mesa's surfaceless platform, tried in the order
/// <see cref="EglRoute.For"/> gives.
/// </summary>
internal sealed unsafe class EglContext : GlContext
{
    private readonly Egl egl;
    private IntPtr display;
    private IntPtr context;

    // eglInitialize/eglTerminate are not reference-counted per display (EGL_KHR_display_reference is
    // optional), so the process counts live contexts per display and terminates a display with its last one.
    private static readonly Lock Gate = new();
    private static readonly Dictionary<IntPtr, int> LiveContexts = [];

    private EglContext(Egl egl, IntPtr display, IntPtr context, EglRoute route, string deviceName)
    {
        this.egl = egl;
        this.display = display;
        this.context = context;
        Route = route;
        Bind(egl.GetProcAddress, deviceName.Length > 0 ? $"{route} ({deviceName})" : route.ToString());
    }

    /// <summary>How the display was reached.</summary>
    public EglRoute Route { get; }

    /// <inheritdoc />
    public override bool IsHeadless => true;

    /// <summary>Creates the context on the first route of <paramref name="platform"/> that gives OpenGL 4.5 core.</summary>
    /// <exception cref="GlUnavailableException">No route works; the message names each route's failure.</exception>
    public static EglContext Create(HeadlessGlPlatform platform = HeadlessGlPlatform.Auto)
    {
        if (!Egl.TryLoad(out var egl, out var reason))
            throw new GlUnavailableException($"{reason}; install: {GlUnavailableException.InstallHint}");
        var e = egl!;
        platform = EglRoute.Resolve(platform, Environment.GetEnvironmentVariable(EglRoute.EnvironmentVariable));

        var devices = platform == HeadlessGlPlatform.Surfaceless ? [] : e.QueryDevices();
        var software = devices.Select(d => e.QueryDeviceString(d, Egl.Extensions).Contains("EGL_MESA_device_software", StringComparison.Ordinal)).ToArray();
        var routes = EglRoute.For(platform, software);
        var failures = new List<string>();
        if (routes.Count == 0) failures.Add("no EGL device (EGL_EXT_device_enumeration lists none)");
        foreach (var route in routes)
        {
            IntPtr device = route.DeviceIndex >= 0 ? devices[route.DeviceIndex] : IntPtr.Zero;
            if (TryOpen(e, route, device, out var created, out var failure)) return created!;
            failures.Add($"{route}: {failure}");
        }
        throw new GlUnavailableException($"no headless OpenGL 4.5 core context ({string.Join("; ", failures)}); install: {GlUnavailableException.InstallHint}");
    }

    private static bool TryOpen(Egl e, EglRoute route, IntPtr device, out EglContext? created, out string failure)
    {
        created = null;
        int platformId = route.Platform == HeadlessGlPlatform.Surfaceless ? Egl.PlatformSurfacelessMesa : Egl.PlatformDeviceExt;
        // EGL 1.5's eglGetPlatformDisplay takes EGLAttrib, the EXT variant EGLint; both accept a null list.
        var display = e.GetPlatformDisplay != null
            ? e.GetPlatformDisplay(platformId, device, null)
            : e.GetPlatformDisplayExt != null ? e.GetPlatformDisplayExt(platformId, device, null) : IntPtr.Zero;
        if (display == IntPtr.Zero)
        {
            failure = $"no display (error 0x{e.GetError():X})";
            return false;
        }

        int major, minor;
        lock (Gate)
        {
            if (e.Initialize(display, &major, &minor) == 0)
            {
                failure = $"eglInitialize failed (error 0x{e.GetError():X})";
                return false;
            }
            LiveContexts[display] = LiveContexts.GetValueOrDefault(display) + 1;
        }
        IntPtr context = IntPtr.Zero;
        try
        {
            if (e.BindApi(Egl.OpenGLApi) == 0)
                throw new GlUnavailableException($"eglBindAPI(EGL_OPENGL_API) failed (error 0x{e.GetError():X})");

            var configAttribs = stackalloc int[] { Egl.RenderableType, Egl.OpenGLBit, Egl.None };
            IntPtr config;
            int count;
            // No surface is made, so no surface type is asked; EGL_KHR_no_config_context allows a null config when none matches.
            if (e.ChooseConfig(display, configAttribs, &config, 1, &count) == 0 || count < 1)
                config = IntPtr.Zero;

            var contextAttribs = stackalloc int[]
            {
                Egl.ContextMajorVersion, 4, Egl.ContextMinorVersion, 5,
                Egl.ContextOpenGLProfileMask, Egl.ContextOpenGLCoreProfileBit, Egl.None,
            };
            context = e.CreateContext(display, config, IntPtr.Zero, contextAttribs);
            if (context == IntPtr.Zero)
                throw new GlUnavailableException($"eglCreateContext for OpenGL 4.5 core failed (error 0x{e.GetError():X})");
            if (e.MakeCurrent(display, IntPtr.Zero, IntPtr.Zero, context) == 0)
                throw new GlUnavailableException($"eglMakeCurrent without a surface failed (error 0x{e.GetError():X})");
            string deviceName = device == IntPtr.Zero ? "" : e.QueryDeviceString(device, Egl.DrmDeviceFileExt);
            created = new EglContext(e, display, context, route, deviceName);
            failure = "";
            return true;
        }
        catch (GlUnavailableException x)
        {
            if (context != IntPtr.Zero)
            {
                e.MakeCurrent(display, IntPtr.Zero, IntPtr.Zero, IntPtr.Zero);
                e.DestroyContext(display, context);
            }
            Release(e, display);
            failure = x.Message;
            return false;
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
            int left = LiveContexts.GetValueOrDefault(display) - 1;
            if (left > 0)
            {
                LiveContexts[display] = left;
                return;
            }
            LiveContexts.Remove(display);
            egl.Terminate(display);
        }
    }
}
