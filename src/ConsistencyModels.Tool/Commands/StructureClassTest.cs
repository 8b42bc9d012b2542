using System.Globalization;
using System.Text.Json.Nodes;
using ConsistencyModels.Data;
using ConsistencyModels.IO;
using ConsistencyModels.Metrics.Structure;
using ConsistencyModels.Tool.Progress;
using TorchSharp;
using static TorchSharp.torch;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm eval --classifier</c>: the structure class test. The classifier (trained by <c>cm train-classifier</c> on real
/// crops, gray and standardized) names the class of every generated sample; the score is the share assigned to the
/// class it was asked for. The same is measured on eval's reference real crops at this size, beside the classifier's
/// held-out ceiling from training. Classes are matched by name.
/// </summary>
internal sealed class StructureClassTest : IDisposable
{
    private readonly StructureClassifier classifier;
    private readonly long[] modelToClassifier;

    private StructureClassTest(string path, StructureClassifier classifier, StructureClassifierMetadata metadata, long[] modelToClassifier)
    {
        Path = path;
        this.classifier = classifier;
        Metadata = metadata;
        this.modelToClassifier = modelToClassifier;
    }

    /// <summary>The classifier file.</summary>
    public string Path { get; }

    /// <summary>What the classifier file says about itself (held-out ceiling included).</summary>
    public StructureClassifierMetadata Metadata { get; }

    /// <summary>Loads and checks the classifier against the model's classes and the sample size; one-line errors.</summary>
    public static StructureClassTest Load(string path, ModelMetadata model, string modelPath, int size, Device device)
    {
        InputChecks.RequireFile("--classifier", path, "a structure classifier written by cm train-classifier");
        if (model.Config.ClassCount == 0)
            throw new CmException($"--classifier: {modelPath} is unconditional; the structure class test needs a class-conditional model")
            { ExitCode = ExitCodes.Failure };
        var (classifier, metadata) = StructureClassifierFile.Load(path, device);
        try
        {
            int factor = metadata.Config.Downsample;
            if (size % factor != 0 || size / factor < 1 << metadata.Config.StageChannels.Length)
                throw new CmException($"--size {size} does not suit --classifier {path} (it downsamples by {factor}; use a multiple of {factor}, ideally its crop size {metadata.Config.CropSize})")
                { ExitCode = ExitCodes.Failure };
            var names = ClassChoice.Names(model);
            var map = new long[names.Count];
            for (int c = 0; c < names.Count; c++)
            {
                map[c] = Array.IndexOf(metadata.Config.ClassNames, names[c]);
                if (map[c] < 0)
                    throw new CmException($"--classifier {path} has no class '{names[c]}' of {modelPath}; train it on the model's data (its classes: {string.Join(", ", metadata.Config.ClassNames.Take(10))}{(metadata.Config.ClassNames.Length > 10 ? ", ..." : "")})")
                    { ExitCode = ExitCodes.Failure };
            }
            return new StructureClassTest(path, classifier, metadata, map);
        }
        catch
        {
            classifier.Dispose();
            throw;
        }
    }

    /// <summary>Scores samples [N, 3, S, S] asked for the model's classes <paramref name="modelLabels"/>.</summary>
    public StructureScore ScoreSamples(Tensor samples, IReadOnlyList<long> modelLabels)
    {
        using var expected = torch.tensor(modelLabels.Select(l => modelToClassifier[l]).ToArray());
        return StructureScore.Compute(classifier, samples, expected);
    }

    /// <summary>Scores real crops [N, 3, S, S] of <paramref name="dataset"/> with their dataset classes <paramref name="labels"/>.</summary>
    public StructureScore ScoreReal(Tensor crops, Tensor labels, TextureDataset dataset)
    {
        var ids = labels.cpu().data<long>().ToArray().Select(l =>
        {
            long i = Array.IndexOf(Metadata.Config.ClassNames, dataset.ClassNames[(int)l]);
            return i >= 0 ? i : throw new CmException($"--classifier {Path} has no class '{dataset.ClassNames[(int)l]}' of the eval data") { ExitCode = ExitCodes.Failure };
        }).ToArray();
        using var expected = torch.tensor(ids);
        return StructureScore.Compute(classifier, crops, expected);
    }

    /// <summary>The JSON object <c>structure_class</c>: samples, real crops at this size, and the held-out ceiling.</summary>
    public JsonObject ToJson(StructureScore samples, StructureScore real, int size) => new()
    {
        ["classifier"] = Path,
        ["classifier_crop_size"] = Metadata.Config.CropSize,
        ["classifier_downsample"] = Metadata.Config.Downsample,
        ["size"] = size,
        ["samples"] = samples.ToJsonObject(),
        ["real"] = real.ToJsonObject(),
        ["ceiling"] = Metadata.HeldOutAccuracy,
        ["phase_randomized_rejected"] = Metadata.PhaseRandomizedRejected,
        ["ceiling_per_class"] = new JsonObject(Metadata.HeldOutPerClass.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
        ["description"] = "share of images the structure classifier (gray, per-crop standardized input) assigns to the class they were asked for (samples) or come from (real crops); no_structure: share assigned to the extra class trained on phase-randomized real crops (right spectrum, no shapes); ceiling: held-out real crops at the classifier's crop size",
    };

    /// <summary>The table: one row per class the samples were asked for, then overall and the worst class.</summary>
    public ResultTable Table(StructureScore samples, StructureScore real)
    {
        var table = new ResultTable("structure class test", "samples", "real crops", "ceiling (held-out)");
        var s = samples.PerClass;
        var r = real.PerClass;
        for (int c = 0; c < samples.ClassNames.Count; c++)
        {
            if (samples.Counts[c] == 0) continue;
            string name = samples.ClassNames[c];
            table.AddRow(name, Share(s[c]), real.Counts[c] == 0 ? "-" : Share(r[c]),
                Metadata.HeldOutPerClass.TryGetValue(name, out double ceiling) ? Share(ceiling) : "-");
        }
        table.AddRow("overall", Share(samples.Overall), Share(real.Overall), Share(Metadata.HeldOutAccuracy));
        table.AddRow("worst class", Share(samples.Worst), Share(real.Worst), Share(Metadata.HeldOutPerClass.Values.DefaultIfEmpty(double.NaN).Min()));
        table.AddRow("assigned to " + StructureClassifierConfig.NoStructureName, Share(samples.NoStructureShare), Share(real.NoStructureShare),
            "-");
        return table;
    }

    private static string Share(double v) => double.IsFinite(v) ? (100 * v).ToString("F0", CultureInfo.InvariantCulture) + " %" : "-";

    /// <summary>Frees the classifier.</summary>
    public void Dispose() => classifier.Dispose();
}
