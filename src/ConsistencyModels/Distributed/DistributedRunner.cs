namespace ConsistencyModels.Distributed;

/// <summary>
/// Runs one rank's work so that a fault on any rank stops the whole job with one clear message instead of
/// leaving the other ranks waiting forever inside a collective.
/// </summary>
public static class DistributedRunner
{
    /// <summary>Exit code used when a rank aborts the job.</summary>
    public const int AbortExitCode = 3;

    /// <summary>
    /// Runs <paramref name="body"/>. With one process, exceptions propagate unchanged (the CLI reports them).
    /// With several ranks, an exception (or an unhandled exception on another thread) prints one line
    /// <c>error: rank R of K: &lt;message&gt; (aborting the MPI job)</c> on stderr and calls MPI_Abort, which makes
    /// mpirun terminate every rank with a non-zero exit.
    /// </summary>
    /// <returns>The exit code returned by <paramref name="body"/>.</returns>
    public static int RunOrAbort(IGradientSynchronizer synchronizer, Func<int> body)
    {
        ArgumentNullException.ThrowIfNull(synchronizer);
        ArgumentNullException.ThrowIfNull(body);
        if (synchronizer.WorldSize == 1) return body();
        UnhandledExceptionEventHandler onUnhandled = (_, e) =>
            synchronizer.Abort(AbortExitCode, FormatFault(synchronizer, e.ExceptionObject as Exception));
        AppDomain.CurrentDomain.UnhandledException += onUnhandled;
        try
        {
            return body();
        }
        catch (Exception ex)
        {
            synchronizer.Abort(AbortExitCode, FormatFault(synchronizer, ex));
            throw; // unreachable: Abort does not return.
        }
        finally
        {
            AppDomain.CurrentDomain.UnhandledException -= onUnhandled;
        }
    }

    /// <summary>The one-line fault message: <c>error: rank R of K: &lt;message&gt; (aborting the MPI job)</c>.</summary>
    public static string FormatFault(IGradientSynchronizer synchronizer, Exception? error)
    {
        ArgumentNullException.ThrowIfNull(synchronizer);
        var text = error is null ? "unknown error" : error.Message.ReplaceLineEndings(" ");
        return $"error: rank {synchronizer.Rank} of {synchronizer.WorldSize}: {text} (aborting the MPI job)";
    }
}
