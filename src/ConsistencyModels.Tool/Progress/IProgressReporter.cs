namespace ConsistencyModels.Tool.Progress;

/// <summary>
/// Shows the progress of a long command (training, sampling, evaluation) to the user:
/// a Spectre.Console bar on a terminal, plain periodic lines when output is redirected.
/// Calls come from the working thread; implementations are thread-safe.
/// </summary>
public interface IProgressReporter : IDisposable
{
    /// <summary>Starts a phase (e.g. "train-teacher", "pairs", "round 2/5").</summary>
    /// <param name="title">Short phase name.</param>
    /// <param name="total">Total steps of the phase.</param>
    /// <param name="initial">Steps already done (a resumed run starts there; speed counts only new steps).</param>
    void Start(string title, long total, long initial = 0);

    /// <summary>Reports that <paramref name="step"/> steps of the current phase are done.</summary>
    /// <param name="step">Steps done so far (absolute, not an increment).</param>
    /// <param name="loss">The latest (or smoothed) loss, if any.</param>
    void Report(long step, double? loss = null);

    /// <summary>Writes one informational line (checkpoint saved, a table row, a warning).</summary>
    /// <param name="message">The line (plain text, not markup).</param>
    void Info(string message);

    /// <summary>Work that is not a step of the phase starts (true) or ends (false), e.g. a sample grid during training:
    /// the shown speed counts step time only. Default: nothing.</summary>
    void Pause(bool paused) { }

    /// <summary>Ends the current phase.</summary>
    /// <param name="summary">Optional line printed after the phase.</param>
    void Finish(string? summary = null);
}
