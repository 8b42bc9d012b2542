using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Gl;
using TextureViewer;

// Window if there is a display, else headless EGL, else CPU-only PNGs: the viewer never crashes for lack of GL.
// Every failure, on any thread, ends as one "error:" line and a non-zero exit code, like cm (ViewerErrors).
AppDomain.CurrentDomain.UnhandledException += (_, e) => ViewerErrors.ExitOnUnhandled(e.ExceptionObject);
ConsistencyModels.Platform.GcStress.StartIfRequested();
try
{
    return Run(args);
}
catch (Exception e)
{
    return ViewerErrors.Report(e);
}

static int Run(string[] args)
{
    var log = Console.Out;
    ViewerOptions options;
    try
    {
        options = ViewerOptions.Parse(args);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
    if (options.Help)
    {
        log.WriteLine(ViewerOptions.Usage);
        return 0;
    }

    if (options.Backend == TextureBackend.Gl && (options.CpuOnly || options.Procedural))
    {
        Console.Error.WriteLine($"error: --backend gl runs the model in OpenGL compute shaders; it cannot be combined with {(options.CpuOnly ? "--cpu" : "--procedural")}.");
        return 2;
    }

    try
    {
        SourceFactory.CheckModelPath(options);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }

    // The GL context first (a window, else headless EGL): --backend auto decides by its renderer.
    GlWindow? window = null;
    GlContext? headless = null;
    string reason = "--cpu given";
    if (!options.CpuOnly)
    {
        if (!options.Headless)
        {
            try
            {
                window = GlContext.CreateWindow(960, 640, "ConsistencyModels viewer");
            }
            catch (GlUnavailableException e)
            {
                log.WriteLine($"no window ({e.Message}); falling back to headless EGL.");
            }
        }
        if (window is null && !GlContext.TryCreateHeadless(out headless, out reason))
            headless = null;
    }
    GlContext? context = (GlContext?)window ?? headless;
    try
    {
        return Show(options, window, context, reason, log);
    }
    finally
    {
        context?.Dispose();
    }
}

// Runs the viewer on the context (null: CPU only, for `reason`) with the backend --backend chooses.
static int Show(ViewerOptions options, GlWindow? window, GlContext? context, string reason, TextWriter log)
{
    GlComputeTextureGenerator? compute = null;
    GlComputeTextureFeed? computeFeed = null;
    TextureRequest request;
    string why = options.CpuOnly ? "--cpu given" : "no OpenGL";
    try
    {
        if (context is not null) compute = SourceFactory.CreateCompute(options, context.GL, out why);
        else if (options.Backend == TextureBackend.Gl) throw new ArgumentException($"--backend gl needs OpenGL: {reason}");
        if (compute is not null)
        {
            SourceFactory.CheckSize(compute, options.Size);
            request = new TextureRequest(options.Size, options.Size, SourceFactory.ClassIndex(compute.ClassNames, options.ClassName), options.Steps, options.Seed, 0);
            computeFeed = new GlComputeTextureFeed(context!.GL, compute, request, ownsGenerator: true);
        }
        else request = default;
    }
    catch (ArgumentException e)
    {
        compute?.Dispose();
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
    if (computeFeed is not null)
    {
        using var textures = computeFeed;
        log.WriteLine($"source: {textures.Description}");
        log.WriteLine($"backend: gl (the model in compute shaders on {context!.GL.GetStringS(Silk.NET.OpenGL.StringName.Renderer)}; no libtorch)");
        Describe(textures.ClassNames, request, log);
        return Render(options, window, context, textures, request, log);
    }

    ITextureSource source;
    try
    {
        source = SourceFactory.Create(options, log);
        SourceFactory.CheckSize(source, options.Size);
        request = new TextureRequest(options.Size, options.Size, SourceFactory.ClassIndex(source, options.ClassName), options.Steps, options.Seed, 0);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }

    using (source)
    {
        log.WriteLine($"source: {source.Description}");
        log.WriteLine($"backend: torch ({why})");
        Describe(source.ClassNames, request, log);
        if (context is null)
            return CpuViewer.Run(options, source, request, reason, log);
        IGlTextureFeed textures;
        try
        {
            // Mip chain: the plane is tiled and seen at grazing angles; without mips it shimmers.
            textures = new ProducerTextureFeed(context.GL, source, request, sinkOptions: new GlTextureSinkOptions { Mipmaps = true });
        }
        catch (InvalidOperationException e) when (window is null)
        {
            return CpuViewer.Run(options, source, request, $"headless rendering failed: {e.Message}", log);
        }
        using (textures)
        {
            try
            {
                return Render(options, window, context, textures, request, log);
            }
            catch (InvalidOperationException e) when (window is null)
            {
                textures.Stop();
                return CpuViewer.Run(options, source, request, $"headless rendering failed: {e.Message}", log);
            }
        }
    }
}

static void Describe(IReadOnlyList<string> classes, TextureRequest request, TextWriter log)
{
    if (classes.Count > 0) log.WriteLine($"classes (Left/Right): {string.Join(", ", classes)}");
    log.WriteLine($"texture: {request.Width}×{request.Height}, class {SourceFactory.ClassName(classes, request.ClassIndex)}, {request.Steps} step(s), seed {request.Seed}");
}

static int Render(ViewerOptions options, GlWindow? window, GlContext context, IGlTextureFeed textures, TextureRequest request, TextWriter log)
{
    if (window is null)
        return HeadlessViewer.Run(context, options, textures, request, log);
    try
    {
        return WindowedViewer.Run(window, options, textures, request, log);
    }
    catch (Exception e) when (e is InvalidOperationException or GlUnavailableException)
    {
        Console.Error.WriteLine($"window rendering failed: {e.Message}");
        return 1;
    }
}
