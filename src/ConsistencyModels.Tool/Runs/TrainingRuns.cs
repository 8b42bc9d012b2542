using ConsistencyModels.Distributed;
using ConsistencyModels.IO;
using ConsistencyModels.Tool.Options;
using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Runs;

/// <summary>The part every training command shares: log, progress, sample grids, the trainer and its checkpoints.</summary>
internal static class TrainingRuns
{
    /// <summary>
    /// Runs a training command's <paramref name="body"/> on this rank of <see cref="RunSettings.Distributed"/>: only rank 0
    /// reports progress, and a failing rank aborts the job. Every training command starts here.
    /// </summary>
    public static int OnEveryRank(RunSettings settings, IProgressReporter progress, Func<IProgressReporter, IGradientSynchronizer, int> body)
    {
        using var sync = GradientSynchronizerFactory.Create(settings.Distributed);
        return DistributedRunner.RunOrAbort(sync, () => body(sync.IsPrimary ? progress : new NullProgressReporter(), sync));
    }

    /// <summary>
    /// Prepares the run folder on rank 0 (checks, <c>--resume</c>, <c>--force</c> with <paramref name="inputs"/> protected)
    /// or attaches to it on the others, then waits for every rank, and seeds torch with the run's seed.
    /// </summary>
    public static RunDirectory Open(RunSettings settings, IGradientSynchronizer sync, IReadOnlyList<(string Option, string Path)> inputs,
        IProgressReporter progress)
    {
        var run = sync.IsPrimary
            ? RunDirectory.Prepare(settings.Out, settings.Resume, settings.Force, inputs, progress.Info)
            : RunDirectory.Attach(settings.Out, settings.Resume);
        sync.Barrier(); // rank 0 has checked and created the run folder
        TorchSharp.torch.manual_seed(settings.Seed);
        return run;
    }

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
