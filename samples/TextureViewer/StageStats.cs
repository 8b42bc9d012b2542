using System.Text.Json;

namespace TextureViewer;

/// <summary>Per-stage timing accumulators (milliseconds) and frame counts for the title bar and stats.json.</summary>
internal sealed class StageStats
{
    public double Generate, Upload, Draw, Readback;
    public int GenerateSamples, ReadbackSamples, Frames;

    public void Reset()
    {
        Generate = Upload = Draw = Readback = 0;
        GenerateSamples = ReadbackSamples = Frames = 0;
    }

    public double Mean(double total, int count) => count == 0 ? 0 : total / count;

    public string Summary(double seconds) =>
        $"{Frames / Math.Max(seconds, 1e-9):F1} fps | gen {Mean(Generate, GenerateSamples):F2} ms, upload {Mean(Upload, Frames):F2} ms, draw {Mean(Draw, Frames):F2} ms";

    public void WriteJson(string path, IDictionary<string, object?> extra, double seconds)
    {
        var doc = new Dictionary<string, object?>(extra)
        {
            ["frames"] = Frames,
            ["seconds"] = Math.Round(seconds, 4),
            ["fps"] = Math.Round(Frames / Math.Max(seconds, 1e-9), 2),
            ["ms"] = new Dictionary<string, double>
            {
                ["generate"] = Math.Round(Mean(Generate, GenerateSamples), 3),
                ["upload"] = Math.Round(Mean(Upload, Frames), 3),
                ["draw"] = Math.Round(Mean(Draw, Frames), 3),
                ["readback"] = Math.Round(Mean(Readback, ReadbackSamples), 3),
            },
        };
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
    }
}
