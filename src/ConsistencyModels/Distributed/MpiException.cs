namespace ConsistencyModels.Distributed;

/// <summary>An MPI call failed, or Open MPI is not installed; the message says which call and why.</summary>
public sealed class MpiException : Exception
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public MpiException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and its cause.</summary>
    public MpiException(string message, Exception inner) : base(message, inner) { }
}
