namespace ConsistencyModels.IO;

/// <summary>A file violates the safetensors format (header length, JSON, offsets, sizes...).
/// Thrown by the validating reader before any tensor data is used; the message names the file and the problem.</summary>
public sealed class SafetensorsFormatException : ModelFormatException
{
    /// <summary>Creates the exception; <paramref name="source"/> is the file name (or stream description).</summary>
    public SafetensorsFormatException(string source, string problem)
        : base($"{source}: not a valid safetensors file: {problem}") => Problem = problem;

    /// <summary>Creates the exception with the underlying cause.</summary>
    public SafetensorsFormatException(string source, string problem, Exception innerException)
        : base($"{source}: not a valid safetensors file: {problem}", innerException) => Problem = problem;

    /// <summary>The problem without the file name.</summary>
    public string Problem { get; }
}
