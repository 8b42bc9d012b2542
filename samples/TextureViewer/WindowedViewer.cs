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
    public static int Run(GlWindow window, ViewerOptions options, IGlTextureFeed textures, TextureRequest request, TextWriter log)
    {
        var gl = window.GL;
        log.WriteLine($"window: {window.Description}");
        log.WriteLine("keys: Left/Right class, 1/2 steps, N new seed, A animate on/off, S save PNG, Esc quit");
        window.SetSwapInterval(1);
        using var renderer = new PlaneRenderer(gl);
        var classCount = Math.Max(1, textures.ClassNames.Count);
        var frameLimit = options.Frames ?? (options.Screenshot is not null ? 30 : int.MaxValue);
        var saveRequested = false;
        var saved = 0;

        window.KeyPressed += key =>
        {
            var r = textures.Request;
            switch (key)
            {
                case GlfwKeys.Escape: window.Close(); break;
                case GlfwKeys.Right: textures.Request = r with { ClassIndex = (r.ClassIndex + 1) % classCount }; break;
                case GlfwKeys.Left: textures.Request = r with { ClassIndex = (r.ClassIndex + classCount - 1) % classCount }; break;
                case GlfwKeys.D1: textures.Request = r with { Steps = 1 }; break;
                case GlfwKeys.D2: textures.Request = r with { Steps = 2 }; break;
                case GlfwKeys.N: textures.Request = r with { Seed = r.Seed + 1 }; break;
                case GlfwKeys.A: textures.Animate = !textures.Animate; break;
                case GlfwKeys.S: saveRequested = true; break;
            }
        };

        // Show a texture from the first frame on.
        textures.WaitForFirst(TimeSpan.FromSeconds(30));

        var stats = new StageStats();
        var clock = Stopwatch.StartNew();
        var titleClock = Stopwatch.StartNew();
        var frame = 0;
        while (!window.ShouldClose && frame < frameLimit)
        {
            window.PollEvents();
            if (textures.Error is not null) throw textures.Error;
            var t0 = Stopwatch.GetTimestamp();
            if (textures.Update())
            {
                stats.Generate += textures.GenerateMilliseconds;
                stats.GenerateSamples++;
            }
            var t1 = Stopwatch.GetTimestamp();
            var (fbw, fbh) = window.FramebufferSize;
            gl.BindFramebuffer(FramebufferTarget.Framebuffer, 0);
            renderer.Draw(textures.CurrentTexture, Math.Max(fbw, 1), Math.Max(fbh, 1), clock.Elapsed.TotalSeconds);
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
                    var texture = new byte[4 * textures.Width * textures.Height];
                    textures.ReadCurrent(texture);
                    Directory.CreateDirectory(options.OutputDirectory);
                    var texturePath = Path.Combine(options.OutputDirectory, $"texture_{saved:D3}.png");
                    var windowPath = Path.Combine(options.OutputDirectory, $"window_{saved:D3}.png");
                    Png.Write(texturePath, texture, textures.Width, textures.Height);
                    Png.Write(windowPath, shot, fbw, fbh);
                    log.WriteLine($"saved {texturePath} and {windowPath}");
                }
            }
            window.SwapBuffers();

            if (titleClock.Elapsed.TotalSeconds >= 0.5)
            {
                var r = textures.Request;
                window.SetTitle($"ConsistencyModels viewer | {textures.Backend.Name()} | {SourceFactory.ClassName(textures.ClassNames, r.ClassIndex)} | {r.Steps} step{(r.Steps == 2 ? "s" : "")} | seed {r.Seed} | {stats.Summary(titleClock.Elapsed.TotalSeconds)}{(textures.Animate ? "" : " | paused")}");
                titleClock.Restart();
                stats.Reset();
            }
        }
        log.WriteLine($"window closed after {frame} frames; textures: {textures.Produced} produced, {textures.Shown} shown, {textures.Dropped} dropped");
        return 0;
    }
}
