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

    ITextureSource source;
    TextureRequest request;
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
        if (source.ClassNames.Count > 0) log.WriteLine($"classes (Left/Right): {string.Join(", ", source.ClassNames)}");
        log.WriteLine($"texture: {request.Width}×{request.Height}, class {SourceFactory.ClassName(source, request.ClassIndex)}, {request.Steps} step(s), seed {request.Seed}");

        if (options.CpuOnly)
            return CpuViewer.Run(options, source, request, "--cpu given", log);

        if (!options.Headless)
        {
            GlWindow? window = null;
            try
            {
                window = GlContext.CreateWindow(960, 640, "ConsistencyModels viewer");
            }
            catch (GlUnavailableException e)
            {
                log.WriteLine($"no window ({e.Message}); falling back to headless EGL.");
            }
            if (window is not null)
            {
                using (window)
                {
                    try
                    {
                        return WindowedViewer.Run(window, options, source, request, log);
                    }
                    catch (Exception e) when (e is InvalidOperationException or GlUnavailableException)
                    {
                        Console.Error.WriteLine($"window rendering failed: {e.Message}");
                        return 1;
                    }
                }
            }
        }

        string reason;
        if (GlContext.TryCreateHeadless(out var context, out reason))
        {
            using (context)
            {
                try
                {
                    return HeadlessViewer.Run(context!, options, source, request, log);
                }
                catch (InvalidOperationException e)
                {
                    reason = $"headless rendering failed: {e.Message}";
                }
            }
        }
        return CpuViewer.Run(options, source, request, reason, log);
    }
}
