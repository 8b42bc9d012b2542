namespace ConsistencyModels.Training;

/// <summary>Progress of a training run, for progress bars, logs and sample grids.</summary>
public interface ITrainingObserver
{
    /// <summary>After a logged step: steps done, total, the mean loss since the last report, steps/s.</summary>
    void OnProgress(long stepsDone, long total, double meanLoss, double stepsPerSecond);

    /// <summary>After a checkpoint was written atomically.</summary>
    void OnCheckpoint(long stepsDone, string path);

    /// <summary>Every <see cref="TrainerOptions.SampleEvery"/> steps and at the end: a chance to render a sample grid.</summary>
    void OnSampleTime(long stepsDone);

    /// <summary>After every step (not only logged ones), with that step's loss: for a progress bar that moves every
    /// step. Default: nothing.</summary>
    void OnStep(long stepsDone, long total, double loss) { }
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullTrainingObserver : ITrainingObserver
{
    /// <summary>The shared instance.</summary>
    public static readonly NullTrainingObserver Instance = new();

    /// <inheritdoc />
    public void OnProgress(long stepsDone, long total, double meanLoss, double stepsPerSecond) { }

    /// <inheritdoc />
    public void OnCheckpoint(long stepsDone, string path) { }

    /// <inheritdoc />
    public void OnSampleTime(long stepsDone) { }
}
