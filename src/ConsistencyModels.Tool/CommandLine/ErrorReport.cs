using System.Reflection;
using System.Text.RegularExpressions;

namespace ConsistencyModels.Tool.CommandLine;

/// <summary>
/// Turns an exception into one <c>error: ...</c> line and an exit code. User and data errors name the
/// problem; anything else is reported as an internal error. Stack traces only in debug mode.
/// </summary>
internal static partial class ErrorReport
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
            _ => ($"internal error: {error.GetType().Name}: {OneLine(WithoutNativeTrace(error.Message))} (run with --verbose or CM_DEBUG=1 for details)",
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
    public static string OneLine(string message) => PrintableText.Clean(WithoutFrames(message));

    /// <summary>libtorch appends its C++ stack ("Exception raised from ... frame #0: ...") to its messages: keep the
    /// sentence, drop the frames (they are in the --verbose output).</summary>
    public static string WithoutNativeTrace(string message)
    {
        foreach (var marker in new[] { " (Could this error message be improved?", "Exception raised from " })
        {
            int cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0) message = message[..cut];
        }
        return WithoutFrames(message);
    }

    /// <summary>Cuts a message at its first native stack frame (<c>frame #N:</c>), wherever it appears.</summary>
    private static string WithoutFrames(string message)
    {
        var frame = NativeFrame().Match(message);
        return frame.Success ? message[..frame.Index] : message;
    }

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

    [GeneratedRegex(@"frame #\d+")]
    private static partial Regex NativeFrame();
}
