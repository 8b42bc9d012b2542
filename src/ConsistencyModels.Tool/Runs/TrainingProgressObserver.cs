using ConsistencyModels.Tool.Progress;
using ConsistencyModels.Training;

namespace ConsistencyModels.Tool.Runs;

/// <summary>Connects a <see cref="Trainer"/> to the progress bar, the JSON-lines metrics log and the sample grids.</summary>
internal sealed class TrainingProgressObserver : ITrainingObserver
{
    private readonly IProgressReporter _progress;
    private readonly MetricsLog _log;
    private readonly Action<long>? _onSample;

    public TrainingProgressObserver(IProgressReporter progress, MetricsLog log, Action<long>? onSample)
    {
        _progress = progress;
        _log = log;
        _onSample = onSample;
    }

    public void OnProgress(long stepsDone, long total, double meanLoss, double stepsPerSecond)
    {
        if (stepsPerSecond > 0) CommandLine.StopSignals.ReportStepTime(TimeSpan.FromSeconds(1 / stepsPerSecond));
        _progress.Report(stepsDone, meanLoss);
        _log.Write(stepsDone, new KeyValuePair<string, double>[] { new("loss", meanLoss), new("it_per_s", stepsPerSecond) });
    }

    public void OnCheckpoint(long stepsDone, string path) { }

    /// <summary>Every step: the bar moves with each step (the log keeps its --log-every lines).</summary>
    public void OnStep(long stepsDone, long total, double loss) => _progress.Report(stepsDone, loss);

    public void OnSampleTime(long stepsDone) => _onSample?.Invoke(stepsDone);
}
