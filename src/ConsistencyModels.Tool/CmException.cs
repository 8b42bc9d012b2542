namespace ConsistencyModels.Tool;

/// <summary>
/// A user error (bad argument, missing file, refused overwrite): printed as one line
/// <c>error: ...</c> on stderr, never with a stack trace, and the process exits with <see cref="ExitCode"/>.
/// </summary>
public sealed class CmException : Exception
{
    /// <summary>Creates a user error with the usage exit code (2).</summary>
    /// <param name="message">One line saying what was wrong and what was expected.</param>
    public CmException(string message) : base(message) { }

    /// <summary>Creates a user error that wraps the exception that revealed it.</summary>
    /// <param name="message">One line saying what was wrong and what was expected.</param>
    /// <param name="inner">The underlying exception (shown only with --verbose or CM_DEBUG=1).</param>
    public CmException(string message, Exception inner) : base(message, inner) { }

    /// <summary>The process exit code for this error (2 = usage error).</summary>
    public int ExitCode { get; init; } = ExitCodes.Usage;

    /// <summary>The error for a command whose library pieces are not wired into the tool yet.</summary>
    /// <param name="command">The command name, e.g. <c>train-teacher</c>.</param>
    /// <param name="needs">The library parts it waits for.</param>
    public static CmException NotWired(string command, string needs) =>
        new($"cm {command} is not wired yet (needs {needs})") { ExitCode = ExitCodes.Failure };
}
