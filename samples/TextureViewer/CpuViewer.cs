using System.Diagnostics;
using ConsistencyModels.Runtime;
using ConsistencyModels.Runtime.Gl;

namespace TextureViewer;

/// <summary>No OpenGL at all: still generates textures and writes PNGs, a contact sheet and stats.json on the CPU.</summary>
internal static class CpuViewer
{
    private const int SheetFrames = 12;

    public static int Run(ViewerOptions options, ITextureSource source, TextureRequest request, string reason, TextWriter log)
    {
        log.WriteLine($"no OpenGL: {reason}");
        log.WriteLine($"to render with GL, install: {GlUnavailableException.InstallHint} (and for a window: {GlUnavailableException.WindowInstallHint})");
        log.WriteLine("continuing on the CPU: textures only, no plane rendering.");
        Directory.CreateDirectory(options.OutputDirectory);

        var frames = options.Frames ?? 60;
        var captureEvery = Math.Max(1, frames / SheetFrames);
        var planar = new float[request.PlanarLength];
        var stats = new StageStats();
        var sheet = new ContactSheet(request.Width, request.Height, 4, Math.Min(SheetFrames, (frames + captureEvery - 1) / captureEvery));
        var rgba = new byte[4 * request.Width * request.Height];
        var written = new List<string>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < frames; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            source.Generate(request with { Phase = request.Phase + i / 60.0 }, planar);
            stats.Generate += Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            stats.GenerateSamples++;
            stats.Frames++;
            if (i % captureEvery != 0 && i != frames - 1) continue;
            PlanarTextureConversion.ToRgba8(planar, request.Width, request.Height, rgba);
            if (!sheet.IsFull && i % captureEvery == 0) sheet.Add(rgba);
            if (i == 0 || i == frames - 1)
            {
                var path = Path.Combine(options.OutputDirectory, $"texture_{i:D3}.png");
                Png.Write(path, rgba, request.Width, request.Height);
                written.Add(path);
                if (i == frames - 1 && options.Screenshot is not null)
                {
                    Png.Write(options.Screenshot, rgba, request.Width, request.Height);
                    written.Add(options.Screenshot);
                }
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        var sheetPath = Path.Combine(options.OutputDirectory, "contact_sheet.png");
        Png.Write(sheetPath, sheet.Rgba, sheet.Width, sheet.Height);
        written.Add(sheetPath);
        var statsPath = Path.Combine(options.OutputDirectory, "stats.json");
        stats.WriteJson(statsPath, new Dictionary<string, object?>
        {
            ["mode"] = "cpu-only",
            ["reason"] = reason,
            ["source"] = source.Description,
            ["class"] = SourceFactory.ClassName(source, request.ClassIndex),
            ["steps"] = request.Steps,
            ["size"] = request.Width,
        }, seconds);
        written.Add(statsPath);
        log.WriteLine($"generated {frames} textures in {seconds:F2} s ({stats.Mean(stats.Generate, stats.GenerateSamples):F2} ms each)");
        log.WriteLine("wrote: " + string.Join(", ", written));
        return 0;
    }
}
