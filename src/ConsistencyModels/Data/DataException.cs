namespace ConsistencyModels.Data;

/// <summary>
/// A data folder or image that cannot be used (missing, empty, unreadable, too small).
/// The message names the offending path; <see cref="Path"/> holds it for callers that map errors to exit codes.
/// </summary>
public sealed class DataException : Exception
{
    /// <summary>Creates the exception for <paramref name="path"/>.</summary>
    /// <param name="message">A one-line description that already names the path.</param>
    /// <param name="path">The file or folder at fault.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public DataException(string message, string path, Exception? inner = null) : base(message, inner) => Path = path;

    /// <summary>The file or folder at fault.</summary>
    public string Path { get; }
}
