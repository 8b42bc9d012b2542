using System.Globalization;
using ConsistencyModels.Data;
using ConsistencyModels.Metrics.Structure;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;

namespace ConsistencyModels.Tool.Commands;

/// <summary>
/// <c>cm train-classifier</c>: trains the structure class test's classifier on real crops
/// (<see cref="StructureClassifierTraining"/>), scores held-out real crops (the ceiling) and writes the classifier file.
/// </summary>
public static class TrainClassifierCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="options">Validated options.</param>
    /// <param name="progress">Progress output.</param>
    /// <param name="cancellation">Ctrl+C: stops without writing a file.</param>
    /// <returns>The exit code.</returns>
    public static int Run(TrainClassifierOptions options, IProgressReporter progress, CancellationToken cancellation)
    {
        InputChecks.RequireData("--data", options.Data);
        if (File.Exists(options.Out) && !options.Force)
            throw new CmException($"--out {options.Out} exists; pass --force to replace it") { ExitCode = ExitCodes.Failure };
        string? parent = Path.GetDirectoryName(Path.GetFullPath(options.Out));
        if (parent is not null) Directory.CreateDirectory(parent);
        var dataset = LoadData(options.Data);
        if (dataset.ClassNames.Count < 2)
            throw new CmException($"--data {options.Data}: one class only; the classifier needs class subfolders or GIMP patterns (one class each)")
            { ExitCode = ExitCodes.Failure };
        var device = ToolDevice.Resolve(options.Device);
        var training = new StructureClassifierTrainingOptions
        {
            CropSize = options.Crop,
            Downsample = options.Downsample,
            Iterations = options.Iters,
            BatchSize = options.Batch,
            LearningRate = options.Lr,
            WarmupIterations = Math.Min(30, options.Iters / 10),
            HeldOutCount = options.HeldOut,
            Seed = options.Seed,
        };
        progress.Info(string.Create(CultureInfo.InvariantCulture,
            $"train-classifier: {dataset.Images.Count} images, {dataset.ClassNames.Count} classes; gray {options.Crop}² crops seen at " +
            $"{options.Crop / options.Downsample}², standardized per crop; batch {options.Batch}, {options.Iters} steps, lr {options.Lr:G3}, {TorchInfo.Describe()}"));
        progress.Start("train-classifier", options.Iters);
        var (classifier, metadata) = StructureClassifierTraining.Train(dataset, training, device,
            (step, loss) => progress.Report(step, loss), cancellation);
        using (classifier)
        {
            progress.Finish();
            StructureClassifierFile.Save(options.Out, classifier, metadata);
        }
        var table = new ResultTable("class", "held-out real crops");
        foreach (var (name, share) in metadata.HeldOutPerClass)
            table.AddRow(name, ResultTable.Number(share, "P0"));
        table.AddRow("overall (ceiling)", ResultTable.Number(metadata.HeldOutAccuracy, "P1"));
        table.Write(progress);
        progress.Info(string.Create(CultureInfo.InvariantCulture,
            $"wrote {options.Out}: held-out accuracy {metadata.HeldOutAccuracy:P1} on {metadata.HeldOutCount} real crops; " +
            $"{metadata.PhaseRandomizedRejected:P1} of their phase-randomized copies assigned to {StructureClassifierConfig.NoStructureName}; " +
            $"final loss {metadata.FinalLoss:F3}, {metadata.TrainSeconds:F0} s"));
        return ExitCodes.Ok;
    }

    private static TextureDataset LoadData(string path)
    {
        try
        {
            return TrainingDataLoader.Load(path);
        }
        catch (DataException e)
        {
            throw new CmException($"--data {path}: {e.Message}", e) { ExitCode = ExitCodes.Failure };
        }
    }
}
