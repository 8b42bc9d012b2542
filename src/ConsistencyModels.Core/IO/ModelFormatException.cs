namespace ConsistencyModels.IO;

/// <summary>A model file is unreadable or does not match what it claims to hold (bad metadata, a tensor
/// missing or with the wrong shape). The message names the file and the problem.</summary>
public class ModelFormatException : IOException
{
    /// <summary>Creates the exception with a message that names the file and the problem.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public ModelFormatException(string message, Exception innerException) : base(message, innerException) { }
}
