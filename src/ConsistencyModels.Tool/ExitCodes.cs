namespace ConsistencyModels.Tool;

/// <summary>Process exit codes of <c>cm</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The command ran but failed on its input (missing or corrupt file, bad data, NaN loss).</summary>
    public const int Failure = 1;

    /// <summary>Bad command line: unknown option, invalid value, conflicting options.</summary>
    public const int Usage = 2;

    /// <summary>An unexpected internal error (a bug); details with --verbose or CM_DEBUG=1.</summary>
    public const int Internal = 70;

    /// <summary>Stopped by Ctrl+C (128 + SIGINT, the shell convention).</summary>
    public const int Cancelled = 130;
}
