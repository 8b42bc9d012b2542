using ConsistencyModels.Distributed;
using ConsistencyModels.IO;
using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Runs;

/// <summary>The part every training command shares: log, progress, sample grids, the trainer and its checkpoints.</summary>
internal static class TrainingRuns
{
    /// <summary>
    /// Runs (or resumes) <paramref name="objective"/> in <paramref name="run"/>: rank 0 keeps log.jsonl and writes
    /// sample grids through <paramref name="writeGrid"/>; every checkpoint carries <paramref name="metadata"/>.
    /// Returns the steps done (fewer than asked when cancelled; the caller says so).
    /// </summary>
    public static long Train(RunDirectory run, IGradientSynchronizer sync, IProgressReporter progress, string title,
        TrainerOptions trainerOptions, ITrainingObjective objective, IBatchSource batches, ModelMetadata metadata,
        Action<long> writeGrid, CancellationToken cancellation)
    {
        (string Path, long Step)? resume = run.IsResume ? ResumeSource(run, progress) : null;
        long start = resume?.Step ?? 0;
        using var log = !sync.IsPrimary ? null : run.IsResume ? MetricsLog.Resume(run.LogPath, start) : MetricsLog.Create(run.LogPath);
        ITrainingObserver observer = log is null ? NullTrainingObserver.Instance : new TrainingProgressObserver(progress, log, writeGrid);
        var trainer = new Trainer(trainerOptions, objective, batches, run.CheckpointsDirectory,
            new Dictionary<string, string> { [ModelFile.MetadataKey] = metadata.ToJson() }, synchronizer: sync, observer: observer)
        {
            ResumeFrom = resume?.Path,
        };
        progress.Start(title, trainerOptions.Iterations, start);
        return trainer.Run(run.IsResume, cancellation);
    }

    /// <summary>The newest valid checkpoint of a resumed run; says which newer ones were skipped and why.</summary>
    private static (string Path, long Step) ResumeSource(RunDirectory run, IProgressReporter progress)
    {
        string? newestProblem = null;
        var found = TrainingCheckpoint.FindLatestValid(run.CheckpointsDirectory, (path, problem) =>
        {
            newestProblem ??= problem;
            progress.Info($"--resume: skipping {Path.GetFileName(path)}, not a valid checkpoint: {problem}");
        });
        if (found is not { } source)
            throw new CmException($"--resume: no valid checkpoint in {run.CheckpointsDirectory} (newest: {newestProblem}); use --force to start over")
            { ExitCode = ExitCodes.Failure };
        if (newestProblem is not null)
            progress.Info($"--resume: resuming from the newest valid checkpoint, {Path.GetFileName(source.Path)} (step {source.Step})");
        return source;
    }
}
