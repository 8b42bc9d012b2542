using ConsistencyModels;
using ConsistencyModels.IO;
using ConsistencyModels.Runtime.Gl;

namespace TextureViewer;

/// <summary>The viewer's top-level error handling: one line on stderr, never a stack trace, a non-zero exit code.</summary>
internal static class ViewerErrors
{
    /// <summary>Exit code of a failure at run time (a bad command line exits with 2 before getting here).</summary>
    public const int Failure = 1;

    /// <summary>Writes the one line for <paramref name="error"/> and returns the exit code.</summary>
    public static int Report(Exception error)
    {
        Console.Error.WriteLine($"error: {Describe(error)}");
        Console.Error.Flush();
        return Failure;
    }

    /// <summary>An exception no thread caught (e.g. on the generation thread): report it and exit, instead of an abort.</summary>
    public static void ExitOnUnhandled(object error)
    {
        Report(error as Exception ?? new InvalidOperationException(error?.ToString() ?? "unknown error"));
        Environment.Exit(Failure);
    }

    /// <summary>The line without the "error: " prefix: file and data errors as they are, anything else with its type;
    /// control characters and native stack frames removed.</summary>
    public static string Describe(Exception error)
    {
        while (error is AggregateException { InnerExceptions.Count: 1 } aggregate) error = aggregate.InnerExceptions[0];
        while (error is System.Reflection.TargetInvocationException { InnerException: { } inner }) error = inner;
        string message = PrintableText.Clean(PrintableText.WithoutNativeTrace(error.Message));
        return error switch
        {
            ArgumentException or IOException or UnauthorizedAccessException or ModelFormatException or GlUnavailableException => message,
            OutOfMemoryException => $"out of memory: {message}; try a smaller --size",
            _ => $"internal error: {error.GetType().Name}: {message}",
        };
    }
}
