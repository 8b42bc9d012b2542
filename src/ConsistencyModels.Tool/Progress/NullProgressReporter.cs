namespace ConsistencyModels.Tool.Progress;

/// <summary>Prints nothing: the reporter of MPI ranks other than 0.</summary>
public sealed class NullProgressReporter : IProgressReporter
{
    /// <inheritdoc />
    public void Start(string title, long total, long initial = 0) { }

    /// <inheritdoc />
    public void Report(long step, double? loss = null) { }

    /// <inheritdoc />
    public void Info(string message) { }

    /// <inheritdoc />
    public void Finish(string? summary = null) { }

    /// <inheritdoc />
    public void Dispose() { }
}
