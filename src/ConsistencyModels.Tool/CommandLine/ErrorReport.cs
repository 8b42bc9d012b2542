using System.Reflection;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>
/// Turns an exception into one <c>error: ...</c> line and an exit code. User and data errors name the
/// problem; anything else is reported as an internal error. Stack traces only in debug mode.
/// </summary>
internal static class ErrorReport
{
    /// <summary>What a cancellation is reported as: Ctrl+C, or the signal that <see cref="StopSignals"/> received.</summary>
    public static string CancelledBy { get; set; } = "Ctrl+C";

    /// <summary>The line (without the <c>error: </c> prefix) and the exit code for <paramref name="error"/>.</summary>
    public static (string Message, int ExitCode) Describe(Exception error)
    {
        error = Unwrap(error);
        return error switch
        {
            CmException cm => (OneLine(cm.Message), cm.ExitCode),
            OperationCanceledException => ($"stopped by {CancelledBy}", ExitCodes.Cancelled),
            _ when OutOfMemory.Describe(error) is { } oom => (oom, ExitCodes.Failure),
            FileNotFoundException notFound when notFound.FileName is not null && !notFound.Message.Contains(notFound.FileName)
                => ($"file not found: {notFound.FileName} ({OneLine(notFound.Message)})", ExitCodes.Failure),
            FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
                or UnauthorizedAccessException or IOException or System.Text.Json.JsonException
                or Data.DataException or Training.TrainingDivergedException or Distributed.MpiException
                => (OneLine(error.Message), ExitCodes.Failure),
            _ when error.GetType().Name.EndsWith("FormatException", StringComparison.Ordinal)
                => (OneLine(error.Message), ExitCodes.Failure),
            _ => ($"internal error: {error.GetType().Name}: {OneLine(PrintableText.WithoutNativeTrace(error.Message))} (run with --verbose or CM_DEBUG=1 for details)",
                ExitCodes.Internal),
        };
    }

    /// <summary>Writes the error line (and in debug mode the full exception) and returns the exit code.</summary>
    public static int Write(Exception error, TextWriter stderr, bool debug)
    {
        var (message, code) = Describe(error);
        stderr.WriteLine($"error: {message}");
        if (debug) stderr.WriteLine(error.ToString());
        stderr.Flush();
        return code;
    }

    /// <summary>
    /// Collapses a message onto one line: control characters (a decoder's trailing NULs, escapes, line breaks) become
    /// spaces, runs of spaces one, and a native frame list (<c>frame #0: ...</c>) is dropped.
    /// </summary>
    public static string OneLine(string message) => PrintableText.Clean(PrintableText.WithoutNativeFrames(message));

    private static Exception Unwrap(Exception error)
    {
        while (true)
        {
            switch (error)
            {
                case AggregateException { InnerExceptions.Count: 1 } aggregate:
                    error = aggregate.InnerExceptions[0];
                    break;
                case TargetInvocationException { InnerException: { } inner }:
                    error = inner;
                    break;
                default:
                    return error;
            }
        }
    }
}
