using ConsistencyModels.Imaging;
using System.Diagnostics;
using System.Globalization;
using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Networks;
using ConsistencyModels.Sampling;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using TorchSharp;

namespace ConsistencyModels.Tool.Commands;

/// <summary><c>cm sample</c>: writes a PNG grid of samples from a model, or with <c>--out DIR/</c> one PNG per texture.</summary>
public static class SampleCommand
{
    /// <summary>Samples generated per network call, so large --count values do not exhaust memory.</summary>
    public const int BatchSize = ModelSampler.DefaultBatchSize;

    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C.</param>
    /// <returns>The exit code.</returns>
    public static int Run(SampleOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        InputChecks.RequireFile("--model", options.Model, "a .safetensors model written by cm");
        if (options.OutIsFolder) Directory.CreateDirectory(options.Out);
        else InputChecks.RequireParentFolder("--out", options.Out);
        var device = ToolDevice.Resolve(options.Device);
        using var loaded = ModelFile.Load(options.Model, device);
        if (options.Precision == NetworkPrecision.BFloat16)
            loaded.Model.to(NetworkPrecisions.ScalarType(NetworkPrecision.BFloat16));
        var metadata = loaded.Metadata;
        var choice = SamplingChoice.Resolve(options.Model, metadata, options.Sampler, options.Steps);
        ModelChecks.Size("--size", options.Size, options.Model, metadata.Config);
        MemoryBudget.Check("--size", options.Size, Math.Min(options.Count, BatchSize), metadata.Config, heldImages: options.Count * (options.Tile ? 6 : 2));
        var labelIds = ClassChoice.Labels(metadata, options.Model, options.Class, options.Count);
        using var labels = labelIds is null ? null : torch.tensor(labelIds);

        progress.Info($"sample: {options.Model} ({ModelDescription.Of(metadata)}), {choice}, {options.Count} × {options.Size}², seed {options.Seed}");
        progress.Start("sample", options.Count);
        var clock = Stopwatch.StartNew();
        using var samples = ModelSampler.GenerateBatched(loaded.Model, metadata, choice.Sampler, choice.Steps, options.Count,
            options.Size, options.Size, labels, options.Seed, BatchSize, progress: done =>
            {
                cancellation.ThrowIfCancellationRequested();
                progress.Report(done);
            });
        double seconds = clock.Elapsed.TotalSeconds;
        progress.Finish();

        var names = labelIds is null ? null : ClassChoice.Names(metadata);
        var cellLabels = names is null ? null : labelIds!.Select(i => names[(int)i]).ToArray();
        if (options.OutIsFolder)
        {
            var files = WriteFiles(samples, options.Tile, cellLabels, options.Out);
            progress.Info(string.Create(CultureInfo.InvariantCulture,
                $"wrote {files.Count} PNGs of {options.Size}×{options.Size}{(options.Tile ? " tiled 2×2" : "")} to {options.Out} ({files[0]} ... {files[^1]}); " +
                $"{choice.Nfe} NFE per sample, {seconds:F2} s ({1000 * seconds / options.Count:F1} ms per sample)"));
            return ExitCodes.Ok;
        }
        var (width, height, columns) = WriteGrid(samples, options.Tile, cellLabels, options.Out);
        progress.Info(string.Create(CultureInfo.InvariantCulture,
            $"wrote {options.Out}: {options.Count} samples of {options.Size}×{options.Size}{(options.Tile ? " tiled 2×2" : "")}, " +
            $"{columns} columns, {width}×{height} px; {choice.Nfe} NFE per sample, {seconds:F2} s ({1000 * seconds / options.Count:F1} ms per sample)"));
        return ExitCodes.Ok;
    }

    /// <summary>Writes each of <paramref name="samples"/> [N, 3, H, W] as its own PNG in <paramref name="folder"/>:
    /// <c>sample-0000[-class].png</c> (the class name made file-safe); returns the file names in order.</summary>
    internal static IReadOnlyList<string> WriteFiles(torch.Tensor samples, bool tile, IReadOnlyList<string>? labels, string folder)
    {
        var names = new List<string>();
        long n = samples.shape[0];
        for (long i = 0; i < n; i++)
        {
            using var scope = torch.NewDisposeScope();
            var image = samples[i];
            if (tile) image = ImageIO.Tile(image);
            string suffix = labels is null ? "" : "-" + FileSafe(labels[(int)i]);
            string name = string.Create(CultureInfo.InvariantCulture, $"sample-{i:D4}{suffix}.png");
            ImageIO.SavePng(image, Path.Combine(folder, name));
            names.Add(name);
        }
        return names;
    }

    private static string FileSafe(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray();
        return new string(chars).Trim('_');
    }

    /// <summary>
    /// Writes <paramref name="samples"/> [N, 3, H, W] as a grid of ⌈√N⌉ columns (each cell tiled 2×2 with
    /// <paramref name="tile"/>, labelled with <paramref name="labels"/> when given); returns the PNG's size and columns.
    /// </summary>
    internal static (int Width, int Height, int Columns) WriteGrid(torch.Tensor samples, bool tile, IReadOnlyList<string>? labels, string path)
    {
        using var scope = torch.NewDisposeScope();
        var cells = tile ? ImageIO.Tile(samples) : samples;
        int columns = (int)Math.Ceiling(Math.Sqrt(samples.shape[0]));
        var grid = ImageIO.Grid(cells, columns, labels: labels);
        ImageIO.SavePng(grid, path);
        return ((int)grid.shape[2], (int)grid.shape[1], columns);
    }
}
