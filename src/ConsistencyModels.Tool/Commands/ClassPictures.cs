using ConsistencyModels.Imaging;
using ConsistencyModels.Data;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm eval --pictures</c>: pictures for people. One row per class: a real crop of the class's texture at the sample
/// size (from its top-left corner, wrapping around, so a small pattern shows several repeats as in a game), then the
/// first generated samples asked for that class; every cell tiled 2×2, so seams and repetition show. More than
/// <see cref="ClassesPerFile"/> classes are split into FILE-1.png, FILE-2.png, … (30 rows at 128² would be one PNG of
/// 8000 px and 8 MB).
/// </summary>
internal static class ClassPictures
{
    /// <summary>Generated samples shown per class.</summary>
    public const int SamplesPerClass = 2;

    /// <summary>Rows (classes) per PNG.</summary>
    public const int ClassesPerFile = 10;

    /// <summary>
    /// Writes the picture; <paramref name="labels"/> are the model classes of <paramref name="samples"/> [N, 3, S, S],
    /// <paramref name="classNames"/> the model's class names, matched to <paramref name="dataset"/>'s by name. Returns the
    /// files written and the number of classes drawn.
    /// </summary>
    public static (IReadOnlyList<string> Files, int Classes) Write(string path, Tensor samples, IReadOnlyList<long> labels, IReadOnlyList<string> classNames, TextureDataset dataset)
    {
        int size = (int)samples.shape[2];
        using var scope = NewDisposeScope();
        var rows = new List<(List<Tensor> Cells, List<string> Labels)>();
        for (int c = 0; c < classNames.Count; c++)
        {
            var picks = Enumerable.Range(0, labels.Count).Where(i => labels[i] == c).Take(SamplesPerClass).ToArray();
            var image = dataset.Images.FirstOrDefault(i => dataset.ClassNames[i.ClassIndex] == classNames[c]);
            if (picks.Length < SamplesPerClass || image is null) continue;
            var cells = new List<Tensor> { ImageIO.Tile(CropSampler.Crop(image.Pixels, 0, 0, size, CropTransform.Identity)) };
            var cellLabels = new List<string> { $"{classNames[c]}: real" };
            for (int k = 0; k < picks.Length; k++)
            {
                cells.Add(ImageIO.Tile(samples[picks[k]]));
                cellLabels.Add($"sample {k + 1}");
            }
            rows.Add((cells, cellLabels));
        }
        if (rows.Count == 0)
            throw new CmException($"--pictures {path}: no class has {SamplesPerClass} samples and a real texture in the data; raise --count") { ExitCode = ExitCodes.Failure };
        var chunks = rows.Chunk(ClassesPerFile).ToArray();
        var files = new List<string>();
        for (int f = 0; f < chunks.Length; f++)
        {
            string file = chunks.Length == 1 ? path : Path.ChangeExtension(path, null) + $"-{f + 1}.png";
            var grid = ImageIO.Grid(stack(chunks[f].SelectMany(r => r.Cells)), 1 + SamplesPerClass, padding: 4,
                labels: chunks[f].SelectMany(r => r.Labels).ToArray());
            ImageIO.SavePng(grid, file);
            files.Add(file);
        }
        return (files, rows.Count);
    }
}
