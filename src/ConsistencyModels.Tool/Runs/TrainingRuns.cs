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
        Task? abandoned = null;
        long start = resume?.Step ?? 0;
        using var log = !sync.IsPrimary ? null
            : run.IsResume ? MetricsLog.Resume(run.LogPath, start, logEvery: trainerOptions.LogEvery) : MetricsLog.Create(run.LogPath);
        ITrainingObserver observer = log is null ? NullTrainingObserver.Instance
            : new TrainingProgressObserver(progress, log, step => abandoned = WriteGrid(writeGrid, step, progress, cancellation) ?? abandoned);
        var trainer = new Trainer(trainerOptions, objective, batches, run.CheckpointsDirectory,
            new Dictionary<string, string> { [ModelFile.MetadataKey] = metadata.ToJson() }, synchronizer: sync, observer: observer)
        {
            ResumeFrom = resume?.Path,
        };
        progress.Start(title, trainerOptions.Iterations, start);
        long done = trainer.Run(run.IsResume, cancellation);
        if (abandoned is not null && done < trainerOptions.Iterations)
            CommandLine.StopSignals.NoteSaved($"checkpoint of step {done} saved in {run.CheckpointsDirectory}; continue with --resume");
        // The checkpoint is saved: the cm process ends now after Ctrl+C (StopSignals); an in-process caller must not
        // dispose the networks under a grid that is still reading them.
        try { abandoned?.Wait(); }
        catch (AggregateException) { /* the grid was abandoned: its failure no longer matters */ }
        return done;
    }

    /// <summary>
    /// Renders a sample grid on a thread of its own while this thread waits for it or for Ctrl+C, saying when it starts
    /// and how long it took: a stop takes effect at once (the trainer then saves the step and ends; the abandoned grid
    /// only reads the weights, and the process ends without waiting for it). The trainer's clock is paused meanwhile.
    /// </summary>
    /// <returns>The grid still running when it was abandoned, else null.</returns>
    internal static Task? WriteGrid(Action<long> writeGrid, long step, IProgressReporter progress, CancellationToken cancellation,
        TimeSpan? every = null)
    {
        var tick = every ?? TimeSpan.FromSeconds(5); // a long grid says it is still at work
        if (cancellation.IsCancellationRequested) return null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        progress.Info($"step {step}: making the sample grid...");
        progress.Pause(true);
        var grid = Task.Factory.StartNew(() => writeGrid(step), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            while (!grid.Wait(tick, cancellation))
                progress.Info(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"step {step}: sample grid, {clock.Elapsed.TotalSeconds:F0} s so far..."));
        }
        catch (OperationCanceledException)
        {
            progress.Pause(false);
            progress.Info($"step {step}: sample grid abandoned (stopping)");
            return grid;
        }
        catch (AggregateException e) when (e.InnerException is not null)
        {
            progress.Pause(false);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
        }
        progress.Pause(false);
        progress.Info(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"step {step}: sample grid written in {clock.Elapsed.TotalSeconds:F1} s"));
        return null;
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
