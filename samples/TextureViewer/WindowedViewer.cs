using System.Diagnostics;
using System.Runtime.CompilerServices;
using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Gl;
using Silk.NET.OpenGL;

namespace TextureViewer;

/// <summary>The interactive window: live texture tiled 3×3 on a spinning plane, keys change class, steps, seed and animation.</summary>
internal static class WindowedViewer
{
    // The frame loop runs for the whole session: compile it optimized once, up front. Tiered JIT would otherwise
    // replace it on the stack after ~10 000 frames (OSR), a one-time native step of several MB in a soak's curve.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Run(GlWindow window, ViewerOptions options, ITextureSource source, TextureRequest request, TextWriter log)
    {
        var gl = window.GL;
        log.WriteLine($"window: {window.Description}");
        log.WriteLine("keys: Left/Right class, 1/2 steps, N new seed, A animate on/off, S save PNG, Esc quit");
        window.SetSwapInterval(1);
        // Mip chain: the plane is tiled and seen at grazing angles; without mips it shimmers.
        using var sink = new GlTextureSink(gl, request.Width, request.Height, new GlTextureSinkOptions { Mipmaps = true });
        using var renderer = new PlaneRenderer(gl);
        using var producer = new TextureProducer(source, request, animate: true);
        var classCount = Math.Max(1, source.ClassNames.Count);
        var frameLimit = options.Frames ?? (options.Screenshot is not null ? 30 : int.MaxValue);
        var saveRequested = false;
        var saved = 0;

        window.KeyPressed += key =>
        {
            var r = producer.Request;
            switch (key)
            {
                case GlfwKeys.Escape: window.Close(); break;
                case GlfwKeys.Right: producer.Request = r with { ClassIndex = (r.ClassIndex + 1) % classCount }; break;
                case GlfwKeys.Left: producer.Request = r with { ClassIndex = (r.ClassIndex + classCount - 1) % classCount }; break;
                case GlfwKeys.D1: producer.Request = r with { Steps = 1 }; break;
                case GlfwKeys.D2: producer.Request = r with { Steps = 2 }; break;
                case GlfwKeys.N: producer.Request = r with { Seed = r.Seed + 1 }; break;
                case GlfwKeys.A: producer.Animate = !producer.Animate; break;
                case GlfwKeys.S: saveRequested = true; break;
            }
        };

        // Show a texture from the first frame on.
        var wait = Stopwatch.StartNew();
        while (!producer.Frames.HasFresh && producer.Error is null && wait.Elapsed < TimeSpan.FromSeconds(30)) Thread.Sleep(1);

        var stats = new StageStats();
        var clock = Stopwatch.StartNew();
        var titleClock = Stopwatch.StartNew();
        var frame = 0;
        while (!window.ShouldClose && frame < frameLimit)
        {
            window.PollEvents();
            if (producer.Error is not null) throw producer.Error;
            var t0 = Stopwatch.GetTimestamp();
            if (sink.Update(producer.Frames))
            {
                stats.Generate += producer.Frames.Front.GenerateMilliseconds;
                stats.GenerateSamples++;
            }
            var t1 = Stopwatch.GetTimestamp();
            var (fbw, fbh) = window.FramebufferSize;
            gl.BindFramebuffer(FramebufferTarget.Framebuffer, 0);
            renderer.Draw(sink.CurrentTexture, Math.Max(fbw, 1), Math.Max(fbh, 1), clock.Elapsed.TotalSeconds);
            var t2 = Stopwatch.GetTimestamp();
            stats.Upload += Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            stats.Draw += Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            stats.Frames++;
            frame++;

            var lastFrame = frame >= frameLimit;
            if (saveRequested || (lastFrame && options.Screenshot is not null))
            {
                // Read the back buffer before swapping: after the swap its contents are undefined.
                gl.ReadBuffer(ReadBufferMode.Back);
                var shot = renderer.ReadPixels(fbw, fbh);
                if (lastFrame && options.Screenshot is not null)
                {
                    Png.Write(options.Screenshot, shot, fbw, fbh);
                    log.WriteLine($"screenshot: {options.Screenshot} ({fbw}×{fbh})");
                }
                if (saveRequested)
                {
                    saveRequested = false;
                    saved++;
                    var texture = new byte[4 * sink.Width * sink.Height];
                    sink.ReadCurrent(texture);
                    Directory.CreateDirectory(options.OutputDirectory);
                    var texturePath = Path.Combine(options.OutputDirectory, $"texture_{saved:D3}.png");
                    var windowPath = Path.Combine(options.OutputDirectory, $"window_{saved:D3}.png");
                    Png.Write(texturePath, texture, sink.Width, sink.Height);
                    Png.Write(windowPath, shot, fbw, fbh);
                    log.WriteLine($"saved {texturePath} and {windowPath}");
                }
            }
            window.SwapBuffers();

            if (titleClock.Elapsed.TotalSeconds >= 0.5)
            {
                var r = producer.Request;
                window.SetTitle($"ConsistencyModels viewer | {SourceFactory.ClassName(source, r.ClassIndex)} | {r.Steps} step{(r.Steps == 2 ? "s" : "")} | seed {r.Seed} | {stats.Summary(titleClock.Elapsed.TotalSeconds)}{(producer.Animate ? "" : " | paused")}");
                titleClock.Restart();
                stats.Reset();
            }
        }
        log.WriteLine($"window closed after {frame} frames; textures: {producer.Frames.Published} produced, {producer.Frames.Acquired} shown, {producer.Frames.Dropped} dropped");
        return 0;
    }
}
