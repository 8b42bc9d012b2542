using System.Diagnostics;
using System.Runtime.CompilerServices;
using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Gl;

namespace TextureViewer;

/// <summary>Headless EGL (a GPU device, else Mesa surfaceless): renders N frames of the tiled plane offscreen at a display pace (--fps, 60 by default), writes PNGs, a contact sheet and stats.json.</summary>
internal static class HeadlessViewer
{
    private const int TargetWidth = 512, TargetHeight = 384, SheetFrames = 12;

    // The frame loop runs for the whole session: compile it optimized once, up front. Tiered JIT would otherwise
    // replace it on the stack after ~10 000 frames (OSR), a one-time native step of several MB in a soak's curve.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Run(GlContext context, ViewerOptions options, IGlTextureFeed textures, TextureRequest request, TextWriter log)
    {
        var gl = context.GL;
        var frames = options.Frames ?? 60;
        Directory.CreateDirectory(options.OutputDirectory);
        log.WriteLine($"headless: {context.Description}, {frames} frames of {TargetWidth}×{TargetHeight} offscreen, texture {request.Width}×{request.Height}");

        using var renderer = new PlaneRenderer(gl);
        using var target = new OffscreenTarget(gl, TargetWidth, TargetHeight);
        var stats = new StageStats();
        var captureEvery = Math.Max(1, frames / SheetFrames);
        // Everything the run keeps is allocated here, before frame 0: the captures go straight into the sheet and
        // the named frames into their own buffers, so memory stays flat for any number of frames (MemoryTrace).
        var sheet = new ContactSheet(TargetWidth, TargetHeight, 4, Math.Min(SheetFrames, (frames + captureEvery - 1) / captureEvery));
        var readback = new byte[4 * TargetWidth * TargetHeight];
        int[] named = [0, frames / 2, frames - 1];
        var keep = named.Distinct().ToDictionary(i => i, _ => new byte[readback.Length]);
        foreach (var buffer in keep.Values) Array.Fill(buffer, (byte)0xFF); // touch the pages now, not at the capture
        using var memory = new MemoryTrace(frames);
        // Without --class the contact sheet walks through the classes: each sheet cell asks for the next class a
        // few frames before it is captured, so a newcomer sees what the model can make.
        bool cycleClasses = options.ClassName is null && textures.ClassNames.Count > 1 && captureEvery >= 3;
        var shownClasses = new List<string>(sheet.Capacity);

        // The first texture must exist before frame 0 is drawn.
        textures.WaitForFirst(TimeSpan.FromSeconds(30));

        var framePeriod = options.FramesPerSecond > 0 ? 1.0 / options.FramesPerSecond : 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < frames; i++)
        {
            var due = TimeSpan.FromSeconds(i * framePeriod) - clock.Elapsed; // pace like a display (60 Hz by default)
            if (due > TimeSpan.Zero) Thread.Sleep(due);
            if (cycleClasses && i % captureEvery == 1 && i / captureEvery + 1 < SheetFrames)
                textures.Request = request with { ClassIndex = (request.ClassIndex + i / captureEvery + 1) % textures.ClassNames.Count };

            var t0 = Stopwatch.GetTimestamp();
            if (textures.Update())
            {
                stats.Generate += textures.GenerateMilliseconds;
                stats.GenerateSamples++;
            }
            gl.Finish();
            var t1 = Stopwatch.GetTimestamp();
            target.Bind();
            renderer.Draw(textures.CurrentTexture, TargetWidth, TargetHeight, clock.Elapsed.TotalSeconds);
            gl.Finish();
            var t2 = Stopwatch.GetTimestamp();
            stats.Upload += Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
            stats.Draw += Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
            stats.Frames++;

            var capture = i % captureEvery == 0 && !sheet.IsFull;
            if (capture || keep.ContainsKey(i))
            {
                renderer.ReadPixels(readback, TargetWidth, TargetHeight);
                stats.Readback += Stopwatch.GetElapsedTime(t2).TotalMilliseconds;
                stats.ReadbackSamples++;
                if (capture)
                {
                    sheet.Add(readback);
                    shownClasses.Add(SourceFactory.ClassName(textures.ClassNames, textures.ShownRequest.ClassIndex));
                }
                if (keep.TryGetValue(i, out var kept)) readback.CopyTo(kept, 0);
            }
            memory.Frame(i, force: i == frames - 1);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        textures.Stop(); // stop generating so the counters below are final

        var written = new List<string>();
        foreach (var (index, rgba) in keep.OrderBy(k => k.Key))
        {
            var path = Path.Combine(options.OutputDirectory, $"frame_{index:D3}.png");
            Png.Write(path, rgba, TargetWidth, TargetHeight);
            written.Add(path);
        }
        var texture = new byte[4 * textures.Width * textures.Height];
        textures.ReadCurrent(texture);
        var texturePath = Path.Combine(options.OutputDirectory, "texture.png");
        Png.Write(texturePath, texture, textures.Width, textures.Height);
        written.Add(texturePath);
        var sheetPath = Path.Combine(options.OutputDirectory, "contact_sheet.png");
        Png.Write(sheetPath, sheet.Rgba, sheet.Width, sheet.Height);
        written.Add(sheetPath);
        if (options.Screenshot is not null)
        {
            Png.Write(options.Screenshot, keep[frames - 1], TargetWidth, TargetHeight);
            written.Add(options.Screenshot);
        }

        var statsPath = Path.Combine(options.OutputDirectory, "stats.json");
        stats.WriteJson(statsPath, new Dictionary<string, object?>
        {
            ["mode"] = "headless-egl",
            ["gl"] = context.Description,
            ["source"] = textures.Description,
            ["backend"] = textures.Backend.Name(),
            ["class"] = SourceFactory.ClassName(textures.ClassNames, request.ClassIndex),
            ["contactSheetClasses"] = shownClasses,
            ["steps"] = request.Steps,
            ["size"] = request.Width,
            ["texturesProduced"] = textures.Produced,
            ["texturesShown"] = textures.Shown,
            ["texturesDropped"] = textures.Dropped,
            ["lateFrames"] = textures.Late,
            ["framesPerSecondTarget"] = options.FramesPerSecond,
            ["memory"] = memory.ToJson(),
        }, seconds);
        written.Add(statsPath);

        log.WriteLine($"rendered {stats.Frames} frames in {seconds:F2} s: {stats.Summary(seconds)}");
        log.WriteLine($"textures: {textures.Produced} produced, {textures.Shown} shown, {textures.Dropped} dropped; {textures.Late} frames reused the previous texture");
        var (afterWarmup, end, growth, _) = memory.Growth();
        if (double.IsFinite(growth))
            log.WriteLine($"memory: RSS {afterWarmup:F1} MB after {memory.WarmupFrames} warm-up frames, {end:F1} MB at the end ({growth:+0.00;-0.00} %)");
        log.WriteLine("wrote: " + string.Join(", ", written));
        return 0;
    }
}
